#include "server/catalog/repo_catalog.h"

#include <gtest/gtest.h>

#include "tests/server/fake_upstream.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

const std::string kCommitA(40, 'a');
const std::string kCommitB(40, 'b');

EntryRecord File(const std::string& path, const std::string& oid_char) {
  EntryRecord e;
  e.path = path;
  e.size = 3;
  e.oid = std::string(40, oid_char[0]);
  return e;
}

EntryRecord Folder(const std::string& path) {
  EntryRecord e;
  e.path = path;
  e.is_directory = true;
  e.oid = std::string(40, 'd');
  return e;
}

class RepoCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto index = Index::Open(dir_.path() + "/index.sqlite");
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::move(index).value();
    options_.revision_ttl_seconds = 60;
    upstream_.revisions = {{"main", kCommitA}, {kCommitA, kCommitA}, {kCommitB, kCommitB}};
    upstream_.trees[kCommitA] = {Folder("sub"), File("a.txt", "1"), File("sub/b.txt", "2")};
    catalog_ = std::make_unique<RepoCatalog>(options_, &env_, index_.get(), &upstream_);
  }

  ScratchDir dir_;
  std::unique_ptr<Env> posix_ = NewPosixEnv();
  ManualClockEnv env_{posix_.get()};
  std::unique_ptr<Index> index_;
  ServerOptions options_;
  FakeUpstream upstream_;
  std::unique_ptr<RepoCatalog> catalog_;
  RepoKey repo_{RepoType::kModel, "acme/tiny"};
};

TEST_F(RepoCatalogTest, BranchIsCachedForItsTtlThenReResolved) {
  auto first = catalog_->ResolveRevision(repo_, "main");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->commit, kCommitA);
  EXPECT_EQ(upstream_.revision_calls, 1);

  env_.AdvanceSeconds(59);
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main").ok());
  EXPECT_EQ(upstream_.revision_calls, 1);

  upstream_.revisions["main"] = kCommitB;
  env_.AdvanceSeconds(2);
  auto moved = catalog_->ResolveRevision(repo_, "main");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->commit, kCommitB);
  EXPECT_EQ(upstream_.revision_calls, 2);
}

TEST_F(RepoCatalogTest, KnownCommitIsNeverAskedAgain) {
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, kCommitA).ok());
  env_.AdvanceSeconds(1'000'000);
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, kCommitA).ok());
  EXPECT_EQ(upstream_.revision_calls, 1);
}

TEST_F(RepoCatalogTest, UnreachableUpstreamServesLastKnownCommitAsStale) {
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main").ok());
  env_.AdvanceSeconds(3600);
  upstream_.unreachable = true;
  auto stale = catalog_->ResolveRevision(repo_, "main");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->commit, kCommitA);
  EXPECT_TRUE(stale->stale);
  auto unknown = catalog_->ResolveRevision(repo_, "dev");
  EXPECT_TRUE(unknown.status().retryable());
}

TEST_F(RepoCatalogTest, DeadUpstreamIsNotAskedAgainDuringTheHold) {
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main").ok());
  env_.AdvanceSeconds(3600);
  upstream_.unreachable = true;
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main")->stale);
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main")->stale);
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main")->stale);
  EXPECT_EQ(upstream_.revision_calls, 2) << "one failed call, then answers from the index";
}

TEST_F(RepoCatalogTest, UpstreamVerdictsPassThrough) {
  auto missing = catalog_->ResolveRevision(repo_, "nope");
  EXPECT_EQ(missing.status().hub_error(), HubError::kRevisionNotFound);
}

TEST_F(RepoCatalogTest, OfflineAnswersFromIndexOnly) {
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main").ok());
  RepoCatalog offline(options_, &env_, index_.get(), nullptr);
  env_.AdvanceSeconds(3600);
  auto known = offline.ResolveRevision(repo_, "main");
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(known->commit, kCommitA);
  // Offline, a branch is the last one seen, never confirmed: marked stale
  // however recently it was resolved; a commit is never stale.
  EXPECT_TRUE(known->stale);
  env_.AdvanceSeconds(-3600);
  RepoCatalog fresh_offline(options_, &env_, index_.get(), nullptr);
  EXPECT_TRUE(fresh_offline.ResolveRevision(repo_, "main")->stale);
  EXPECT_TRUE(fresh_offline.ResolveRevision(repo_, "main")->stale) << "from the memory cache";
  EXPECT_FALSE(fresh_offline.ResolveRevision(repo_, kCommitA)->stale);
  EXPECT_EQ(offline.ResolveRevision(repo_, "dev").status().hub_error(),
            HubError::kRevisionNotFound);
  EXPECT_EQ(offline.ResolveRevision({RepoType::kModel, "other/repo"}, "main").status().hub_error(),
            HubError::kRepoNotFound);
}

