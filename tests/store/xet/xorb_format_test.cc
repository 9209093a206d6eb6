#include "store/xet/xorb_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/store/xet/xet_test_data.h"

namespace hubmirror {
namespace {

// Serializes `chunks` (raw bytes) as records with `scheme`, optionally with a
// footer.
std::string MakeXorb(const std::vector<std::string>& chunks, XetScheme scheme, bool footer,
                     XetHash* hash_out = nullptr) {
  XetChunkCodec codec;
  std::string out;
  std::vector<XorbChunk> infos;
  std::vector<XetNode> nodes;
  uint64_t raw = 0;
  for (const std::string& c : chunks) {
    std::string stored;
    EXPECT_TRUE(codec.EncodeWith(scheme, reinterpret_cast<const uint8_t*>(c.data()), c.size(),
                                 &stored).ok());
    XorbChunk info;
    info.hash = XetChunkHash(c.data(), c.size());
    info.record_offset = out.size();
    info.stored_size = static_cast<uint32_t>(stored.size());
    info.raw_size = static_cast<uint32_t>(c.size());
    info.raw_offset = raw;
    info.scheme = scheme;
    raw += c.size();
    uint8_t header[kXetRecordHeaderBytes];
    EncodeRecordHeader(XetRecordHeader{info.stored_size, scheme, info.raw_size}, header);
    out.append(reinterpret_cast<const char*>(header), sizeof(header));
    out += stored;
    infos.push_back(info);
    nodes.push_back(XetNode{info.hash, c.size()});
  }
  XetHash hash = XetXorbHash(nodes);
  if (hash_out) *hash_out = hash;
  if (footer) out += BuildXorbFooter(hash, infos);
  return out;
}

TEST(XorbFormatTest, HelloWorldRecord) {  // vector B
  std::string xorb = MakeXorb({"hello world"}, XetScheme::kNone, false);
  EXPECT_EQ(xorb, std::string("\x00\x0b\x00\x00\x00\x0b\x00\x00", 8) + "hello world");
  XetChunkCodec codec;
  auto parsed = ParseAndVerifyXorb(xorb, &codec);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->hash.ToHex(), "4e39378b9d359f118190557a1f44130219a54e5fcfa07bd96cf50b466fe651b1");
  EXPECT_FALSE(parsed->has_footer);
  EXPECT_EQ(parsed->records_bytes, 19u);
}

TEST(XorbFormatTest, FooterLayoutAndRoundTrip) {
  std::vector<std::string> chunks = {testing::SplitMix64Bytes(70000, 1), std::string(9000, 'x'),
                                     testing::SplitMix64Bytes(100, 2)};
  for (XetScheme scheme : {XetScheme::kNone, XetScheme::kLz4, XetScheme::kBg4Lz4}) {
    XetHash hash;
    std::string xorb = MakeXorb(chunks, scheme, true, &hash);
    XetChunkCodec codec;
    auto parsed = ParseAndVerifyXorb(xorb, &codec);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_TRUE(parsed->has_footer);
    EXPECT_EQ(parsed->hash, hash);
    ASSERT_EQ(parsed->chunks.size(), 3u);
    EXPECT_EQ(parsed->raw_bytes, 79100u);
    EXPECT_EQ(parsed->chunks[1].raw_offset, 70000u);
    // 96 + 40 n bytes of footer, ending with info_length = 92 + 40 n.
    EXPECT_EQ(xorb.size() - parsed->records_bytes, 96u + 40 * 3);
    const auto* end = reinterpret_cast<const uint8_t*>(xorb.data() + xorb.size() - 4);
    EXPECT_EQ(end[0] | end[1] << 8, 92 + 40 * 3);
    EXPECT_EQ(xorb.substr(parsed->records_bytes, 7), "XETBLOB");
  }
}

TEST(XorbFormatTest, RejectsDamage) {
  std::vector<std::string> chunks = {std::string(9000, 'a'), testing::SplitMix64Bytes(20000, 3)};
  const std::string good = MakeXorb(chunks, XetScheme::kLz4, true);
  XetChunkCodec codec;
  ASSERT_TRUE(ParseAndVerifyXorb(good, &codec).ok());
  auto rejects = [&](std::string bad, const std::string& why) {
    auto parsed = ParseAndVerifyXorb(bad, &codec);
    EXPECT_FALSE(parsed.ok()) << why;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << why;
    }
  };
  std::string bad = good;
  bad[0] = 1;
  rejects(bad, "record version");
  bad = good;
  bad[4] = 3;
  rejects(bad, "scheme");
  bad = good;
  bad[10] ^= 0x40;
  rejects(bad, "payload");
  rejects(good.substr(0, 20), "truncated record");
  rejects(good.substr(0, good.size() - 1), "truncated footer");
  bad = good;
  bad[bad.size() - 40] ^= 1;  // inside the boundary/offset words
  rejects(bad, "footer");
  rejects("", "empty");
  // A chunk whose raw bytes differ from what the footer's hash names.
  std::string other = MakeXorb({std::string(9000, 'b'), chunks[1]}, XetScheme::kLz4, false);
  const auto records_end = good.find("XETBLOB");
  rejects(other + good.substr(records_end), "footer of another xorb");
}

TEST(XorbFormatTest, RecordHeaderLimits) {
  uint8_t h[8];
  EncodeRecordHeader(XetRecordHeader{100, XetScheme::kNone, 100}, h);
  EXPECT_TRUE(DecodeRecordHeader(h).ok());
  EncodeRecordHeader(XetRecordHeader{100, XetScheme::kNone, 101}, h);
  EXPECT_FALSE(DecodeRecordHeader(h).ok());
  EncodeRecordHeader(XetRecordHeader{100, XetScheme::kLz4, 131073}, h);
  EXPECT_FALSE(DecodeRecordHeader(h).ok());
  EncodeRecordHeader(XetRecordHeader{262145, XetScheme::kLz4, 1000}, h);
  EXPECT_FALSE(DecodeRecordHeader(h).ok());
  EncodeRecordHeader(XetRecordHeader{0, XetScheme::kLz4, 1000}, h);
  EXPECT_FALSE(DecodeRecordHeader(h).ok());
}

}  // namespace
}  // namespace hubmirror
