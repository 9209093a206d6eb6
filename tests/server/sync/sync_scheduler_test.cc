#include "server/sync/sync_scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/xorb/xorb_object_store.h"
#include "store/hash.h"
#include "tests/server/fake_upstream.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

const std::string kCommit(40, 'c');

class SyncSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = NewXorbObjectStore(env_.get(), dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto index = Index::Open(dir_.path() + "/index.sqlite");
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::move(index).value();
    const std::string bytes = "{\"a\": 1}\n";
    EntryRecord file;
    file.path = "config.json";
    file.size = bytes.size();
    file.oid = GitBlobSha1Hex(bytes);
    upstream_.revisions = {{"main", kCommit}};
    upstream_.trees[kCommit] = {file};
    upstream_.contents["config.json"] = bytes;
    upstream_.repos_by_author["acme"] = {"acme/tiny"};
    sync_.interval_seconds = 3600;
    sync_.repos = {*ParseSyncRepoSpec("acme/*")};
  }

  // Polls (at most 10 s) until the scheduler finished `runs` runs.
  bool WaitForRuns(const SyncScheduler& scheduler, uint64_t runs) {
    for (int i = 0; i < 1000 && scheduler.runs_completed() < runs; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return scheduler.runs_completed() >= runs;
  }

  ScratchDir dir_;
  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Index> index_;
  FakeUpstream upstream_;
  SyncOptions sync_;
};

TEST_F(SyncSchedulerTest, FirstRunStartsAtOnceAndStopIsPrompt) {
  SyncScheduler scheduler(sync_, env_.get(), index_.get(), store_.get(), &upstream_, stderr);
  scheduler.Start();
  ASSERT_TRUE(WaitForRuns(scheduler, 1));
  auto ref = index_->GetRef({RepoType::kModel, "acme/tiny"}, "main");
  ASSERT_TRUE(ref.ok() && *ref);
  EXPECT_EQ((*ref)->commit, kCommit);
  // The next run is an hour away: Stop must not wait for it.
  auto start = std::chrono::steady_clock::now();
  scheduler.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(scheduler.runs_completed(), 1u);
}

TEST_F(SyncSchedulerTest, RunsAgainEveryInterval) {
  sync_.interval_seconds = 1;
  SyncScheduler scheduler(sync_, env_.get(), index_.get(), store_.get(), &upstream_, stderr);
  scheduler.Start();
  ASSERT_TRUE(WaitForRuns(scheduler, 2));
  EXPECT_EQ(upstream_.download_calls, 1) << "the second run finds everything stored";
}

TEST_F(SyncSchedulerTest, AFailedRunIsLoggedAndTheNextOneStillHappens) {
  sync_.interval_seconds = 1;
  upstream_.unreachable = true;
  SyncScheduler scheduler(sync_, env_.get(), index_.get(), store_.get(), &upstream_, stderr);
  scheduler.Start();
  ASSERT_TRUE(WaitForRuns(scheduler, 1));
  upstream_.unreachable = false;
  ASSERT_TRUE(WaitForRuns(scheduler, 3));
  auto ref = index_->GetRef({RepoType::kModel, "acme/tiny"}, "main");
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE(ref->has_value());
}

}  // namespace
}  // namespace hubmirror
