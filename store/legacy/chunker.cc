#include "store/legacy/chunker.h"

#include <array>

namespace hubmirror {
namespace {

// splitmix64: a fixed, well-mixed sequence, so the table (and with it every
// cut point ever recorded in a store) never changes between builds.
constexpr std::array<uint64_t, 256> MakeGearTable() {
  std::array<uint64_t, 256> table{};
  uint64_t state = 0x6875626d6972726fULL;  // "hubmirro"
  for (uint64_t& entry : table) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    entry = z ^ (z >> 31);
  }
  return table;
}

constexpr std::array<uint64_t, 256> kGear = MakeGearTable();

// The gear hash shifts left, so its high bits depend on the most bytes (the
// last 64); the masks test high bits. 18 bits before the target, 14 after
// (FastCDC normalization level 2 around 2^16).
constexpr uint64_t kMaskStrict = ~uint64_t{0} << (64 - 18);
constexpr uint64_t kMaskLoose = ~uint64_t{0} << (64 - 14);

}  // namespace

size_t FindChunkBoundary(const uint8_t* data, size_t n, bool at_end) {
  if (n <= kChunkMinSize) return at_end ? n : 0;
  const size_t limit = n < kChunkMaxSize ? n : kChunkMaxSize;
  const size_t normal = limit < kChunkTargetSize ? limit : kChunkTargetSize;
  uint64_t h = 0;
  size_t i = kChunkMinSize;
  for (; i < normal; ++i) {
    h = (h << 1) + kGear[data[i]];
    if ((h & kMaskStrict) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    h = (h << 1) + kGear[data[i]];
    if ((h & kMaskLoose) == 0) return i + 1;
  }
  if (limit == kChunkMaxSize) return kChunkMaxSize;
  return at_end ? n : 0;
}

}  // namespace hubmirror
