#include "server/pull_through.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <string_view>
#include <mutex>
#include <set>

#include "store/xorb/xorb_object_store.h"
#include "store/hash.h"
#include "tests/server/fake_upstream.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

class PullThroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto index = Index::Open(dir_.path() + "/index.sqlite");
    ASSERT_TRUE(index.ok());
    index_ = std::move(index).value();
    auto store = NewXorbObjectStore(env_.get(), dir_.path());
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    options_.max_concurrent_fetches = 2;
    options_.store_dir = dir_.path();
    upstream_.contents["file.txt"] = kContent;
    pull_ = std::make_unique<PullThrough>(options_, env_.get(), index_.get(), store_.get(),
                                          &upstream_);
  }

  EntryRecord Entry(const std::string& oid) {
    EntryRecord e;
    e.path = "file.txt";
    e.size = kContent.size();
    e.oid = oid;
    return e;
  }

  // Reads the whole object through the fetch, as a client would.
  Result<std::string> ReadAll(ObjectFetch& fetch) {
    std::string out;
    while (out.size() < fetch.size()) {
      HM_ASSIGN_OR_RETURN(uint64_t readable, fetch.WaitReadable(out.size(), 10'000));
      std::string buf(readable, '\0');
      HM_ASSIGN_OR_RETURN(size_t got, fetch.Read(out.size(), buf.data(), buf.size()));
      out.append(buf.data(), got);
    }
    return out;
  }

  const std::string kContent = "0123456789";
  ScratchDir dir_;
  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::unique_ptr<Index> index_;
  std::unique_ptr<ObjectStore> store_;
  ServerOptions options_;
  FakeUpstream upstream_;
  std::unique_ptr<PullThrough> pull_;
  RepoKey repo_{RepoType::kModel, "acme/tiny"};
  std::string commit_ = std::string(40, 'c');
};

TEST_F(PullThroughTest, ConcurrentRequestsShareOneFetchAndStoreTheObject) {
  upstream_.HoldDownloadsAfter(3);
  auto a = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  auto b = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(pull_->fetches_started(), 1u);
  upstream_.Release();
  auto bytes = ReadAll(**a);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, kContent);
  EXPECT_EQ(upstream_.download_calls, 1);
  ASSERT_TRUE((*a)->WaitDone(5000).ok());

  const std::string sha = Sha256Hex(kContent);
  EXPECT_TRUE(store_->Contains(sha));
  auto object = index_->FindObjectByGitSha1(GitBlobSha1Hex(kContent));
  ASSERT_TRUE(object.ok() && object->has_value());
  EXPECT_EQ((*object)->sha256, sha);
}

