// RepoSyncer against an in-memory upstream and a real store and index in a
// temp directory: visibility, resume, incremental runs, filters, the
// concurrency bound, and corrupt bytes.
#include "fetcher/repo_sync.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "store/xorb/xorb_object_store.h"
#include "store/hash.h"
#include "tests/fetcher/memory_upstream.h"

namespace hubmirror {
namespace testing_sync {
namespace {

const std::string kC1(40, '1');
const std::string kC2(40, '2');
const RepoKey kRepo{RepoType::kModel, "acme/model"};

class RepoSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/hubmirror-sync-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    env_ = NewPosixEnv();
    auto store = NewXorbObjectStore(env_.get(), dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto index = Index::Open(dir_ + "/index.sqlite");
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::move(index).value();

    upstream_.AddFile(kC1, "config.json", "{\"v\": 1}\n");
    upstream_.AddFile(kC1, "model.safetensors", std::string(100'000, 'a'), /*lfs=*/true);
    upstream_.AddFile(kC1, "tokenizer/vocab.txt", "hello\nworld\n");
    upstream_.SetRef("main", kC1);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  RepoSyncer MakeSyncer(int concurrency = 4) {
    return RepoSyncer(env_.get(), index_.get(), store_.get(), &upstream_,
                      RepoSyncerOptions{concurrency, nullptr});
  }
  SyncReport SyncOk(RepoSyncer& syncer, SyncTarget target) {
    Result<SyncReport> report = syncer.Sync(target, nullptr);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return {};
    EXPECT_TRUE(report->ok()) << report->FirstError().ToString();
    return *report;
  }
  std::string RefOf(const std::string& revision) {
    auto ref = index_->GetRef(kRepo, revision);
    EXPECT_TRUE(ref.ok());
    return ref.ok() && *ref ? (*ref)->commit : "";
  }
  bool Stored(const std::string& bytes) { return store_->Contains(Sha256Hex(bytes)); }

  std::string dir_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Index> index_;
  MemoryUpstream upstream_;
};

TEST_F(RepoSyncTest, StoresEveryFileThenPublishesCommitTreeAndRef) {
  RepoSyncer syncer = MakeSyncer();
  SyncReport report = SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}});
  ASSERT_EQ(report.revisions.size(), 1u);
  EXPECT_EQ(report.revisions[0].commit, kC1);
  EXPECT_EQ(report.revisions[0].files_selected, 3u);
  EXPECT_EQ(report.revisions[0].files_transferred, 3u);
  EXPECT_FALSE(report.revisions[0].unchanged);
  EXPECT_EQ(RefOf("main"), kC1);
  auto commit = index_->GetCommit(kRepo, kC1);
  ASSERT_TRUE(commit.ok() && *commit);
  EXPECT_TRUE((*commit)->tree_complete);
  auto entries = index_->ListEntries(kRepo, kC1, "", true);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 4u);  // three files and the tokenizer folder
  EXPECT_TRUE(Stored("{\"v\": 1}\n"));
  EXPECT_TRUE(Stored(std::string(100'000, 'a')));
  // Regular files are findable by their git blob id, as the server looks them up.
  auto object = index_->FindObjectByGitSha1(GitBlobSha1Hex("hello\nworld\n"));
  ASSERT_TRUE(object.ok() && *object);
}

TEST_F(RepoSyncTest, RefIsNotUpdatedUntilEveryFileIsStored) {
  RepoSyncer syncer = MakeSyncer(2);
  upstream_.Hold();
  std::thread sync([&] { SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}}); });
  ASSERT_TRUE(upstream_.WaitForRunning(2));
  EXPECT_EQ(RefOf("main"), "");
  auto commit = index_->GetCommit(kRepo, kC1);
  ASSERT_TRUE(commit.ok());
  EXPECT_FALSE(commit->has_value()) << "commit published before its files";
  upstream_.Release();
  sync.join();
  EXPECT_EQ(RefOf("main"), kC1);
}

TEST_F(RepoSyncTest, FailedFileKeepsThePreviousCommitAndResumesLater) {
  RepoSyncer syncer = MakeSyncer();
  SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}});
  // main moves to C2 with a new file whose download breaks.
  upstream_.AddFile(kC2, "config.json", "{\"v\": 2}\n");
  upstream_.AddFile(kC2, "model.safetensors", std::string(100'000, 'a'), true);
  upstream_.AddFile(kC2, "extra.bin", std::string(50'000, 'x'), true);
  upstream_.AddFile(kC2, "tokenizer/vocab.txt", "hello\nworld\n");
  upstream_.SetRef("main", kC2);
  upstream_.FailDownloadOf("extra.bin");

  Result<SyncReport> failed = syncer.Sync(SyncTarget{kRepo, {"main"}, {}}, nullptr);
  ASSERT_TRUE(failed.ok());
  Status error = failed->FirstError();
  EXPECT_EQ(error.code(), StatusCode::kUnavailable);
  EXPECT_NE(error.message().find("acme/model@main"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("extra.bin"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("re-run"), std::string::npos) << error.message();
  EXPECT_EQ(failed->revisions[0].files_failed, 1u);
  EXPECT_EQ(RefOf("main"), kC1) << "the previous complete commit must stay served";
  auto c2 = index_->GetCommit(kRepo, kC2);
  ASSERT_TRUE(c2.ok());
  EXPECT_FALSE(c2->has_value());
  EXPECT_TRUE(Stored("{\"v\": 2}\n")) << "files that arrived are kept for the next run";

  upstream_.HealAll();
  int downloads_before = upstream_.download_calls;
  SyncReport resumed = SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}});
  EXPECT_EQ(upstream_.download_calls - downloads_before, 1) << "only the missing file";
  EXPECT_EQ(resumed.revisions[0].files_transferred, 1u);
  EXPECT_EQ(RefOf("main"), kC2);
}

TEST_F(RepoSyncTest, SecondSyncOfAnUnchangedRepoMovesOnlyMetadata) {
  RepoSyncer syncer = MakeSyncer();
  SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}});
  int revisions = upstream_.revision_calls, trees = upstream_.tree_calls;
  int downloads = upstream_.download_calls;
  SyncReport again = SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}});
  EXPECT_TRUE(again.revisions[0].unchanged);
  EXPECT_EQ(again.revisions[0].files_transferred, 0u);
  EXPECT_EQ(upstream_.revision_calls - revisions, 1);
  EXPECT_EQ(upstream_.tree_calls, trees);
  EXPECT_EQ(upstream_.download_calls, downloads);
}

