#include "store/xet/xet_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/hash.h"
#include "store/xet/xet_chunker.h"
#include "tests/store/xet/xet_test_data.h"

namespace hubmirror {
namespace {

XetHash FromHex(const std::string& hex) {
  auto h = XetHash::FromHex(hex);
  EXPECT_TRUE(h.has_value()) << hex;
  return h.value_or(XetHash{});
}

std::vector<XetNode> ChunkNodes(const std::string& data) {
  std::vector<XetNode> nodes;
  size_t start = 0;
  for (size_t end : testing::XetChunkEnds(data)) {
    nodes.push_back(XetNode{XetChunkHash(data.data() + start, end - start), end - start});
    start = end;
  }
  return nodes;
}

TEST(XetHashTest, HexRuleReversesEachEightByteGroup) {  // vector A
  const uint8_t raw[32] = {0x16, 0xaf, 0x3a, 0x84, 0x04, 0x4b, 0x83, 0xd6, 0xbe, 0x99, 0x8a,
                           0x42, 0xe2, 0x03, 0x99, 0xf2, 0xcc, 0x56, 0x50, 0xea, 0xf9, 0x99,
                           0x50, 0x63, 0x9f, 0x50, 0x41, 0x8a, 0xec, 0xe7, 0x95, 0x4e};
  XetHash h;
  std::copy(raw, raw + 32, h.bytes.begin());
  const std::string hex = "d6834b04843aaf16f29903e2428a99be635099f9ea5056cc4e95e7ec8a41509f";
  EXPECT_EQ(h.ToHex(), hex);
  EXPECT_EQ(FromHex(hex), h);
  EXPECT_EQ(XetHash::FromHex("D6834B04843AAF16F29903E2428A99BE635099F9EA5056CC4E95E7EC8A41509F"), h);
  EXPECT_FALSE(XetHash::FromHex(hex.substr(1)).has_value());
  EXPECT_FALSE(XetHash::FromHex(hex.substr(1) + "g").has_value());
}

TEST(XetHashTest, HelloWorld) {  // vector B
  const std::string text = "hello world";
  const XetHash chunk = XetChunkHash(text.data(), text.size());
  EXPECT_EQ(chunk.ToHex(), "4e39378b9d359f118190557a1f44130219a54e5fcfa07bd96cf50b466fe651b1");
  EXPECT_EQ(chunk.bytes[0], 0x11);
  EXPECT_EQ(chunk.bytes[1], 0x9f);
  EXPECT_EQ(XetXorbHash({XetNode{chunk, text.size()}}), chunk);
  EXPECT_EQ(XetFileHash({XetNode{chunk, text.size()}}).ToHex(),
            "f15edd43b7e85cfd25e2758ffe13b99fdd09dfa817e8d9f6548722a7a126db7f");
  EXPECT_EQ(XetVerificationHash(&chunk, 1).ToHex(),
            "22ef2fdcff5cea306e42ad7e15ed8a0c5e789e7d2ec34658c10d2758946847da");
  auto sha = XetHashFromSha256Hex(Sha256Hex(text));
  ASSERT_TRUE(sha.has_value());
  EXPECT_EQ(sha->ToHex(), "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  EXPECT_EQ(sha->bytes[0], 0x08);
  EXPECT_EQ(sha->bytes[1], 0x3e);
  EXPECT_EQ(sha->bytes[7], 0xb9);
}

TEST(XetHashTest, OneMegabyteOfSplitMix64) {  // vector C
  const std::string data = testing::SplitMix64Bytes(1000000, 0);
  ASSERT_EQ(static_cast<uint8_t>(data[0]), 175);
  ASSERT_EQ(static_cast<uint8_t>(data[127]), 132);
  ASSERT_EQ(static_cast<uint8_t>(data[111111]), 118);
  std::vector<XetNode> nodes = ChunkNodes(data);
  ASSERT_EQ(nodes.size(), 19u);
  EXPECT_EQ(nodes[0].hash.ToHex(),
            "6eca1e7dadaf08cca5d82d318c800f07c2ddcec115a7e8627e5edd9605b94b8d");
  EXPECT_EQ(nodes[18].size, 8908u);
  EXPECT_EQ(nodes[18].hash.ToHex(),
            "03e5b5f5a088269ec4b329f1e04debfac4cb54b9c0facf038f7e8e0f054be7e2");
  EXPECT_EQ(XetXorbHash(nodes).ToHex(),
            "6f2ce16ca5e317f0100ff0e7e5bf40a0de9032e9ee1ad04b6b8ff4e36cdfbf6c");
  EXPECT_EQ(XetFileHash(nodes).ToHex(),
            "3d17b2d7d64a0e011b6717a52d9a16bd2c3f05b743fa8adf52a7d75dafab6d89");
  std::vector<XetHash> hashes;
  for (const XetNode& n : nodes) hashes.push_back(n.hash);
  EXPECT_EQ(XetVerificationHash(hashes.data(), hashes.size()).ToHex(),
            "6daf15a7ed258b91f607e8f5e6723a8564292d12c8104c156f7bad9c255a0180");
  EXPECT_EQ(Sha256Hex(data), "b3d0a1f7938cd4d8413a4dcffd4313e2e8ac0cb61cb1090eb140ea8e9154befb");
}

TEST(XetHashTest, MerkleOfThreeGivenLeaves) {  // vector F
  std::vector<XetNode> leaves = {
      {FromHex("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6"), 100},
      {FromHex("c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72"), 200},
      {FromHex("0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37"), 300}};
  EXPECT_EQ(XetXorbHash(leaves).ToHex(),
            "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc");
  EXPECT_EQ(XetFileHash(leaves).ToHex(),
            "54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715");
}

TEST(XetHashTest, EmptyFileAndEmptyXorbAreZeros) {
  EXPECT_TRUE(XetFileHash({}).IsZero());
  EXPECT_TRUE(XetXorbHash({}).IsZero());
  EXPECT_EQ(XetFileHash({}).ToHex(), std::string(64, '0'));
}

TEST(XetHashTest, InternalNodeTextIsHexSpaceColonSpaceSize) {
  // One child: the node hashes "<hex> : <size>\n" with the internal key, so
  // the root of two leaves differs from either leaf and depends on sizes.
  XetNode a{XetChunkHash("a", 1), 1}, b{XetChunkHash("b", 1), 1};
  XetHash ab = XetMerkleRoot({a, b});
  EXPECT_NE(ab, a.hash);
  EXPECT_EQ(ab, XetInternalNodeHash(std::vector<XetNode>{a, b}.data(), 2));
  XetNode b2 = b;
  b2.size = 2;
  EXPECT_NE(XetMerkleRoot({a, b2}), ab);
}

TEST(XetHashTest, ChunkHasherInPiecesEqualsTheWholeChunkAndStartsAfreshAfterFinish) {
  std::string chunk(200000, '\0');
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>((i * 131) >> 3);
  XetChunkHasher hasher;
  // Pieces that cross BLAKE3's 1 KiB chunks and 64-byte blocks unevenly.
  for (size_t at = 0; at < chunk.size();) {
    const size_t n = std::min<size_t>(chunk.size() - at, 1 + (at * 7) % 5000);
    hasher.Update(chunk.data() + at, n);
    at += n;
  }
  EXPECT_EQ(hasher.Finish(), XetChunkHash(chunk.data(), chunk.size()));
  hasher.Update("hello ", 6);
  hasher.Update("world", 5);
  EXPECT_EQ(hasher.Finish().ToHex(),
            "4e39378b9d359f118190557a1f44130219a54e5fcfa07bd96cf50b466fe651b1");  // vector B
  hasher.Update("stale", 5);
  hasher.Reset();
  EXPECT_EQ(hasher.Finish(), XetChunkHash("", 0));
}

}  // namespace
}  // namespace hubmirror
