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
// without hashing, which gives the same cuts as hashing every byte and
// saves an eighth of the work. (Interleaving several hash chains was
// measured too and gained under 10%: the chain is one `lea` per byte; the
// loop's own bookkeeping is what unrolling removes.)
//
// Streaming: bytes may arrive split anywhere; cuts never depend on the
// splits. Single-threaded value object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hubmirror {

inline constexpr size_t kXetTargetChunkBytes = 64 * 1024;
inline constexpr size_t kXetMinChunkBytes = kXetTargetChunkBytes / 8;   // 8 KiB
inline constexpr size_t kXetMaxChunkBytes = kXetTargetChunkBytes * 2;   // 128 KiB

class XetChunker {
 public:
  // Feeds data[0, n) as the continuation of the stream. Appends to `cuts`
  // (not cleared) every k in 1..n such that a chunk ends after data[k - 1],
  // in order. Bytes after the last cut belong to the chunk still open.
  void Feed(const uint8_t* data, size_t n, std::vector<size_t>* cuts);
  // Bytes fed into the current, unfinished chunk.
  size_t pending() const { return size_; }
  void Reset() {
    h_ = 0;
    size_ = 0;
  }

 private:
  // Scans data[0, n) as the continuation of the open chunk: the offset
  // after its last byte when it ends there, else n with the state kept.
  size_t NextCut(const uint8_t* data, size_t n, bool* cut);

  uint64_t h_ = 0;
  size_t size_ = 0;
};

}  // namespace hubmirror
