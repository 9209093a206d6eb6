// Eviction order, pins, garbage collection and xorb compaction, including
// their safety beside readers and writers of the same store.
#include "store/upkeep/retention.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/index/index.h"
#include "store/index/retention_db.h"
#include "store/upkeep/store_verifier.h"
#include "tests/store/xorb/xorb_store_test_base.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

constexpr size_t kObjectBytes = 512 << 10;

RepoKey Model(const std::string& id) { return RepoKey{RepoType::kModel, id}; }

class RetentionTest : public testing::XorbStoreTestBase {
 protected:
  void SetUp() override {
    XorbStoreTestBase::SetUp();
    ASSERT_NE(store_, nullptr);
    auto index = Index::Open(testing::TestDb(dir_ + "/index.sqlite"));
    ASSERT_OK(index.status());
    index_ = std::move(index).value();
    auto retention = RetentionDb::Open(testing::TestDb(dir_ + "/retention.sqlite"));
    ASSERT_OK(retention.status());
    retention_ = std::move(retention).value();
  }

  // Stores `data` as the only file of `repo` at a commit named by `seed`,
  // with "main" pointing at it; returns its sha256.
  std::string AddRepoFile(const RepoKey& repo, const std::string& data, int seed) {
    const std::string sha = Sha256Hex(data);
    auto writer = store_->NewWriter(ObjectPromise{data.size(), sha, ""});
    EXPECT_OK(writer.status());
    EXPECT_OK((*writer)->Append(data.data(), data.size()));
    EXPECT_OK((*writer)->Commit().status());
    const std::string commit = std::string(39, 'a' + seed % 6) + std::to_string(seed % 10);
    EntryRecord entry;
    entry.path = "model-" + std::to_string(seed) + ".safetensors";
    entry.size = data.size();
    entry.oid = std::string(40, '0');
    entry.is_lfs = true;
    entry.lfs_sha256 = sha;
    EXPECT_OK(index_->PutRef(repo, "main", commit, 1));
    EXPECT_OK(index_->PutCommit(repo, commit, "{}"));
    EXPECT_OK(index_->PutEntries(repo, commit, {entry}, /*tree_complete=*/true));
    EXPECT_OK(index_->PutObject(ObjectRecord{sha, "", data.size(), ""}));
    return sha;
  }

  void Served(const std::string& sha, const RepoKey& repo, int64_t at) {
    ASSERT_OK(retention_->RecordAccess({AccessEvent{repo, sha, at}}));
  }

  std::unique_ptr<Index> index_;
  std::unique_ptr<RetentionDb> retention_;
};

