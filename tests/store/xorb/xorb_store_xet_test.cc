// The store's Xet units for serving and pulling: files by Xet hash with
// where their records lie, chunks read by hash, what Xet pulls remember.
#include <gtest/gtest.h>

#include "store/xet/xet_hash.h"
#include "store/xet/xorb_format.h"
#include "tests/store/xorb/xorb_store_test_base.h"

namespace hubmirror::testing {
namespace {

class XorbStoreXetTest : public XorbStoreTestBase {};

TEST_F(XorbStoreXetTest, FindsAFileByItsXetHashWithTheRecordsOfEachTerm) {
  const std::string data = RandomBytes(3 << 20, 7);
  auto info = Put(data);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto file = store_->FindXetFile(*XetHash::FromHex(info->xet_hash));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->row.sha256, info->sha256);
  ASSERT_FALSE(file->terms.empty());
  // The records of every term lie in its xorb and read back as the file.
  std::string rebuilt;
  for (const XetServedTerm& t : file->terms) {
    auto xorb = store_->OpenXorb(t.term.xorb);
    ASSERT_TRUE(xorb.ok());
    ASSERT_LE(t.record_end, xorb->size);
    std::string records(t.record_end - t.record_start, '\0');
    ASSERT_TRUE(ReadExactlyAt(*xorb->file, t.record_start, records.data(), records.size(), "short")
                    .ok());
    XetChunkCodec codec;
    for (size_t at = 0; at < records.size();) {
      auto header = DecodeRecordHeader(reinterpret_cast<const uint8_t*>(records.data() + at));
      ASSERT_TRUE(header.ok());
      std::string raw(header->raw_size, '\0');
      ASSERT_TRUE(codec.Decode(header->scheme,
                               reinterpret_cast<const uint8_t*>(records.data() + at + 8),
                               header->stored_size, reinterpret_cast<uint8_t*>(raw.data()),
                               raw.size())
                      .ok());
      rebuilt += raw;
      at += 8 + header->stored_size;
    }
  }
  EXPECT_EQ(rebuilt, data);
  auto same = store_->XetFileOf(info->sha256);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->terms.size(), file->terms.size());
  EXPECT_EQ(store_->FindXetFile(XetHash{}).status().code(), StatusCode::kNotFound);
}

TEST_F(XorbStoreXetTest, RemembersUpstreamChunksOnlyWhileTheirBytesAreStored) {
  const std::string data = RandomBytes(200000, 3);
  auto info = Put(data);
  ASSERT_TRUE(info.ok());
  auto file = store_->XetFileOf(info->sha256);
  ASSERT_TRUE(file.ok());
  // The first stored chunk, by hash.
  auto xorb = store_->OpenXorb(file->terms[0].term.xorb);
  ASSERT_TRUE(xorb.ok());
  std::string header(8, '\0');
  ASSERT_TRUE(ReadExactlyAt(*xorb->file, 0, header.data(), 8, "short").ok());
  auto h = DecodeRecordHeader(reinterpret_cast<const uint8_t*>(header.data()));
  ASSERT_TRUE(h.ok());
  const XetHash chunk = XetChunkHash(data.data(), h->raw_size);
  auto raw = store_->ReadChunk(chunk);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, data.substr(0, h->raw_size));

  XetHash upstream_xorb;
  upstream_xorb.bytes.fill(9);
  XetHash unknown_chunk;
  unknown_chunk.bytes.fill(1);
  ASSERT_TRUE(store_->RememberUpstreamChunks(upstream_xorb, {{4, chunk, h->raw_size, 100, 50},
                                                              {5, unknown_chunk, 10, 150, 18}})
                  .ok());
  auto known = store_->KnownUpstreamChunks(upstream_xorb, 0, 10);
  ASSERT_TRUE(known.ok());
  ASSERT_EQ(known->size(), 1u);  // chunk 5's bytes are not stored
  EXPECT_EQ((*known)[0], (UpstreamXorbChunk{4, chunk, h->raw_size, 100, 50}));
  EXPECT_TRUE(store_->KnownUpstreamChunks(upstream_xorb, 5, 10)->empty());
  // Once the file goes, so does what the chunk could be used for.
  ASSERT_TRUE(store_->Remove(info->sha256).ok());
  EXPECT_TRUE(store_->KnownUpstreamChunks(upstream_xorb, 0, 10)->empty());
  EXPECT_EQ(store_->ReadChunk(chunk).status().code(), StatusCode::kNotFound);
}

TEST_F(XorbStoreXetTest, XetPullTotalsAddUpAcrossInstances) {
  ASSERT_TRUE(store_->RecordXetPull({1, 100, 900}).ok());
  auto other = OpenStore();
  ASSERT_TRUE(other->RecordXetPull({1, 50, 0}).ok());
  auto totals = store_->XetPullTotals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->files, 2u);
  EXPECT_EQ(totals->fetched_bytes, 150u);
  EXPECT_EQ(totals->saved_bytes, 900u);
}

}  // namespace
}  // namespace hubmirror::testing
