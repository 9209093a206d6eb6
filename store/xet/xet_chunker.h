// XetChunker: the content-defined chunker of the Xet protocol
// (../shared/xet-protocol.md (b)), so that a file cut here has exactly the
// chunks, chunk hashes and `xetHash` that hf_xet >= 1.2.0 gives it.
//
// A gear rolling hash h = (h << 1) + T[byte] runs over the bytes; a chunk
// ends after the byte where the top 16 bits of h are zero, once the chunk
// holds at least kXetMinChunkBytes, or at kXetMaxChunkBytes whatever h is.
// h starts at 0 for every chunk. Since `<< 1` shifts a byte's contribution
// out after 64 steps, h at a tested position depends on the last 64 bytes
// only: the first kXetMinChunkBytes - 65 bytes of a chunk are skipped
// without hashing, which gives the same cuts as hashing every byte.
//
// Streaming: bytes may arrive split anywhere; cuts never depend on the
// splits. Single-threaded value object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace hubmirror {

inline constexpr size_t kXetTargetChunkBytes = 64 * 1024;
inline constexpr size_t kXetMinChunkBytes = kXetTargetChunkBytes / 8;   // 8 KiB
inline constexpr size_t kXetMaxChunkBytes = kXetTargetChunkBytes * 2;   // 128 KiB

class XetChunker {
 public:
  static constexpr size_t kNoCut = std::numeric_limits<size_t>::max();

  // Feeds data[0, n) as the continuation of the current chunk. Returns k when
  // the chunk ends after data[k - 1] (the caller feeds data + k next, into a
  // new chunk), or kNoCut when all n bytes belong to the current chunk.
  size_t NextCut(const uint8_t* data, size_t n);
  // Bytes fed into the current, unfinished chunk.
  size_t pending() const { return size_; }
  void Reset() {
    h_ = 0;
    size_ = 0;
  }

 private:
  uint64_t h_ = 0;
  size_t size_ = 0;
};

}  // namespace hubmirror
