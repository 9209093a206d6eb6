#include "store/legacy/chunker.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

// Offsets (in the data) of every cut, chunking the whole buffer.
std::vector<size_t> Cuts(const std::string& data) {
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t len = FindChunkBoundary(reinterpret_cast<const uint8_t*>(data.data()) + pos,
                                   data.size() - pos, /*at_end=*/true);
    pos += len;
    cuts.push_back(pos);
  }
  return cuts;
}

TEST(ChunkerTest, RespectsMinAndMaxAndAveragesNearTarget) {
  std::string data = RandomBytes(32 << 20, 1);
  std::vector<size_t> cuts = Cuts(data);
  size_t prev = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    size_t len = cuts[i] - prev;
    EXPECT_LE(len, kChunkMaxSize);
    if (i + 1 < cuts.size()) {
      EXPECT_GE(len, kChunkMinSize);
    }
    prev = cuts[i];
  }
  double average = static_cast<double>(data.size()) / cuts.size();
  EXPECT_GT(average, 0.7 * kChunkTargetSize);
  EXPECT_LT(average, 1.5 * kChunkTargetSize);
}

TEST(ChunkerTest, ZerosCutAtMax) {
  std::string zeros(1 << 20, '\0');
  std::vector<size_t> cuts = Cuts(zeros);
  ASSERT_EQ(cuts.size(), 4u);
  EXPECT_EQ(cuts[0], kChunkMaxSize);
}

TEST(ChunkerTest, NeedsMoreBytesUnlessAtEnd) {
  std::string data = RandomBytes(kChunkMinSize - 1, 2);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  EXPECT_EQ(FindChunkBoundary(p, data.size(), false), 0u);
  EXPECT_EQ(FindChunkBoundary(p, data.size(), true), data.size());
}

// The property dedup rests on: an edit moves only the cuts next to it.
TEST(ChunkerTest, CutsResynchronizeAfterPrependedAndInsertedBytes) {
  std::string base = RandomBytes(8 << 20, 3);
  std::vector<size_t> base_cuts = Cuts(base);
  std::set<size_t> base_set(base_cuts.begin(), base_cuts.end());

  std::string prepended = "X" + base;
  size_t shared = 0;
  for (size_t c : Cuts(prepended)) shared += base_set.count(c - 1);
  EXPECT_GE(shared, base_cuts.size() - 2);

  std::string inserted = base;
  inserted.insert(4 << 20, "hello, fine-tune");
  shared = 0;
  size_t total = 0;
  for (size_t c : Cuts(inserted)) {
    ++total;
    size_t original = c > (4u << 20) ? c - 16 : c;
    shared += base_set.count(original);
  }
  EXPECT_GE(shared + 3, total);
}

}  // namespace
}  // namespace hubmirror