TEST_F(RepoCatalogTest, HeadFallsBackToMainWhenUpstreamCannotBeAsked) {
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, "main").ok());
  RepoCatalog offline(options_, &env_, index_.get(), nullptr);
  auto head = offline.ResolveRevision(repo_, "HEAD");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->commit, kCommitA);
  // Online, HEAD is still asked upstream (the default branch may not be main).
  upstream_.revisions["HEAD"] = kCommitB;
  auto online = catalog_->ResolveRevision(repo_, "HEAD");
  ASSERT_TRUE(online.ok());
  EXPECT_EQ(online->commit, kCommitB);
}

// huggingface_hub 0.x downloads a snapshot from the siblings of the repo
// info and never lists the tree; the stored info must still answer tree and
// paths-info questions when the upstream is gone (it used to be "not
// mirrored").
TEST_F(RepoCatalogTest, TreeComesFromTheRepoInfoWhenNeverListedAndUpstreamGone) {
  const std::string blob(40, '1');
  upstream_.infos[kCommitB] = R"({"id":"acme/tiny","sha":")" + kCommitB +
                              R"(","siblings":[{"rfilename":"a.txt","size":3,"blobId":")" + blob +
                              R"("},{"rfilename":"sub/deep/b.bin","size":9,"blobId":")" + blob +
                              R"(","lfs":{"sha256":")" + std::string(64, 'e') +
                              R"(","size":9,"pointerSize":128}}]})";
  ASSERT_TRUE(catalog_->ResolveRevision(repo_, kCommitB).ok());
  ASSERT_TRUE(catalog_->RepoInfoJson(repo_, kCommitB).ok());
  upstream_.unreachable = true;
  RepoCatalog offline(options_, &env_, index_.get(), nullptr);
  for (RepoCatalog* catalog : {catalog_.get(), &offline}) {
    auto all = catalog->ListTree(repo_, kCommitB, "", /*recursive=*/true);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    std::vector<std::string> paths;
    for (const EntryRecord& e : *all) paths.push_back(e.path + (e.is_directory ? "/" : ""));
    EXPECT_EQ(paths, (std::vector<std::string>{"a.txt", "sub/", "sub/deep/", "sub/deep/b.bin"}));
    auto top = catalog->ListTree(repo_, kCommitB, "sub", /*recursive=*/false);
    ASSERT_TRUE(top.ok());
    ASSERT_EQ(top->size(), 1u);
    EXPECT_EQ((*top)[0].path, "sub/deep");
    EXPECT_EQ(catalog->ListTree(repo_, kCommitB, "nope", false).status().hub_error(),
              HubError::kEntryNotFound);
    auto entries = catalog->LookupEntries(repo_, kCommitB, {"sub/deep", "sub/deep/b.bin", "x"});
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_TRUE((*entries)[0].is_directory);
    EXPECT_TRUE((*entries)[1].is_lfs);
    EXPECT_EQ((*entries)[1].lfs_sha256, std::string(64, 'e'));
  }
  // A commit whose info names no files keeps the upstream's failure.
  EXPECT_FALSE(offline.ListTree(repo_, kCommitA, "", true).ok());
}

TEST_F(RepoCatalogTest, TreeIsFetchedOnceAndListedFromIndex) {
  auto root = catalog_->ListTree(repo_, kCommitA, "", /*recursive=*/false);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->size(), 2u);
  auto all = catalog_->ListTree(repo_, kCommitA, "", /*recursive=*/true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto sub = catalog_->ListTree(repo_, kCommitA, "sub", false);
  ASSERT_TRUE(sub.ok());
  ASSERT_EQ(sub->size(), 1u);
  EXPECT_EQ((*sub)[0].path, "sub/b.txt");
  EXPECT_EQ(catalog_->ListTree(repo_, kCommitA, "a.txt", false).status().hub_error(),
            HubError::kEntryNotFound);
  EXPECT_EQ(upstream_.tree_calls, 1);
}

TEST_F(RepoCatalogTest, LookupFileAsksPathsInfoUntilTheTreeIsKnown) {
  auto file = catalog_->LookupFile(repo_, kCommitA, "sub/b.txt");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(upstream_.paths_info_calls, 1);
  ASSERT_TRUE(catalog_->LookupFile(repo_, kCommitA, "sub/b.txt").ok());
  EXPECT_EQ(upstream_.paths_info_calls, 1) << "an entry once known comes from the index";
  EXPECT_EQ(catalog_->LookupFile(repo_, kCommitA, "sub").status().hub_error(),
            HubError::kEntryNotFound);
  EXPECT_EQ(catalog_->LookupFile(repo_, kCommitA, "nope").status().hub_error(),
            HubError::kEntryNotFound);
}

TEST_F(RepoCatalogTest, LastCommitsComeFromUpstreamOrFallBackToTheCommit) {
  std::vector<EntryRecord> entries = {File("a.txt", "1")};
  catalog_->FillLastCommits(repo_, kCommitA, &entries);
  EXPECT_NE(entries[0].last_commit_json.find("\"title\":\"t\""), std::string::npos);
  upstream_.unreachable = true;
  std::vector<EntryRecord> offline = {File("sub/b.txt", "2")};
  catalog_->FillLastCommits(repo_, kCommitA, &offline);
  EXPECT_NE(offline[0].last_commit_json.find(kCommitA), std::string::npos);
}

}  // namespace
}  // namespace hubmirror
