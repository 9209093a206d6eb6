// Sync list spellings and their expansion into SyncTargets.
#include "fetcher/sync_list.h"

#include <gtest/gtest.h>

#include "tests/fetcher/memory_upstream.h"

namespace hubmirror {
namespace testing_sync {
namespace {

SyncRepoSpec Parse(const std::string& text) {
  Result<SyncRepoSpec> spec = ParseSyncRepoSpec(text);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
  return spec.ok() ? *spec : SyncRepoSpec{};
}

TEST(SyncListTest, ParsesEverySpelling) {
  SyncRepoSpec model = Parse("acme/tiny-model@v1");
  EXPECT_EQ(model.type, RepoType::kModel);
  EXPECT_EQ(model.id, "acme/tiny-model");
  EXPECT_EQ(model.revisions, std::vector<std::string>{"v1"});
  EXPECT_FALSE(model.whole_author);

  SyncRepoSpec dataset = Parse("datasets/acme/tiny-dataset");
  EXPECT_EQ(dataset.type, RepoType::kDataset);
  EXPECT_EQ(dataset.id, "acme/tiny-dataset");
  EXPECT_TRUE(dataset.revisions.empty());

  SyncRepoSpec pr = Parse("acme/tiny-model@refs/pr/1");
  EXPECT_EQ(pr.revisions, std::vector<std::string>{"refs/pr/1"});

  SyncRepoSpec author = Parse("acme/*");
  EXPECT_TRUE(author.whole_author);
  EXPECT_EQ(author.id, "acme");
  EXPECT_EQ(author.ToString(), "acme/*");
  EXPECT_EQ(Parse("datasets/acme/*").ToString(), "datasets/acme/*");
  EXPECT_EQ(Parse("models/acme/x").id, "acme/x");
  SyncRepoSpec space = Parse("spaces/acme/tiny-space@main");
  EXPECT_EQ(space.type, RepoType::kSpace);
  EXPECT_EQ(space.id, "acme/tiny-space");
  EXPECT_EQ(space.ToString(), "spaces/acme/tiny-space");
  EXPECT_EQ(Parse("gpt-mini").id, "gpt-mini");
}

TEST(SyncListTest, RejectsMalformedSpecsWithTheAcceptedForms) {
  for (const char* bad :
       {"", "acme/x@", "../x", "a/b/c", "spaces/a/b/c", "*/x", "a/b/*", "acme/x@a/../b", "/*"}) {
    Result<SyncRepoSpec> spec = ParseSyncRepoSpec(bad);
    EXPECT_FALSE(spec.ok()) << bad;
    if (!spec.ok()) {
      EXPECT_NE(spec.status().message().find("org/name[@rev]"), std::string::npos)
          << spec.status().message();
    }
  }
}

TEST(SyncListTest, MergesRevisionsOfTheSameRepoAndExpandsAuthors) {
  MemoryUpstream upstream;
  upstream.SetRepos(RepoType::kModel, "acme", {"acme/a", "acme/b"});
  SyncRepoSpec json_only = Parse("acme/c");
  json_only.include = {"*.json"};
  std::vector<SyncRepoSpec> specs = {Parse("acme/a@main"), Parse("acme/a@v1"), Parse("acme/a@main"),
                                     Parse("acme/*"), json_only};
  std::vector<Status> errors;
  std::vector<SyncTarget> targets = ExpandSyncList(specs, &upstream, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].repo.id, "acme/a");
  EXPECT_EQ(targets[0].revisions, (std::vector<std::string>{"main", "v1"}));
  EXPECT_EQ(targets[1].repo.id, "acme/b");
  EXPECT_EQ(targets[1].revisions, std::vector<std::string>{"main"});
  EXPECT_EQ(targets[2].repo.id, "acme/c");
  EXPECT_TRUE(targets[2].filter.Matches("config.json"));
  EXPECT_FALSE(targets[2].filter.Matches("model.bin"));
}

TEST(SyncListTest, AnAuthorWithoutReposIsAnErrorButOthersStillExpand) {
  MemoryUpstream upstream;
  std::vector<Status> errors;
  std::vector<SyncTarget> targets =
      ExpandSyncList({Parse("nobody/*"), Parse("acme/a")}, &upstream, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message().find("nobody"), std::string::npos) << errors[0].message();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].repo.id, "acme/a");
}

}  // namespace
}  // namespace testing_sync
}  // namespace hubmirror
