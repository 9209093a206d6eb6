#include "store/xet/xet_chunker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "store/xet/gear_table.h"
#include "tests/store/xet/xet_test_data.h"

namespace hubmirror {
namespace {

using testing::SplitMix64Bytes;
using testing::XetChunkEnds;

// The chunker written the plain way (../shared/xet-protocol.md (b)): every
// byte hashed, every position from the minimum tested.
std::vector<size_t> ReferenceEnds(const std::string& data) {
  std::vector<size_t> ends;
  uint64_t h = 0;
  size_t start = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    h = (h << 1) + kXetGearTable[static_cast<uint8_t>(data[i])];
    const size_t size = i + 1 - start;
    if (size < kXetMinChunkBytes) continue;
    if (size >= kXetMaxChunkBytes || (h & 0xFFFF000000000000ULL) == 0) {
      ends.push_back(i + 1);
      start = i + 1;
      h = 0;
    }
  }
  if (start < data.size()) ends.push_back(data.size());
  return ends;
}

// Vector E's data: a 128-byte pattern, `padding` zero bytes, the whole
// repeated up to n bytes.
std::string HittingData(size_t n, size_t padding) {
  static const uint8_t kPattern[128] = {
      154, 52,  42,  34,  159, 75,  126, 224, 70,  236, 12,  196, 79,  236, 178, 124,
      127, 50,  99,  178, 44,  176, 174, 126, 250, 235, 205, 174, 252, 122, 35,  10,
      20,  101, 214, 69,  193, 8,   115, 105, 158, 228, 120, 111, 136, 162, 198, 251,
      211, 183, 253, 252, 164, 147, 63,  16,  186, 162, 117, 23,  170, 36,  205, 187,
      174, 76,  210, 174, 211, 175, 12,  173, 145, 59,  2,   70,  222, 181, 159, 227,
      182, 156, 189, 51,  226, 106, 24,  50,  183, 157, 140, 10,  8,   23,  212, 70,
      10,  234, 23,  33,  219, 254, 39,  236, 70,  49,  191, 116, 9,   115, 15,  101,
      26,  159, 165, 220, 15,  170, 56,  125, 92,  163, 94,  235, 38,  40,  49,  81};
  std::string unit(reinterpret_cast<const char*>(kPattern), 128);
  unit.append(padding, '\0');
  std::string out;
  while (out.size() < n) out += unit.substr(0, std::min(unit.size(), n - out.size()));
  return out;
}

TEST(XetChunkerTest, GearTableMatchesTheSharedCopy) {
  std::ifstream in(HUBMIRROR_SOURCE_DIR "/../shared/xet-gear-table.txt");
  if (!in) GTEST_SKIP() << "../shared/xet-gear-table.txt not beside the checkout";
  std::string line;
  size_t i = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ASSERT_LT(i, 256u);
    EXPECT_EQ(std::stoull(line, nullptr, 16), kXetGearTable[i]) << "entry " << i;
    ++i;
  }
  EXPECT_EQ(i, 256u);
}

TEST(XetChunkerTest, SplitMix64Boundaries) {  // vector C
  const std::vector<size_t> expected = {84493,  134421, 144853, 243318, 271793, 336457, 467529,
                                        494581, 582000, 596735, 616815, 653164, 678202, 724510,
                                        815591, 827760, 958832, 991092, 1000000};
  const std::string data = SplitMix64Bytes(1000000, 0);
  EXPECT_EQ(XetChunkEnds(data), expected);
  EXPECT_EQ(ReferenceEnds(data), expected);
}

TEST(XetChunkerTest, ConstantDataCutsAtTheMaximum) {  // vector D
  const std::string data(1000000, '\x3b');
  std::vector<size_t> expected;
  for (size_t k = 1; k <= 7; ++k) expected.push_back(131072 * k);
  expected.push_back(1000000);
  EXPECT_EQ(XetChunkEnds(data), expected);
}

TEST(XetChunkerTest, HittingPatternsNearTheMinimum) {  // vector E
  // Padding 0: the pattern's last byte matches once per 128 + 0 bytes.
  const std::vector<size_t> first = {8256, 16448, 24640, 32832, 41024, 49216, 57408, 65536};
  EXPECT_EQ(XetChunkEnds(HittingData(65536, 0)), first);
  // Padding 126: the first cut is at exactly the minimum (the rule of
  // hf_xet >= 1.2.0; older ones cut at 8128).
  std::vector<size_t> ends = XetChunkEnds(HittingData(65536, 126));
  ASSERT_FALSE(ends.empty());
  EXPECT_EQ(ends[0], 8192u);
  for (size_t padding = 0; padding < 128; ++padding) {
    const std::string data = HittingData(65536, padding);
    EXPECT_EQ(XetChunkEnds(data), ReferenceEnds(data)) << "padding " << padding;
  }
}

TEST(XetChunkerTest, CutsDoNotDependOnHowTheBytesArrive) {
  const std::string data = SplitMix64Bytes(3 << 20, 7) + std::string(300000, 'x') +
                           SplitMix64Bytes(500000, 8);
  const std::vector<size_t> whole = XetChunkEnds(data);
  EXPECT_EQ(whole, ReferenceEnds(data));
  for (size_t piece : {1, 37, 255, 8127, 8128, 65536, 131072, 1000003}) {
    EXPECT_EQ(XetChunkEnds(data, piece), whole) << "piece " << piece;
  }
}

TEST(XetChunkerTest, SizesStayWithinTheLimits) {
  const std::string data = SplitMix64Bytes(16 << 20, 3);
  std::vector<size_t> ends = XetChunkEnds(data);
  size_t prev = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    const size_t size = ends[i] - prev;
    EXPECT_LE(size, kXetMaxChunkBytes);
    if (i + 1 < ends.size()) {
      EXPECT_GE(size, kXetMinChunkBytes);
    }
    prev = ends[i];
  }
  const double mean = static_cast<double>(data.size()) / ends.size();
  EXPECT_GT(mean, 40000);
  EXPECT_LT(mean, 90000);
}

TEST(XetChunkerTest, EmptyInputHasNoChunks) {
  EXPECT_TRUE(XetChunkEnds("").empty());
  EXPECT_EQ(XetChunkEnds("x"), std::vector<size_t>{1});
}

}  // namespace
}  // namespace hubmirror
