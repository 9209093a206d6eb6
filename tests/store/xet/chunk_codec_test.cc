#include "store/xet/chunk_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/store/xet/xet_test_data.h"

namespace hubmirror {
namespace {

std::string RoundTrip(XetChunkCodec& codec, XetScheme scheme, const std::string& stored,
                      size_t raw_size) {
  std::string out(raw_size, '\0');
  Status s = codec.Decode(scheme, reinterpret_cast<const uint8_t*>(stored.data()), stored.size(),
                          reinterpret_cast<uint8_t*>(out.data()), raw_size);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(ChunkCodecTest, Bg4SplitAndRegroupAreInverse) {
  for (size_t n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 1001}) {
    std::string in = testing::SplitMix64Bytes(n, n);
    std::string grouped(n, '\0'), back(n, '\0');
    Bg4Split(U8(in), n, reinterpret_cast<uint8_t*>(grouped.data()));
    Bg4Regroup(U8(grouped), n, reinterpret_cast<uint8_t*>(back.data()));
    EXPECT_EQ(back, in) << n;
  }
  // Positions = k (mod 4) go to group k, groups back to back.
  std::string in = "abcdefghij";  // q = 2, r = 2: groups of 3, 3, 2, 2
  std::string grouped(in.size(), '\0');
  Bg4Split(U8(in), in.size(), reinterpret_cast<uint8_t*>(grouped.data()));
  EXPECT_EQ(grouped, "aeibfjcgdh");
}

TEST(ChunkCodecTest, EveryExplicitSchemeRoundTrips) {
  XetChunkCodec codec;
  const std::string random = testing::SplitMix64Bytes(131072, 1);
  const std::string text(70000, 'a');
  for (const std::string* data : {&random, &text}) {
    for (XetScheme scheme : {XetScheme::kNone, XetScheme::kLz4, XetScheme::kBg4Lz4}) {
      std::string stored;
      ASSERT_TRUE(codec.EncodeWith(scheme, U8(*data), data->size(), &stored).ok());
      EXPECT_EQ(RoundTrip(codec, scheme, stored, data->size()), *data) << XetSchemeName(scheme);
    }
  }
}

TEST(ChunkCodecTest, LzFramesAreStandardFrames) {
  XetChunkCodec codec;
  std::string stored;
  ASSERT_TRUE(codec.EncodeWith(XetScheme::kLz4, U8(std::string(1000, 'z')), 1000, &stored).ok());
  ASSERT_GE(stored.size(), 4u);
  EXPECT_EQ(stored.substr(0, 4), std::string("\x04\x22\x4d\x18", 4));
}

TEST(ChunkCodecTest, EncodeCompressesOnlyWhereItSavesAQuarter) {
  XetChunkCodec codec;
  std::string out;
  const std::string random = testing::SplitMix64Bytes(65536, 2);
  EXPECT_EQ(codec.Encode(U8(random), random.size(), &out), XetScheme::kNone);
  std::string json;
  while (json.size() < 65536) json += "{\"id\": " + std::to_string(json.size()) + ", \"ok\": true}\n";
  json.resize(65536);
  EXPECT_EQ(codec.Encode(U8(json), json.size(), &out), XetScheme::kLz4);
  EXPECT_LT(out.size(), json.size() * 3 / 4);
  EXPECT_EQ(RoundTrip(codec, XetScheme::kLz4, out, json.size()), json);
  // Little-endian float32 values with random low bytes and a repeating
  // exponent/sign byte: plain LZ4 finds no matches, BG4 groups the constant
  // bytes together.
  std::string floats = testing::SplitMix64Bytes(65536, 3);
  for (size_t i = 0; i < floats.size(); i += 4) {
    floats[i + 2] = static_cast<char>(floats[i + 2] & 0x03);
    floats[i + 3] = '\x3f';
  }
  EXPECT_EQ(codec.Encode(U8(floats), floats.size(), &out), XetScheme::kBg4Lz4);
  EXPECT_EQ(RoundTrip(codec, XetScheme::kBg4Lz4, out, floats.size()), floats);
}

TEST(ChunkCodecTest, BadStoredBytesAreDataLoss) {
  XetChunkCodec codec;
  const std::string data(5000, 'q');
  std::string stored;
  ASSERT_TRUE(codec.EncodeWith(XetScheme::kLz4, U8(data), data.size(), &stored).ok());
  std::string out(data.size(), '\0');
  auto decode = [&](const std::string& s, size_t raw) {
    out.assign(raw, '\0');
    return codec.Decode(XetScheme::kLz4, U8(s), s.size(), reinterpret_cast<uint8_t*>(out.data()),
                        raw);
  };
  EXPECT_EQ(decode(stored.substr(0, stored.size() - 3), data.size()).code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode(stored + "xx", data.size()).code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode(stored, data.size() - 1).code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode(stored, data.size() + 1).code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode("garbage!", data.size()).code(), StatusCode::kDataLoss);
  // The codec still works after failures (its context was reset).
  EXPECT_TRUE(decode(stored, data.size()).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(codec.Decode(XetScheme::kNone, U8(data), 10, reinterpret_cast<uint8_t*>(out.data()), 11)
                .code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hubmirror
