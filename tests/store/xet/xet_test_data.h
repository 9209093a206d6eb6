// Test data of ../shared/xet-protocol.md (g), shared by the Xet unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/xet/xet_chunker.h"

namespace hubmirror::testing {

// Vector C: SplitMix64 from `seed`, 8 little-endian bytes per step, cut to n.
inline std::string SplitMix64Bytes(size_t n, uint64_t seed) {
  std::string out;
  out.reserve(n + 8);
  uint64_t state = seed;
  while (out.size() < n) {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((z >> (8 * i)) & 0xff));
  }
  out.resize(n);
  return out;
}

// The end offsets of the chunks of `data`, fed to one chunker in pieces of
// `piece` bytes (0 = all at once).
inline std::vector<size_t> XetChunkEnds(const std::string& data, size_t piece = 0) {
  XetChunker chunker;
  std::vector<size_t> ends;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  if (piece == 0) piece = data.size() == 0 ? 1 : data.size();
  std::vector<size_t> cuts;
  for (size_t pos = 0; pos < data.size(); pos += piece) {
    const size_t n = std::min(piece, data.size() - pos);
    cuts.clear();
    chunker.Feed(p + pos, n, &cuts);
    for (size_t c : cuts) ends.push_back(pos + c);
  }
  if (chunker.pending() > 0) ends.push_back(data.size());
  return ends;
}

}  // namespace hubmirror::testing