TEST_F(RepoSyncTest, FilterStoresOnlySelectedFilesButTheWholeTree) {
  RepoSyncer syncer = MakeSyncer();
  SyncReport report = SyncOk(syncer, SyncTarget{kRepo, {"main"}, PathFilter({"*.json"}, {})});
  EXPECT_EQ(report.revisions[0].files_selected, 1u);
  EXPECT_TRUE(Stored("{\"v\": 1}\n"));
  EXPECT_FALSE(Stored(std::string(100'000, 'a')));
  EXPECT_FALSE(Stored("hello\nworld\n"));
  auto entries = index_->ListEntries(kRepo, kC1, "", true);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 4u);
  EXPECT_EQ(RefOf("main"), kC1);
}

TEST_F(RepoSyncTest, ConcurrencyBoundIsRespected) {
  for (int i = 0; i < 12; ++i) {
    upstream_.AddFile(kC2, "shard-" + std::to_string(i) + ".bin", std::string(10'000 + i, 's'),
                      true);
  }
  upstream_.SetRef("main", kC2);
  RepoSyncer syncer = MakeSyncer(3);
  upstream_.Hold();
  std::thread sync([&] { SyncOk(syncer, SyncTarget{kRepo, {"main"}, {}}); });
  EXPECT_TRUE(upstream_.WaitForRunning(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // give a 4th a chance to show
  EXPECT_EQ(upstream_.max_running, 3);
  upstream_.Release();
  sync.join();
  EXPECT_EQ(upstream_.max_running, 3);
  EXPECT_EQ(upstream_.download_calls, 12);
}

TEST_F(RepoSyncTest, CorruptBytesAreDataLossAndNothingIsCommitted) {
  std::string wrong(100'000, 'a');
  wrong[500] = 'b';
  upstream_.Corrupt("model.safetensors", wrong);
  RepoSyncer syncer = MakeSyncer();
  Result<SyncReport> report = syncer.Sync(SyncTarget{kRepo, {"main"}, {}}, nullptr);
  ASSERT_TRUE(report.ok());
  Status error = report->FirstError();
  EXPECT_EQ(error.code(), StatusCode::kDataLoss) << error.ToString();
  EXPECT_NE(error.message().find("model.safetensors"), std::string::npos);
  EXPECT_FALSE(Stored(wrong));
  EXPECT_FALSE(Stored(std::string(100'000, 'a')));
  EXPECT_EQ(RefOf("main"), "");
  auto commit = index_->GetCommit(kRepo, kC1);
  ASSERT_TRUE(commit.ok());
  EXPECT_FALSE(commit->has_value());
}

TEST_F(RepoSyncTest, UnknownRevisionNamesRepoRevisionAndFix) {
  RepoSyncer syncer = MakeSyncer();
  Result<SyncReport> report = syncer.Sync(SyncTarget{kRepo, {"main", "nope"}, {}}, nullptr);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->revisions.size(), 2u);
  EXPECT_TRUE(report->revisions[0].status.ok()) << "a bad revision does not stop the others";
  Status error = report->revisions[1].status;
  EXPECT_EQ(error.hub_error(), HubError::kRevisionNotFound);
  EXPECT_NE(error.message().find("acme/model@nope"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("check the revision"), std::string::npos) << error.message();
}

TEST_F(RepoSyncTest, MalformedTargetIsRejectedBeforeAnyCall) {
  RepoSyncer syncer = MakeSyncer();
  EXPECT_FALSE(syncer.Sync(SyncTarget{{RepoType::kModel, "../x"}, {"main"}, {}}, nullptr).ok());
  EXPECT_FALSE(syncer.Sync(SyncTarget{kRepo, {"a/../b"}, {}}, nullptr).ok());
  EXPECT_EQ(upstream_.revision_calls, 0);
}

TEST_F(RepoSyncTest, CancelStopsDownloadsAndPublishesNothing) {
  std::atomic<bool> cancel{true};
  RepoSyncer syncer(env_.get(), index_.get(), store_.get(), &upstream_,
                    RepoSyncerOptions{2, &cancel});
  Result<SyncReport> report = syncer.Sync(SyncTarget{kRepo, {"main"}, {}}, nullptr);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(upstream_.download_calls, 0);
  EXPECT_EQ(RefOf("main"), "");
}

}  // namespace
}  // namespace testing_sync
}  // namespace hubmirror
