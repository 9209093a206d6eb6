// Xorbs in a bucket with this node's directory as their bounded cache
// (xorb_files.h): reads of xorbs the cache lacks fetch them, the cache stays
// within its size, and a cache smaller than one xorb still serves.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/hash.h"
#include "store/xorb/xorb_object_store.h"
#include "tests/store/shared_store_util.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

class BucketCacheTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    env_ = NewPosixEnv();
    bucket_ = std::make_unique<testing::MemoryObjectStorage>(env_.get());
  }
  std::unique_ptr<ChunkedObjectStore> Open(uint64_t cache_bytes,
                                           int64_t delete_grace_micros = 3600'000'000) {
    XorbStoreOptions options;
    options.bucket = bucket_.get();
    options.cache_bytes = cache_bytes;
    options.bucket_delete_grace_micros = delete_grace_micros;
    auto store = NewXorbObjectStore(env_.get(), dir_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  static std::string ReadAll(ChunkedObjectStore* store, const std::string& sha256) {
    auto reader = store->Open(sha256);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return "";
    std::string out((*reader)->size(), '\0');
    for (size_t off = 0; off < out.size();) {
      auto got = (*reader)->ReadAt(off, out.data() + off, out.size() - off);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || *got == 0) break;
      off += *got;
    }
    return out;
  }
  uint64_t CachedBytes() {
    uint64_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_ + "/xet/xorbs", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) n += it->file_size();
    }
    return n;
  }
  std::string Put(ChunkedObjectStore* store, const std::string& data) {
    auto writer = store->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
    EXPECT_TRUE(writer.ok());
    EXPECT_OK((*writer)->Append(data.data(), data.size()));
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->sha256 : "";
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<testing::MemoryObjectStorage> bucket_;  // outlives the stores
};

TEST_F(BucketCacheTest, EveryXorbIsInTheBucketBeforeItsFileCommits) {
  auto store = Open(uint64_t{1} << 30);
  const std::string data = testing::RandomBytes(3 << 20, 7);
  const std::string sha = Put(store.get(), data);
  EXPECT_GE(bucket_->object_count(), 1u);
  auto problems = store->CheckSharedXorbs();
  ASSERT_OK(problems.status());
  EXPECT_TRUE(problems->empty());
  EXPECT_TRUE(ReadAll(store.get(), sha) == data);
}

// Regression: a cache smaller than one xorb evicted the xorb it had just
// fetched before its reader could open it (NotFound).
TEST_F(BucketCacheTest, ACacheSmallerThanOneXorbStillServesAndStaysBounded) {
  const std::string data = testing::RandomBytes(3 << 20, 8);
  std::string sha;
  {
    auto writer_store = Open(uint64_t{1} << 30);
    sha = Put(writer_store.get(), data);
  }
  std::filesystem::remove_all(dir_ + "/xet/xorbs");  // a node with a cold cache
  auto store = Open(64 << 10);
  const uint64_t gets_before = bucket_->gets();
  EXPECT_TRUE(ReadAll(store.get(), sha) == data);
  EXPECT_GT(bucket_->gets(), gets_before);
  EXPECT_LE(CachedBytes(), uint64_t{64} << 10);
  // And again, after the eviction.
  store = Open(64 << 10);
  EXPECT_TRUE(ReadAll(store.get(), sha) == data);
}

TEST_F(BucketCacheTest, AMissingBucketObjectIsAProblemForVerify) {
  auto store = Open(uint64_t{1} << 30);
  const std::string sha = Put(store.get(), testing::RandomBytes(1 << 20, 9));
  ASSERT_FALSE(sha.empty());
  ASSERT_OK(bucket_->Delete("xorbs/01/1.xorb"));
  auto problems = store->CheckSharedXorbs();
  ASSERT_OK(problems.status());
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].find("missing from memory bucket"), std::string::npos);
}

// Removal deletes rows at once but the bucket object only after the grace
// period: a reader on another node that resolved the file just before still
// gets its bytes.
TEST_F(BucketCacheTest, ARemovedXorbStaysInTheBucketForTheGracePeriod) {
  auto store = Open(uint64_t{1} << 30);
  const std::string data = testing::RandomBytes(2 << 20, 10);
  const std::string sha = Put(store.get(), data);
  ASSERT_EQ(bucket_->object_count(), 1u);
  // Another node has resolved the file (its reader holds the terms)...
  auto other_node_reader = store->Open(sha);
  ASSERT_OK(other_node_reader.status());
  std::filesystem::remove_all(dir_ + "/xet/xorbs");  // ...and caches nothing
  store = Open(uint64_t{1} << 30);                    // this node, cache cold
  ASSERT_OK(store->Remove(sha));
  ASSERT_OK(store->CompactPacks(0.0).status());
  ASSERT_OK(store->Leftovers(/*trim=*/true).status());
  EXPECT_EQ(bucket_->object_count(), 1u) << "deleted within the grace period";
  EXPECT_FALSE(store->Contains(sha));
  EXPECT_TRUE(store->CheckSharedXorbs()->empty());
  // Past the grace period the next sweep deletes it.
  store = Open(uint64_t{1} << 30, /*delete_grace_micros=*/0);
  ASSERT_OK(store->CompactPacks(0.0).status());
  EXPECT_EQ(bucket_->object_count(), 0u);
}

}  // namespace
}  // namespace hubmirror
