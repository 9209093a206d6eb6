#include "server/catalog/metadata_cache.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

const RepoKey kRepo{RepoType::kModel, "acme/tiny"};
const RepoKey kDataset{RepoType::kDataset, "acme/tiny"};

TEST(MetadataCacheTest, KeysSeparateReposTypesAndCommits) {
  MetadataCache cache;
  cache.PutRef(kRepo, "main", RefRecord{"a", 1});
  EXPECT_EQ(cache.GetRef(kRepo, "main")->commit, "a");
  EXPECT_FALSE(cache.GetRef(kDataset, "main").has_value());
  EntryRecord e;
  e.path = "x";
  cache.PutEntry(kRepo, "c1", e);
  EXPECT_TRUE(cache.GetEntry(kRepo, "c1", "x").has_value());
  EXPECT_FALSE(cache.GetEntry(kRepo, "c2", "x").has_value());
  cache.PutCommit(kRepo, "c1");
  EXPECT_TRUE(cache.HasCommit(kRepo, "c1"));
  EXPECT_FALSE(cache.HasCommit(kDataset, "c1"));
  cache.PutInfo(kRepo, "c1", "{}");
  EXPECT_EQ(cache.GetInfo(kRepo, "c1").value_or(""), "{}");
}

TEST(MetadataCacheTest, StaysBounded) {
  MetadataCache cache;
  for (size_t i = 0; i <= MetadataCache::kMaxEntries; ++i) {
    cache.PutRef(kRepo, "r" + std::to_string(i), RefRecord{"c", 0});
  }
  // Filling past the bound empties the map before the last insert.
  EXPECT_FALSE(cache.GetRef(kRepo, "r0").has_value());
  EXPECT_TRUE(cache.GetRef(kRepo, "r" + std::to_string(MetadataCache::kMaxEntries)).has_value());
}

}  // namespace
}  // namespace hubmirror