TEST_F(PullThroughTest, AnObjectStoredSinceTheCallerLookedIsNotFetchedAgain) {
  auto first = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(ReadAll(**first).ok());
  // The fetch has committed; wait (bounded) until it has left the running set.
  Result<std::shared_ptr<ObjectFetch>> again = *first;
  for (int i = 0; i < 500; ++i) {
    again = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
    if (!again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(pull_->fetches_started(), 1u);
  EXPECT_EQ(upstream_.download_calls, 1);
}

TEST_F(PullThroughTest, LastByteIsHeldBackUntilVerified) {
  upstream_.HoldDownloadsAfter(kContent.size());
  auto fetch = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  ASSERT_TRUE(fetch.ok());
  // Every byte has arrived, but the transfer has not finished: one is held.
  for (int i = 0; i < 500; ++i) {
    auto readable = (*fetch)->WaitReadable(0, 10'000);
    ASSERT_TRUE(readable.ok());
    if (*readable == kContent.size() - 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(*(*fetch)->WaitReadable(0, 10'000), kContent.size() - 1);
  upstream_.Release();
  auto last = (*fetch)->WaitReadable(kContent.size() - 1, 10'000);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 1u);
}

// A connection parked on a fetch (the event loop's BodyReadiness) is woken,
// without a thread waiting, once the bytes it needs or the verdict arrive.
TEST_F(PullThroughTest, ReadinessWakesAParkedReaderWhenBytesOrTheVerdictArrive) {
  upstream_.HoldDownloadsAfter(kContent.size());
  auto fetch = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  ASSERT_TRUE(fetch.ok());
  for (int i = 0; i < 500 && !(*fetch)->ReadyOrNotify(kContent.size() - 2, false, nullptr); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Every byte but the last is readable; the last waits for the verdict.
  EXPECT_TRUE((*fetch)->ReadyOrNotify(0, false, nullptr));
  std::atomic<int> wakes{0};
  EXPECT_FALSE((*fetch)->ReadyOrNotify(kContent.size() - 1, false, [&] { wakes++; }));
  EXPECT_FALSE((*fetch)->ReadyOrNotify(0, /*need_verified=*/true, [&] { wakes++; }));
  EXPECT_EQ(wakes.load(), 0);
  upstream_.Release();
  for (int i = 0; i < 500 && wakes.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(wakes.load(), 2) << "each registered wake is called once";
  EXPECT_TRUE((*fetch)->ReadyOrNotify(kContent.size() - 1, true, nullptr));
}

TEST_F(PullThroughTest, CorruptTransferFailsReadersAndStoresNothing) {
  const std::string wrong_oid(40, 'e');
  auto fetch = pull_->StartOrJoin(repo_, commit_, Entry(wrong_oid));
  ASSERT_TRUE(fetch.ok());
  auto bytes = ReadAll(**fetch);
  EXPECT_EQ(bytes.status().code(), StatusCode::kDataLoss) << bytes.status().ToString();
  EXPECT_FALSE(store_->Contains(Sha256Hex(kContent)));
  auto object = index_->FindObjectByGitSha1(wrong_oid);
  ASSERT_TRUE(object.ok());
  EXPECT_FALSE(object->has_value());
  // The failed fetch is forgotten: the next request starts a new one.
  for (int i = 0; i < 500 && pull_->StartOrJoin(repo_, commit_, Entry(wrong_oid))->get() == fetch->get(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(pull_->fetches_started(), 2u);
}

// The store's filesystem as full as a test wants it.
class FullDiskEnv : public EnvWrapper {
 public:
  explicit FullDiskEnv(Env* target, uint64_t available = 1000)
      : EnvWrapper(target), available_(available) {}
  Result<uint64_t> AvailableBytes(const std::string&) override { return available_; }

 private:
  uint64_t available_;
};

TEST_F(PullThroughTest, FullDiskRefusesBeforeFetchingAnything) {
  FullDiskEnv full(env_.get());
  options_.min_free_bytes = 4096;
  PullThrough pull(options_, &full, index_.get(), store_.get(), &upstream_);
  auto fetch = pull.StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  EXPECT_EQ(fetch.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(fetch.status().message().find("file.txt"), std::string::npos);
  EXPECT_EQ(upstream_.download_calls, 0);
}

TEST_F(PullThroughTest, RoomIsCountedOncePerObjectAndForTransfersInFlight) {
  const std::string other = "abcdefghij";
  upstream_.contents["other.txt"] = other;
  options_.min_free_bytes = 0;
  // 10-byte files, written once (as their chunks): one needs 10 bytes.
  FullDiskEnv tight(env_.get(), 5);
  PullThrough too_small(options_, &tight, index_.get(), store_.get(), &upstream_);
  EXPECT_EQ(too_small.StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent))).status().code(),
            StatusCode::kResourceExhausted);

  FullDiskEnv room_for_one(env_.get(), 15);
  PullThrough pull(options_, &room_for_one, index_.get(), store_.get(), &upstream_);
  upstream_.HoldDownloadsAfter(0);
  auto first = pull.StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EntryRecord second = Entry(GitBlobSha1Hex(other));
  second.path = "other.txt";
  auto refused = pull.StartOrJoin(repo_, commit_, second);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted)
      << "the first transfer's 10 bytes are spoken for";
  upstream_.Release();
}

// A store whose next writer's Commit fails transiently once and finishes
// that writer, as the chunked store's does when it cannot commit.
class FlakyCommitStore : public ObjectStore {
 public:
  explicit FlakyCommitStore(ObjectStore* target) : target_(target) {}
  bool Contains(const std::string& sha256) override { return target_->Contains(sha256); }
  Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) override {
    return target_->Open(sha256);
  }
  Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) override {
    ++writers;
    HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, target_->NewWriter(promise));
    return std::unique_ptr<ObjectWriter>(new Writer(std::move(writer), writers == 1));
  }
  Status Remove(const std::string& sha256) override { return target_->Remove(sha256); }
  Status CleanTemporaryFiles() override { return target_->CleanTemporaryFiles(); }
  int writers = 0;

 private:
  class Writer : public ObjectWriter {
   public:
    Writer(std::unique_ptr<ObjectWriter> w, bool fail) : w_(std::move(w)), fail_(fail) {}
    Status Append(const char* d, size_t n) override {
      return finished_ ? Status::FailedPrecondition("writer finished") : w_->Append(d, n);
    }
    uint64_t bytes_written() const override { return w_->bytes_written(); }
    Result<size_t> ReadWritten(uint64_t o, char* b, size_t n) const override {
      return w_->ReadWritten(o, b, n);
    }
    Status Reset() override { return w_->Reset(); }
    Result<ObjectInfo> Verify() override {
      if (finished_) return Status::FailedPrecondition("writer was aborted");
      return w_->Verify();
    }
    Result<ObjectInfo> Commit() override {
      if (finished_) return Status::FailedPrecondition("writer was aborted");
      if (fail_) {
        finished_ = true;
        return Status::Unavailable("a reused chunk was removed concurrently");
      }
      return w_->Commit();
    }
    const ObjectPromise& promise() const override { return w_->promise(); }

   private:
    std::unique_ptr<ObjectWriter> w_;
    const bool fail_;
    bool finished_ = false;
  };
  ObjectStore* target_;
};

TEST_F(PullThroughTest, AFailedCommitIsNotResumedTheNextRequestStartsOver) {
  FlakyCommitStore flaky(store_.get());
  PullThrough pull(options_, env_.get(), index_.get(), &flaky, &upstream_);
  const EntryRecord entry = Entry(GitBlobSha1Hex(kContent));
  auto first = pull.StartOrJoin(repo_, commit_, entry);
  ASSERT_TRUE(first.ok());
  // Its readers either got every (verified) byte before the commit failed,
  // or see the failure; never wrong bytes.
  auto first_bytes = ReadAll(**first);
  if (first_bytes.ok()) {
    EXPECT_EQ(*first_bytes, kContent);
  } else {
    EXPECT_TRUE(first_bytes.status().retryable()) << first_bytes.status().ToString();
  }
  EXPECT_TRUE((*first)->WaitDone(5000).retryable());
  // The failed fetch leaves (it is finished before its readers are told).
  std::shared_ptr<ObjectFetch> second;
  for (int i = 0; i < 500; ++i) {
    auto next = pull.StartOrJoin(repo_, commit_, entry);
    ASSERT_TRUE(next.ok());
    if (next->get() != first->get()) {
      second = *next;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(second, nullptr);
  auto bytes = ReadAll(*second);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, kContent);
  EXPECT_EQ(flaky.writers, 2);  // a new writer, not the finished one resumed
  ASSERT_TRUE(second->WaitDone(5000).ok());
  EXPECT_TRUE(store_->Contains(Sha256Hex(kContent)));
}

TEST_F(PullThroughTest, UnreachableUpstreamFailsTheFetch) {
  upstream_.unreachable = true;
  auto fetch = pull_->StartOrJoin(repo_, commit_, Entry(GitBlobSha1Hex(kContent)));
  ASSERT_TRUE(fetch.ok());
  auto readable = (*fetch)->WaitReadable(0, 10'000);
  EXPECT_TRUE(readable.status().retryable()) << readable.status().ToString();
}

// Leases as PostgreSQL keeps them for a cluster, in memory: a name is held
// by at most one lease at a time.
class FakeClusterLocks final : public ClusterLocks {
 public:
  class Lease final : public ClusterLease {
   public:
    Lease(FakeClusterLocks* owner, std::string name) : owner_(owner), name_(std::move(name)) {}
    ~Lease() override { owner_->Release(name_); }

   private:
    FakeClusterLocks* owner_;
    std::string name_;
  };
  Result<std::unique_ptr<ClusterLease>> TryAcquire(std::string_view name) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!held_.insert(std::string(name)).second) return std::unique_ptr<ClusterLease>();
    return std::unique_ptr<ClusterLease>(new Lease(this, std::string(name)));
  }
  void Release(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(name);
  }

 private:
  std::mutex mu_;
  std::set<std::string> held_;
};

// Two nodes of a cluster: two PullThroughs on one store and index, sharing
// leases.
class ClusterPullThroughTest : public PullThroughTest {
 protected:
  void SetUp() override {
    PullThroughTest::SetUp();
    pull_ = std::make_unique<PullThrough>(options_, env_.get(), index_.get(), store_.get(),
                                          &upstream_, &leases_);
    other_node_ = std::make_unique<PullThrough>(options_, env_.get(), index_.get(), store_.get(),
                                                &upstream_, &leases_);
  }
  void TearDown() override {
    other_node_.reset();
    pull_.reset();
  }

  FakeClusterLocks leases_;
  std::unique_ptr<PullThrough> other_node_;
};

TEST_F(ClusterPullThroughTest, AnotherNodeWaitsForTheFetchAndServesTheStoredObject) {
  upstream_.HoldDownloadsAfter(3);
  const EntryRecord entry = Entry(GitBlobSha1Hex(kContent));
  auto first = pull_->StartOrJoin(repo_, commit_, entry);
  ASSERT_TRUE(first.ok());
  std::atomic<bool> returned{false};
  Result<std::shared_ptr<ObjectFetch>> second = Status::Internal("not run");
  std::thread waiter([&] {
    second = other_node_->StartOrJoin(repo_, commit_, entry);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(returned.load()) << "the second node did not wait for the lease";
  upstream_.Release();
  ASSERT_TRUE(ReadAll(**first).ok());
  waiter.join();
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists) << second.status().ToString();
  EXPECT_EQ(upstream_.download_calls, 1);
  EXPECT_EQ(other_node_->fetches_started(), 0u);
}

TEST_F(ClusterPullThroughTest, ALeaseThatEndsWithoutTheObjectIsTakenOver) {
  const EntryRecord entry = Entry(GitBlobSha1Hex(kContent));
  // A node that took the lease and died before committing anything.
  auto dead_node = leases_.TryAcquire("git:" + entry.oid);
  ASSERT_TRUE(dead_node.ok() && *dead_node != nullptr);
  std::atomic<bool> returned{false};
  Result<std::shared_ptr<ObjectFetch>> fetch = Status::Internal("not run");
  std::thread waiter([&] {
    fetch = other_node_->StartOrJoin(repo_, commit_, entry);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(returned.load());
  EXPECT_EQ(upstream_.download_calls, 0);
  dead_node->reset();  // its session ends
  waiter.join();
  ASSERT_TRUE(fetch.ok()) << fetch.status().ToString();
  auto bytes = ReadAll(**fetch);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, kContent);
  ASSERT_TRUE((*fetch)->WaitDone(5000).ok());
  EXPECT_EQ(upstream_.download_calls, 1);
  EXPECT_TRUE(store_->Contains(Sha256Hex(kContent)));
}

}  // namespace
}  // namespace hubmirror
