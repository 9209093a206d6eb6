// XetChunkCodec: the per-chunk compression schemes of Xet xorbs
// (../shared/xet-protocol.md (d)): none, LZ4 frame, and BG4 + LZ4 frame
// (the chunk's bytes regrouped by position mod 4 before LZ4, which helps
// tensors whose bytes of one position vary little).
//
// The store keeps a chunk exactly as a Xet client receives it, so the scheme
// is chosen once, on ingest (Encode): compressed only where that saves at
// least a quarter of the chunk. Every read of a compressed chunk pays a
// decompression instead of a plain pread/mmap, so a 5-20% saving (typical
// BF16 weights) is not worth it; text, JSON, jsonl and zero-padded tensors
// save far more and qualify. A 4 KiB sample decides first whether a scheme
// is worth trying on the whole chunk, which keeps random and weight data
// near memcpy speed.
//
// Not thread-safe: one codec per thread (it owns LZ4 contexts and buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "store/status.h"

namespace hubmirror {

enum class XetScheme : uint8_t { kNone = 0, kLz4 = 1, kBg4Lz4 = 2 };

// A scheme byte as it appears in a record header; false for anything else
// (including 99, xet-core's internal "auto").
bool IsXetScheme(uint8_t value);
const char* XetSchemeName(XetScheme scheme);

class XetChunkCodec {
 public:
  XetChunkCodec();
  ~XetChunkCodec();
  XetChunkCodec(const XetChunkCodec&) = delete;
  XetChunkCodec& operator=(const XetChunkCodec&) = delete;

  // Chooses the scheme for raw[0, n) (see above). For kNone `*out` is left
  // untouched and the stored bytes are `raw` itself; otherwise `*out` holds
  // the stored bytes.
  XetScheme Encode(const uint8_t* raw, size_t n, std::string* out);
  // Encodes with `scheme` whatever it saves (kNone copies).
  Status EncodeWith(XetScheme scheme, const uint8_t* raw, size_t n, std::string* out);
  // Decodes stored[0, stored_size) into out[0, raw_size). DataLoss unless the
  // bytes decode to exactly raw_size bytes under `scheme`.
  Status Decode(XetScheme scheme, const uint8_t* stored, size_t stored_size, uint8_t* out,
                size_t raw_size);

 private:
  Status Lz4Frame(const uint8_t* raw, size_t n, std::string* out);
  Status Lz4Unframe(const uint8_t* stored, size_t stored_size, uint8_t* out, size_t raw_size);

  struct Contexts;
  Contexts& contexts();
  std::unique_ptr<Contexts> contexts_;  // null until first needed
  std::string grouped_;  // BG4 scratch
};

// BG4: the bytes at positions = k (mod 4) for k = 0..3, one group after the
// other (group k holds n/4 bytes, plus one when k < n % 4).
void Bg4Split(const uint8_t* in, size_t n, uint8_t* out);
void Bg4Regroup(const uint8_t* in, size_t n, uint8_t* out);

}  // namespace hubmirror
