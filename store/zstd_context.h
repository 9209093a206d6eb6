// Internal to the store: owning handles for libzstd contexts (RAII), so a
// context is freed on every path out of the bundle writer and reader.
#pragma once

#include <zstd.h>

#include <memory>

namespace hubmirror {

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
};
struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};
using ZstdCompressContext = std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter>;
using ZstdDecompressContext = std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter>;

}  // namespace hubmirror
