#include "store/xet/shard_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace hubmirror {
namespace {

// Writes shard records the way xet-core lays them out.
class ShardBuilder {
 public:
  ShardBuilder() {
    const uint8_t tag[32] = {'H', 'F', 'R', 'e', 'p', 'o', 'M', 'e', 't', 'a', 'D',
                             'a', 't', 'a', 0,   85,  105, 103, 69,  106, 123, 129,
                             87,  131, 165, 189, 217, 92,  205, 209, 74,  169};
    bytes_.append(reinterpret_cast<const char*>(tag), 32);
    U64(2);
    U64(0);
  }
  ShardBuilder& Hash(const XetHash& h) {
    bytes_.append(reinterpret_cast<const char*>(h.bytes.data()), 32);
    return *this;
  }
  ShardBuilder& U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  ShardBuilder& U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  ShardBuilder& Bookend() {
    bytes_.append(32, '\xff');
    bytes_.append(16, '\0');
    return *this;
  }
  ShardBuilder& FileHeader(const XetHash& h, uint32_t flags, uint32_t entries) {
    return Hash(h).U32(flags).U32(entries).U64(0);
  }
  ShardBuilder& Term(const XetHash& xorb, uint32_t bytes, uint32_t start, uint32_t end) {
    return Hash(xorb).U32(0).U32(bytes).U32(start).U32(end);
  }
  ShardBuilder& Extra(const XetHash& h) { return Hash(h).U64(0).U64(0); }
  ShardBuilder& XorbHeader(const XetHash& h, uint32_t chunks, uint32_t raw) {
    return Hash(h).U32(0).U32(chunks).U32(raw).U32(0);
  }
  ShardBuilder& Chunk(const XetHash& h, uint32_t start, uint32_t size) {
    return Hash(h).U32(start).U32(size).U32(0).U32(0);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

XetHash H(uint8_t fill) {
  XetHash h;
  h.bytes.fill(fill);
  return h;
}

constexpr uint32_t kVerification = 1u << 31;
constexpr uint32_t kMetadata = 1u << 30;

TEST(ShardFormatTest, ParsesFilesWithTheirExtrasAndXorbs) {
  ShardBuilder b;
  b.FileHeader(H(1), kVerification | kMetadata, 2)
      .Term(H(7), 300, 0, 2)
      .Term(H(8), 50, 4, 5)
      .Extra(H(21))
      .Extra(H(22))
      .Extra(H(30))
      .FileHeader(H(2), 0, 1)
      .Term(H(7), 100, 2, 3)
      .Bookend()
      .XorbHeader(H(7), 3, 400)
      .Chunk(H(41), 0, 100)
      .Chunk(H(42), 100, 200)
      .Chunk(H(43), 300, 100)
      .Bookend();
  Result<ParsedShard> shard = ParseShard(b.bytes());
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  ASSERT_EQ(shard->files.size(), 2u);
  const ShardFile& first = shard->files[0];
  EXPECT_EQ(first.file_hash, H(1));
  ASSERT_EQ(first.terms.size(), 2u);
  EXPECT_EQ(first.terms[1].xorb, H(8));
  EXPECT_EQ(first.terms[1].unpacked_bytes, 50u);
  EXPECT_EQ(first.terms[1].chunk_start, 4u);
  EXPECT_EQ(first.terms[1].chunk_end, 5u);
  EXPECT_EQ(first.verification, (std::vector<XetHash>{H(21), H(22)}));
  ASSERT_TRUE(first.sha256.has_value());
  EXPECT_EQ(*first.sha256, H(30));
  EXPECT_FALSE(shard->files[1].sha256.has_value());
  EXPECT_TRUE(shard->files[1].verification.empty());
  ASSERT_EQ(shard->xorbs.size(), 1u);
  EXPECT_EQ(shard->xorbs[0].raw_bytes, 400u);
  ASSERT_EQ(shard->xorbs[0].chunks.size(), 3u);
  EXPECT_EQ(shard->xorbs[0].chunks[2].hash, H(43));
  EXPECT_EQ(shard->xorbs[0].chunks[2].raw_start, 300u);
}

TEST(ShardFormatTest, RefusesMalformedShardsNamingTheFault) {
  const auto refused = [](const std::string& bytes, const std::string& words) {
    Result<ParsedShard> shard = ParseShard(bytes);
    ASSERT_FALSE(shard.ok());
    EXPECT_EQ(shard.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(shard.status().message().find(words), std::string::npos) << shard.status().ToString();
  };
  refused("", "header tag");
  refused(std::string(48, 'x'), "header tag");
  {
    ShardBuilder b;
    std::string bytes = b.bytes();
    bytes[32] = 3;  // version
    refused(bytes, "version");
  }
  refused(ShardBuilder().bytes(), "file section has no bookend");
  refused(ShardBuilder().Bookend().bytes(), "xorb section has no bookend");
  // A count far beyond the body: refused before anything is allocated.
  refused(ShardBuilder().FileHeader(H(1), kVerification, 0xffffffff).Bookend().Bookend().bytes(),
          "more entries than the body holds");
  refused(ShardBuilder().FileHeader(H(1), 0, 1).Term(H(7), 10, 3, 3).Bookend().Bookend().bytes(),
          "empty chunk range");
  refused(ShardBuilder().Bookend().XorbHeader(H(7), 2, 30).Chunk(H(1), 0, 10).Chunk(H(2), 11, 20)
              .Bookend().bytes(),
          "does not follow");
  refused(ShardBuilder().Bookend().XorbHeader(H(7), 1, 30).Chunk(H(1), 0, 10).Bookend().bytes(),
          "do not add up");
  refused(ShardBuilder().Bookend().XorbHeader(H(7), 0, 0).Bookend().bytes(), "no chunks");
  refused(std::string(kMaxShardBytes + 1, '\0'), "larger than");
}

uint64_t U64At(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

TEST(ShardFormatTest, DedupShardHidesChunkHashesBehindItsKeyAndIndexesThem) {
  ShardXorb xorb;
  xorb.hash = H(7);
  xorb.raw_bytes = 300;
  xorb.chunks = {{H(41), 0, 100}, {H(42), 100, 150}, {H(43), 250, 50}};
  const XetHash key = H(99);
  const std::string shard = SerializeDedupShard({xorb}, key, 1000, 4600);

  // Header, an empty file section, 1 + 3 xorb records and a bookend, the
  // lookups (1 xorb: 12 bytes; 3 chunks: 16 bytes each), the footer.
  ASSERT_EQ(shard.size(), 48u + 48 + 4 * 48 + 48 + 12 + 3 * 16 + kShardFooterBytes);
  EXPECT_EQ(U64At(shard, 40), kShardFooterBytes);
  const size_t footer = shard.size() - kShardFooterBytes;
  EXPECT_EQ(U64At(shard, footer), 1u);                 // version
  EXPECT_EQ(U64At(shard, footer + 16), 96u);           // xorb_info_offset
  EXPECT_EQ(U64At(shard, footer + 48), 1u);            // xorb lookup entries
  EXPECT_EQ(U64At(shard, footer + 64), 3u);            // chunk lookup entries
  EXPECT_EQ(std::memcmp(shard.data() + footer + 72, key.bytes.data(), 32), 0);
  EXPECT_EQ(U64At(shard, footer + 104), 1000u);        // created
  EXPECT_EQ(U64At(shard, footer + 112), 4600u);        // expires
  EXPECT_EQ(U64At(shard, shard.size() - 8), footer);   // footer_offset

  // The upload parser reads the same records (footer and lookups ignored):
  // chunk hashes are keyed, sizes and offsets are as stored.
  Result<ParsedShard> parsed = ParseShard(shard);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->xorbs.size(), 1u);
  EXPECT_EQ(parsed->xorbs[0].hash, H(7));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(parsed->xorbs[0].chunks[i].hash, XetHmac(key, xorb.chunks[i].hash));
    EXPECT_NE(parsed->xorbs[0].chunks[i].hash, xorb.chunks[i].hash);
    EXPECT_EQ(parsed->xorbs[0].chunks[i].raw_size, xorb.chunks[i].raw_size);
  }

  // Chunk lookup: sorted by the keyed hash's first word, each naming the
  // xorb header's record index (0) and the chunk.
  const size_t chunk_lookup = U64At(shard, footer + 56);
  uint64_t previous = 0;
  for (size_t i = 0; i < 3; ++i) {
    const size_t at = chunk_lookup + 16 * i;
    const uint64_t word = U64At(shard, at);
    EXPECT_GE(word, previous);
    previous = word;
    const uint32_t record = static_cast<uint32_t>(U64At(shard, at + 8) & 0xffffffff);
    const uint32_t chunk = static_cast<uint32_t>(U64At(shard, at + 8) >> 32);
    EXPECT_EQ(record, 0u);
    const XetHash keyed = XetHmac(key, xorb.chunks[chunk].hash);
    EXPECT_EQ(word, U64At(std::string(reinterpret_cast<const char*>(keyed.bytes.data()), 32), 0));
  }
}

}  // namespace
}  // namespace hubmirror
