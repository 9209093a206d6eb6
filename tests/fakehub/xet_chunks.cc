#include "tests/fakehub/xet_chunks.h"

#include <cstring>

#include "store/xet/xet_chunker.h"
#include "store/xet/xet_hash.h"

namespace fakehub {

std::vector<XetChunkRef> ChunkForXet(const BlobBytes& bytes) {
  std::vector<XetChunkRef> chunks;
  const uint64_t size = bytes.size();
  if (size == 0) return chunks;
  hubmirror::XetChunker chunker;
  std::vector<size_t> cuts;
  std::string window(8 << 20, '\0');
  std::string pending;  // bytes of the open chunk
  uint64_t chunk_start = 0;
  auto emit = [&](const char* data, size_t n) {
    XetChunkRef ref;
    ref.offset = chunk_start;
    ref.size = static_cast<uint32_t>(n);
    const hubmirror::XetHash h = hubmirror::XetChunkHash(data, n);
    std::memcpy(ref.hash.data(), h.bytes.data(), ref.hash.size());
    chunks.push_back(ref);
    chunk_start += n;
  };
  for (uint64_t at = 0; at < size;) {
    const size_t got = bytes.Read(at, window.data(), window.size());
    if (got == 0) break;
    cuts.clear();
    chunker.Feed(reinterpret_cast<const uint8_t*>(window.data()), got, &cuts);
    size_t from = 0;
    for (size_t cut : cuts) {
      pending.append(window.data() + from, cut - from);
      emit(pending.data(), pending.size());
      pending.clear();
      from = cut;
    }
    pending.append(window.data() + from, got - from);
    at += got;
  }
  if (!pending.empty()) emit(pending.data(), pending.size());
  return chunks;
}

std::string XetFileHashHex(const std::vector<XetChunkRef>& chunks) {
  std::vector<hubmirror::XetNode> nodes;
  nodes.reserve(chunks.size());
  for (const XetChunkRef& c : chunks) {
    hubmirror::XetHash h;
    std::memcpy(h.bytes.data(), c.hash.data(), c.hash.size());
    nodes.push_back(hubmirror::XetNode{h, c.size});
  }
  return hubmirror::XetFileHash(std::move(nodes)).ToHex();
}

std::string XetHex(const std::array<uint8_t, 32>& hash) {
  hubmirror::XetHash h;
  std::memcpy(h.bytes.data(), hash.data(), hash.size());
  return h.ToHex();
}

}  // namespace fakehub
