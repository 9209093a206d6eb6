#include "server/xet/xet_reconstruction.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

using nlohmann::json;

XetHash H(uint8_t b) {
  XetHash h;
  h.bytes.fill(b);
  return h;
}

// Three terms: xorb A chunks [0,2) (100 B), xorb B [0,1) (50 B), xorb A
// chunks [2,4) (100 B): A's two spans touch and are merged into one entry.
XetServedFile File() {
  XetServedFile f;
  f.row.size = 250;
  f.terms = {{{H(1), 0, 2, 100}, 0, 116}, {{H(2), 0, 1, 50}, 0, 58}, {{H(1), 2, 4, 100}, 116, 232}};
  return f;
}

std::string Url(const XetHash& x, uint64_t a, uint64_t b) {
  return x.ToHex().substr(0, 4) + ":" + std::to_string(a) + "-" + std::to_string(b);
}

TEST(XetReconstructionTest, WholeFileV2MergesTouchingSpansIntoOneDescriptor) {
  json r = BuildReconstruction(File(), 2, 0, 249, Url);
  EXPECT_EQ(r["offset_into_first_range"], 0);
  ASSERT_EQ(r["terms"].size(), 3u);
  EXPECT_EQ(r["terms"][0]["hash"], H(1).ToHex());
  EXPECT_EQ(r["terms"][0]["unpacked_length"], 100);
  EXPECT_EQ(r["terms"][2]["range"], (json{{"start", 2}, {"end", 4}}));
  const json& a = r["xorbs"][H(1).ToHex()];
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]["url"], "0101:0-231");
  EXPECT_EQ(a[0]["ranges"], (json::array({{{"chunks", {{"start", 0}, {"end", 4}}},
                                            {"bytes", {{"start", 0}, {"end", 231}}}}})));
  EXPECT_EQ(r["xorbs"][H(2).ToHex()][0]["ranges"][0]["bytes"]["end"], 57);
  EXPECT_FALSE(r.contains("fetch_info"));
}

TEST(XetReconstructionTest, RangeKeepsOverlappingTermsAndTheOffsetIntoTheFirst) {
  // Bytes 120..160: inside term 1 (100..150) and term 2 (150..250).
  json r = BuildReconstruction(File(), 1, 120, 160, Url);
  EXPECT_EQ(r["offset_into_first_range"], 20);
  ASSERT_EQ(r["terms"].size(), 2u);
  EXPECT_EQ(r["terms"][0]["hash"], H(2).ToHex());
  const json& a = r["fetch_info"][H(1).ToHex()];
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]["range"], (json{{"start", 2}, {"end", 4}}));
  EXPECT_EQ(a[0]["url_range"], (json{{"start", 116}, {"end", 231}}));
  EXPECT_EQ(a[0]["url"], "0101:116-231");
  EXPECT_FALSE(r.contains("xorbs"));
}

TEST(XetReconstructionTest, LastByteOnlyNamesTheLastTerm) {
  json r = BuildReconstruction(File(), 2, 249, 249, Url);
  ASSERT_EQ(r["terms"].size(), 1u);
  EXPECT_EQ(r["offset_into_first_range"], 99);
}

}  // namespace
}  // namespace hubmirror