TEST_F(RetentionTest, EvictsLeastRecentlyServedUnpinnedFirstDownToLowWater) {
  std::string a = AddRepoFile(Model("acme/a"), RandomBytes(kObjectBytes, 1), 1);
  std::string b = AddRepoFile(Model("acme/b"), RandomBytes(kObjectBytes, 2), 2);
  std::string c = AddRepoFile(Model("acme/c"), RandomBytes(kObjectBytes, 3), 3);
  std::string d = AddRepoFile(Model("acme/d"), RandomBytes(kObjectBytes, 4), 4);
  // Served long after their commit: b oldest, then a, c, d.
  const int64_t t = int64_t{1} << 60;
  Served(b, Model("acme/b"), t + 1);
  Served(a, Model("acme/a"), t + 2);
  Served(c, Model("acme/c"), t + 3);
  Served(d, Model("acme/d"), t + 4);
  ASSERT_OK(retention_->AddPin(Pin{Model("acme/b"), ""}));  // the oldest, but pinned

  EvictionOptions options;
  options.max_bytes = 3 * kObjectBytes + 1000;  // four objects are over it
  options.low_water_bytes = 2 * kObjectBytes + 1000;
  auto report = EvictToFit(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(report.status());
  EXPECT_EQ(report->evicted, (std::vector<std::string>{a, c}));
  EXPECT_LE(report->live_bytes_after, options.low_water_bytes);
  EXPECT_FALSE(store_->Contains(a));
  EXPECT_TRUE(store_->Contains(b));
  EXPECT_FALSE(store_->Contains(c));
  EXPECT_TRUE(store_->Contains(d));
  // Metadata stays (the file can be pulled again); the object row goes.
  auto entry = index_->GetEntry(Model("acme/a"), std::string(39, 'b') + "1", "model-1.safetensors");
  ASSERT_OK(entry.status());
  EXPECT_TRUE(entry->has_value());
  EXPECT_FALSE(index_->GetObject(a)->has_value());
  // Their xorbs went with them (nobody else needed them): the disk space is
  // back, and the store is consistent.
  EXPECT_LE(XorbFileBytes(), 2 * kObjectBytes + 2 * 1000);
  auto verified = VerifyStore(index_.get(), store_.get());
  ASSERT_OK(verified.status());
  EXPECT_TRUE(verified->problems.empty()) << verified->problems.front();

  // Under the limit nothing more goes.
  auto again = EvictToFit(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(again.status());
  EXPECT_TRUE(again->evicted.empty());
}

TEST_F(RetentionTest, NeverServedObjectsAgeFromTheirCommitAndRevisionPinsFollowTheRef) {
  std::string a = AddRepoFile(Model("acme/a"), RandomBytes(kObjectBytes, 5), 1);
  std::string b = AddRepoFile(Model("acme/b"), RandomBytes(kObjectBytes, 6), 2);
  ASSERT_OK(retention_->AddPin(Pin{Model("acme/a"), "main"}));
  EvictionOptions options;
  options.max_bytes = kObjectBytes - 1;  // even one object is over it
  options.low_water_bytes = 0;
  auto report = EvictToFit(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(report.status());
  EXPECT_EQ(report->evicted, (std::vector<std::string>{b}));
  EXPECT_TRUE(store_->Contains(a));
  // Unpinned, it goes too.
  ASSERT_TRUE(*retention_->RemovePin(Pin{Model("acme/a"), "main"}));
  EXPECT_FALSE(*retention_->RemovePin(Pin{Model("acme/a"), "main"}));
  report = EvictToFit(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(report.status());
  EXPECT_EQ(report->evicted, (std::vector<std::string>{a}));
}

// A fine-tune sharing most chunks with its pinned base frees only its own
// chunks; the round counts that down exactly instead of rescanning.
TEST_F(RetentionTest, EvictingAnObjectThatSharesChunksFreesOnlyItsOwn) {
  const std::string base_bytes = RandomBytes(4 * kObjectBytes, 11);
  const std::string tuned_bytes = base_bytes + RandomBytes(kObjectBytes, 12);
  std::string base = AddRepoFile(Model("acme/base"), base_bytes, 1);
  std::string tuned = AddRepoFile(Model("acme/tuned"), tuned_bytes, 2);
  ASSERT_OK(retention_->AddPin(Pin{Model("acme/base"), ""}));
  auto before = store_->LiveStoredBytes();
  ASSERT_OK(before.status());
  EXPECT_LT(*before, base_bytes.size() + tuned_bytes.size() - kObjectBytes);  // deduplicated
  EvictionOptions options;
  options.max_bytes = *before - 1;
  options.low_water_bytes = 0;
  auto report = EvictToFit(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(report.status());
  EXPECT_EQ(report->evicted, (std::vector<std::string>{tuned}));
  auto after = store_->LiveStoredBytes();
  ASSERT_OK(after.status());
  EXPECT_EQ(report->live_bytes_after, *after);
  EXPECT_LT(*before - *after, 2 * kObjectBytes);  // its tail, not the shared base
  EXPECT_GE(*before - *after, kObjectBytes / 2);
  auto reader = store_->Open(base);
  ASSERT_OK(reader.status());
  EXPECT_EQ(ReadAll(reader->get()), base_bytes);
}

TEST_F(RetentionTest, GcRemovesOnlyUnreferencedObjectsOlderThanMinAge) {
  std::string kept = AddRepoFile(Model("acme/a"), RandomBytes(kObjectBytes, 7), 1);
  std::string orphan_data = RandomBytes(kObjectBytes, 8);
  auto writer = store_->NewWriter(ObjectPromise{orphan_data.size(), Sha256Hex(orphan_data), ""});
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(orphan_data.data(), orphan_data.size()));
  ASSERT_OK((*writer)->Commit().status());
  const std::string orphan = Sha256Hex(orphan_data);

  GcOptions options;
  options.now_micros = env_->NowMicros();
  options.min_age_micros = 3600'000'000;  // the orphan is seconds old: spared
  auto young = CollectGarbage(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(young.status());
  EXPECT_TRUE(young->removed.empty());
  EXPECT_EQ(young->kept_too_young, 1u);
  EXPECT_TRUE(store_->Contains(orphan));

  options.min_age_micros = 0;
  options.dry_run = true;
  auto dry = CollectGarbage(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(dry.status());
  ASSERT_EQ(dry->removed.size(), 1u);
  EXPECT_TRUE(store_->Contains(orphan));

  options.dry_run = false;
  const uint64_t before = XorbFileBytes();
  auto gc = CollectGarbage(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(gc.status());
  ASSERT_EQ(gc->removed.size(), 1u);
  EXPECT_EQ(gc->removed[0].sha256, orphan);
  EXPECT_FALSE(store_->Contains(orphan));
  EXPECT_TRUE(store_->Contains(kept));
  // Its xorb (records and footer) is gone.
  EXPECT_GE(before - XorbFileBytes(), kObjectBytes);
  EXPECT_LE(before - XorbFileBytes(), kObjectBytes + 2000);
  auto reader = store_->Open(kept);
  ASSERT_OK(reader.status());
  EXPECT_EQ(ReadAll(reader->get()), RandomBytes(kObjectBytes, 7));
}

TEST_F(RetentionTest, GcWhileADownloadStreamsTheObjectCompletesWithTheRightBytes) {
  // A fine-tune shares the first half of its base's chunks; removing the
  // base leaves its xorb half dead, and compaction moves the live half.
  std::string gone_data = RandomBytes(4 * kObjectBytes, 9);
  std::string moved_data = gone_data.substr(0, 2 * kObjectBytes) + RandomBytes(kObjectBytes, 10);
  std::string gone = AddRepoFile(Model("acme/gone"), gone_data, 1);
  std::string moved = AddRepoFile(Model("acme/moved"), moved_data, 2);
  auto streaming_gone = store_->Open(gone);
  auto streaming_moved = store_->Open(moved);
  ASSERT_OK(streaming_gone.status());
  ASSERT_OK(streaming_moved.status());
  // The clients have read a first part when the collection starts.
  std::string head(1000, '\0');
  ASSERT_OK((*streaming_gone)->ReadAt(0, head.data(), head.size()).status());

  // The repo of `gone` is forgotten by the index: gc removes its object and
  // compacts its xorb, while both readers are open.
  ASSERT_OK(index_->RemoveObject(gone));
  ASSERT_OK(store_->Remove(gone));
  GcOptions options;
  options.now_micros = env_->NowMicros();
  options.min_age_micros = 0;
  auto gc = CollectGarbage(index_.get(), store_.get(), retention_.get(), options);
  ASSERT_OK(gc.status());
  EXPECT_EQ(gc->compaction.xorbs_compacted, 1u);
  EXPECT_GT(gc->compaction.chunks_moved, 0u);
  EXPECT_GT(gc->compaction.freed(), kObjectBytes);

  EXPECT_EQ(ReadAll(streaming_gone->get()), gone_data);
  EXPECT_EQ(ReadAll(streaming_moved->get()), moved_data);
  // A new reader finds the moved chunks at their new place.
  EXPECT_EQ(ReadObject(moved), moved_data);
  auto report = VerifyStore(index_.get(), store_.get());
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->problems.empty());
  EXPECT_TRUE(report->warnings.empty());
}

// A writer deduplicating against a xorb pins it: neither removal nor
// compaction touches it until the writer is done.
TEST_F(RetentionTest, CompactionLeavesAXorbAWriterDeduplicatesAgainstAlone) {
  const std::string base_data = RandomBytes(4 * kObjectBytes, 11);
  std::string kept = AddRepoFile(Model("acme/kept"), base_data, 1);
  std::string data = base_data.substr(0, 2 * kObjectBytes) + RandomBytes(kObjectBytes, 12);
  auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), data.size() / 2));

  // The base goes while the writer references its chunks: its xorb stays
  // (the removal could not take it), and neither compaction nor a leftover
  // sweep, in this process or another, takes it either.
  const uint64_t xorb_bytes = XorbFileBytes();
  ASSERT_OK(index_->RemoveObject(kept));
  ASSERT_OK(store_->Remove(kept));
  EXPECT_EQ(XorbFileBytes(), xorb_bytes);
  auto report = store_->CompactPacks(0.0);
  ASSERT_OK(report.status());
  EXPECT_EQ(report->xorbs_compacted, 0u);
  XorbStoreOptions no_grace;  // so only the writer's pin protects it
  no_grace.unreferenced_xorb_grace_micros = 0;
  auto other_process = OpenStore(no_grace);
  ASSERT_OK(other_process->Leftovers(/*trim=*/true).status());
  auto busy = other_process->CompactPacks(0.0);
  ASSERT_OK(busy.status());
  EXPECT_EQ(busy->xorbs_busy, 1u);
  EXPECT_EQ(XorbFileBytes(), xorb_bytes);

  ASSERT_OK((*writer)->Append(data.data() + data.size() / 2, data.size() - data.size() / 2));
  ASSERT_OK((*writer)->Commit().status());
  EXPECT_EQ(ReadObject(Sha256Hex(data)), data);
  // Once the writer is done, the base xorb's dead half goes.
  writer->reset();
  auto later = store_->CompactPacks(0.0);
  ASSERT_OK(later.status());
  EXPECT_EQ(later->xorbs_compacted, 1u);
  EXPECT_EQ(ReadObject(Sha256Hex(data)), data);
}

}  // namespace
}  // namespace hubmirror
