#include "store/index/api_document_cache.h"

#include <gtest/gtest.h>

#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

using ApiDocumentCacheTest = testing::TempDirTest;

TEST_F(ApiDocumentCacheTest, KeepsDocumentsAcrossReopening) {
  const std::string path = dir_ + "/api-cache.sqlite";
  {
    auto cache = ApiDocumentCache::Open(path);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    ASSERT_TRUE((*cache)->Put("refs x", CachedDocument{"{\"a\":1}", "/api/next", 7, 42}).ok());
    ASSERT_TRUE((*cache)->Put("refs x", CachedDocument{"{\"a\":2}", "", -1, 43}).ok());
  }
  auto cache = ApiDocumentCache::Open(path);
  ASSERT_TRUE(cache.ok());
  auto doc = (*cache)->Get("refs x");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->has_value());
  EXPECT_EQ((*doc)->body, "{\"a\":2}");
  EXPECT_EQ((*doc)->next, "");
  EXPECT_EQ((*doc)->total_count, -1);
  EXPECT_EQ((*doc)->fetched_at_micros, 43);
  EXPECT_FALSE((*cache)->Get("refs y")->has_value());
}

TEST_F(ApiDocumentCacheTest, IsBoundedDroppingTheLeastRecentlyFetched) {
  auto cache = ApiDocumentCache::Open(dir_ + "/api-cache.sqlite", /*max_documents=*/10);
  ASSERT_TRUE(cache.ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE((*cache)->Put("k" + std::to_string(i), CachedDocument{"[]", "", -1, i}).ok());
  }
  int kept = 0;
  for (int i = 0; i < 40; ++i) kept += (*cache)->Get("k" + std::to_string(i))->has_value() ? 1 : 0;
  EXPECT_LE(kept, 20);
  EXPECT_TRUE((*cache)->Get("k39")->has_value());
  EXPECT_TRUE((*cache)->Get("k30")->has_value());
  EXPECT_FALSE((*cache)->Get("k0")->has_value());
  EXPECT_FALSE(ApiDocumentCache::Open(dir_ + "/other.sqlite", 0).ok());
}

}  // namespace
}  // namespace hubmirror
