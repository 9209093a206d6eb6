// Reading the raw bytes of chunk ranges of a xorb: the one piece shared by
// the readers of committed files (reconstruction_reader.h) and by writers
// serving bytes still being ingested (a xorb being built, xorb_builder.h).
//
//   XorbBytes        a xorb whose chunks can be read: ReadRaw decodes what is
//                    compressed, RawSpan tells where uncompressed bytes lie
//                    verbatim in a file (for mmap/sendfile)
//   SealedXorbBytes  a committed xorb: its chunk table and a read handle
//   ChunkDecoder     per-reader scratch: a codec and the last chunk decoded,
//                    so small sequential reads of a compressed chunk decode
//                    it once
//   XorbTableCache   chunk tables of committed xorbs by id (immutable, ids
//                    never reused, so entries never go stale), bounded LRU
//
// Offsets in a chunk range [start, end) count from the first raw byte of
// chunk `start`.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/object_store.h"
#include "store/status.h"
#include "store/xet/chunk_codec.h"
#include "store/xet/xorb_format.h"

namespace hubmirror {

using XorbTable = std::vector<XorbChunk>;

// Not thread-safe: one per reader (readers serialize their use of it).
class ChunkDecoder {
 public:
  // The raw bytes of a compressed chunk whose stored bytes `read_stored`
  // fetches; cached by (owner, index) until another chunk is decoded.
  Result<const std::string*> Decoded(const void* owner, uint32_t index, const XorbChunk& chunk,
                                     const std::function<Status(std::string*)>& read_stored);
  // Forgets the cached chunk (its owner is going away).
  void Clear() {
    cached_owner_ = nullptr;
    cached_index_ = -1;
  }

 private:
  XetChunkCodec codec_;
  std::string stored_;
  std::string raw_;
  const void* cached_owner_ = nullptr;
  int64_t cached_index_ = -1;
};

class XorbBytes {
 public:
  virtual ~XorbBytes() = default;
  // Up to n raw bytes of chunks [start, end) from `offset`; fewer only at the
  // range's end (0 past it).
  virtual Result<size_t> ReadRaw(uint32_t start, uint32_t end, uint64_t offset, char* buf,
                                 size_t n, ChunkDecoder* decoder) const = 0;
  // Where the byte at `offset` lies verbatim in a file, and how many raw
  // bytes follow it there contiguously (to the end of its chunk). False for
  // a compressed chunk or bytes not in a file yet.
  virtual bool RawSpan(uint32_t start, uint32_t end, uint64_t offset, RawFileSpan* span) const {
    return false;
  }
};

// Reads exactly n bytes at `offset` of a xorb file (a RandomAccessFile, or
// the WritableFile of one being built); DataLoss when it ends first (a xorb
// shorter than its chunk table says is damage).
template <typename File>
Status ReadXorbFileBytes(const File& file, uint64_t offset, char* buf, size_t n) {
  return ReadExactlyAt(file, offset, buf, n, "xorb file is shorter than its chunk table says");
}

// Index of the chunk of `table` [start, end) holding `offset` (counted from
// chunk start's first raw byte); `end` when past the range.
uint32_t FindChunk(const XorbTable& table, uint32_t start, uint32_t end, uint64_t offset);

// Reads exactly `len` stored bytes at xorb offset `at` into `out`.
using StoredBytesReader = std::function<Status(uint64_t at, char* out, size_t len)>;

// Reads up to n raw bytes at `offset` (as for XorbBytes::ReadRaw) from
// chunks [start, end) of `table`, whose stored bytes `read_stored` gives:
// plain chunks straight into `buf`, compressed ones through `decoder`.
// Every XorbBytes reads this way; they differ only in where bytes are.
Result<size_t> ReadRawChunks(const XorbTable& table, const void* owner, uint32_t start,
                             uint32_t end, uint64_t offset, char* buf, size_t n,
                             ChunkDecoder* decoder, const StoredBytesReader& read_stored);

class SealedXorbBytes final : public XorbBytes {
 public:
  SealedXorbBytes(std::shared_ptr<const XorbTable> table, std::shared_ptr<RandomAccessFile> file)
      : table_(std::move(table)), file_(std::move(file)) {}
  Result<size_t> ReadRaw(uint32_t start, uint32_t end, uint64_t offset, char* buf, size_t n,
                         ChunkDecoder* decoder) const override;
  bool RawSpan(uint32_t start, uint32_t end, uint64_t offset, RawFileSpan* span) const override;
  const XorbTable& table() const { return *table_; }

 private:
  std::shared_ptr<const XorbTable> table_;
  std::shared_ptr<RandomAccessFile> file_;
};

// Thread-safe.
class XorbTableCache {
 public:
  using Loader = std::function<Result<XorbTable>(int64_t id)>;
  XorbTableCache(Loader loader, size_t max_chunks)
      : loader_(std::move(loader)), max_chunks_(max_chunks) {}
  // The table of xorb `id`; NotFound when the xorb has no chunks (unknown).
  Result<std::shared_ptr<const XorbTable>> Get(int64_t id);
  void Forget(int64_t id);

 private:
  const Loader loader_;
  const size_t max_chunks_;
  std::mutex mu_;
  std::list<std::pair<int64_t, std::shared_ptr<const XorbTable>>> lru_;  // guarded by mu_
  std::map<int64_t, decltype(lru_)::iterator> by_id_;                   // guarded by mu_
  size_t chunks_ = 0;                                                   // guarded by mu_
};

}  // namespace hubmirror
