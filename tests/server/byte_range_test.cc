#include "server/byte_range.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

using Kind = ByteRange::Kind;

TEST(ByteRangeTest, SingleRanges) {
  ByteRange r = ParseByteRange("bytes=100-199", 1000);
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.first, 100u);
  EXPECT_EQ(r.last, 199u);
  EXPECT_EQ(r.length(), 100u);

  r = ParseByteRange("bytes=990-", 1000);
  EXPECT_EQ(r.first, 990u);
  EXPECT_EQ(r.last, 999u);
  r = ParseByteRange("bytes=900-5000", 1000);  // clamped to the end
  EXPECT_EQ(r.last, 999u);
  r = ParseByteRange("bytes=-10", 1000);
  EXPECT_EQ(r.first, 990u);
  r = ParseByteRange("bytes=-5000", 1000);
  EXPECT_EQ(r.first, 0u);
  r = ParseByteRange("bytes=0-0", 1);
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.length(), 1u);
}

TEST(ByteRangeTest, Unsatisfiable) {
  EXPECT_EQ(ParseByteRange("bytes=1000-", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=0-0", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=-0", 10).kind, Kind::kUnsatisfiable);
}

TEST(ByteRangeTest, IgnoredHeaders) {
  for (const char* h : {"", "bytes=", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes=0-1,3-4",
                        "bytes=-", "bytes=+1-2", "bytes=99999999999999999999-",
                        "bytes=1-2-3"}) {
    EXPECT_EQ(ParseByteRange(h, 1000).kind, Kind::kNone) << h;
  }
}

}  // namespace
}  // namespace hubmirror
