// Interleavings of the chunked store's writers, readers, Remove() and pack
// reclamation that must never make an object read back foreign bytes.
#include <gtest/gtest.h>

#include <string>

#include "tests/store/legacy/pack_store_test_base.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

class ChunkedStoreRacesTest : public testing::PackStoreTestBase {
 protected:
  // The object's bytes, or the error that stopped reading them.
  static Result<std::string> ReadAll(const ObjectReader& reader) {
    std::string out(reader.size(), '\0');
    for (uint64_t off = 0; off < out.size();) {
      HM_ASSIGN_OR_RETURN(size_t got, reader.ReadAt(off, out.data() + off, out.size() - off));
      if (got == 0) return Status::DataLoss("short object");
      off += got;
    }
    return out;
  }
};

// A writer byte-compares chunks of a stored object and decides to reuse
// them; before it commits, that object is removed (eviction, `hubmirror gc`),
// its chunks are cut off the pack's tail and another object is stored. Its
// chunks must not take over the ids (or pack offsets) the writer compared,
// and the writer's commit stores again what went and publishes its own bytes.
TEST_F(ChunkedStoreRacesTest, ReusedChunkRemovedBeforeCommitNeverPublishesForeignBytes) {
  ASSERT_OK(Put(store_.get(), RandomBytes(1 << 20, 1)).status());  // keeps the pack alive
  const std::string data = RandomBytes(1 << 20, 2);
  auto first = Put(store_.get(), data);
  ASSERT_OK(first.status());

  auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(writer.status());
  // Cuts and compares every chunk but the last few: they match `first`'s.
  ASSERT_OK((*writer)->Append(data.data(), data.size()));

  ASSERT_OK(store_->Remove(first->sha256));
  const std::string other = RandomBytes(1 << 20, 3);
  ASSERT_OK(Put(store_.get(), other).status());

  // The download was verified: the commit stores the chunks that went.
  auto committed = (*writer)->Commit();
  ASSERT_OK(committed.status());
  auto reader = store_->Open(committed->sha256);
  ASSERT_OK(reader.status());
  auto back = ReadAll(**reader);
  ASSERT_OK(back.status());
  EXPECT_TRUE(*back == data) << "the object reads back another object's bytes";
}

// Another process (`hubmirror verify`, `export`) reads an object while the
// server removes it, cuts its chunks off the pack's tail and stores a new
// object. The reader may fail, but never serve the new object's bytes.
TEST_F(ChunkedStoreRacesTest, ReaderInAnotherProcessNeverSeesBytesAppendedAfterAReclaim) {
  ASSERT_OK(Put(store_.get(), RandomBytes(1 << 20, 4)).status());  // keeps the pack alive
  const std::string data = RandomBytes(1 << 20, 5);
  auto victim = Put(store_.get(), data);
  ASSERT_OK(victim.status());

  std::unique_ptr<PackObjectStore> other_process = OpenStore();
  ASSERT_NE(other_process, nullptr);
  auto reader = other_process->Open(victim->sha256);
  ASSERT_OK(reader.status());

  ASSERT_OK(store_->Remove(victim->sha256));
  ASSERT_OK(Put(store_.get(), RandomBytes(1 << 20, 6)).status());

  auto back = ReadAll(**reader);
  if (back.ok()) {
    EXPECT_TRUE(*back == data) << "the reader got another object's bytes";
  }
}

// The first cut retires the pack (no more appends); later removals, as an
// import rolling back newest first, still cut their chunks off its tail.
TEST_F(ChunkedStoreRacesTest, RollbackNewestFirstCutsEveryObjectOffARetiredPack) {
  ASSERT_OK(Put(store_.get(), RandomBytes(1 << 20, 7)).status());
  const std::string pack = dir_ + "/chunks/packs/00000001.pack";
  const uint64_t before = *env_->FileSize(pack);
  auto a = Put(store_.get(), RandomBytes(1 << 20, 8));
  auto b = Put(store_.get(), RandomBytes(1 << 20, 9));
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  ASSERT_OK(store_->Remove(b->sha256));
  ASSERT_OK(store_->Remove(a->sha256));
  EXPECT_EQ(*env_->FileSize(pack), before);
  // New bytes go to a new pack, never to offsets the removed chunks had.
  ASSERT_OK(Put(store_.get(), RandomBytes(1 << 20, 10)).status());
  EXPECT_EQ(*env_->FileSize(pack), before);
}

}  // namespace
}  // namespace hubmirror
