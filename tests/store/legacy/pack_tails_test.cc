// Pack bytes past the last committed chunk (a writer of the older layout
// killed mid-ingest): reported by verify as a warning when the current store
// opens such a store, cut off at start-up, and left alone while a writer
// holds the pack.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "store/legacy/pack_object_store.h"
#include "store/hash.h"
#include "store/index/index.h"
#include "store/upkeep/store_verifier.h"
#include "store/xorb/xorb_object_store.h"
#include "tests/store/legacy/pack_store_test_base.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

class PackTailsTest : public testing::PackStoreTestBase {
 protected:
  std::string Pack(int id) const {
    return dir_ + "/chunks/packs/" + (id == 1 ? "00000001" : "00000002") + ".pack";
  }
  // What a SIGKILLed writer leaves: pack bytes no catalog row names.
  static void AppendGarbage(const std::string& path, size_t n) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    const std::string bytes = RandomBytes(n, 99);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  uint64_t Size(const std::string& path) { return env_->FileSize(path).value(); }
};

TEST_F(PackTailsTest, InterruptedWritesAreAWarningForVerifyAndCutAtStartUp) {
  const std::string data = RandomBytes(1 << 20, 1);
  auto kept = Put(data);
  ASSERT_OK(kept.status());
  const uint64_t committed = Size(Pack(1));
  store_.reset();  // the crash
  AppendGarbage(Pack(1), 3 << 20);
  AppendGarbage(Pack(2), 1 << 20);  // a pack nothing was committed to

  // The current store, opened on a store of the older layout.
  auto current = NewXorbObjectStore(env_.get(), dir_);
  ASSERT_OK(current.status());
  auto index = Index::Open(dir_ + "/index.sqlite");
  ASSERT_OK(index.status());
  ASSERT_OK((*index)->PutObject(ObjectRecord{kept->sha256, "", data.size(), ""}));
  auto report = VerifyStore(index->get(), current->get());
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->problems.empty());
  ASSERT_EQ(report->warnings.size(), 2u);
  EXPECT_NE(report->warnings[0].find("3145728 bytes"), std::string::npos) << report->warnings[0];

  auto cut = (*current)->Leftovers(/*trim=*/true);
  ASSERT_OK(cut.status());
  uint64_t bytes = 0;
  for (const StoreLeftover& leftover : *cut) bytes += leftover.bytes;
  EXPECT_EQ(bytes, uint64_t{4} << 20);
  EXPECT_EQ(Size(Pack(1)), committed);
  EXPECT_FALSE(env_->FileExists(Pack(2)));

  report = VerifyStore(index->get(), current->get());
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->problems.empty());
  EXPECT_TRUE(report->warnings.empty());
  EXPECT_EQ(report->bytes_checked, data.size());
}

// A writer (here or in another process) holds its pack's flock: its
// uncommitted appends are not an interrupted write and stay.
TEST_F(PackTailsTest, APackAWriterHoldsIsNeitherReportedNorCut) {
  const std::string data = RandomBytes(6 << 20, 2);
  auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));  // > 4 MiB: in the pack
  const uint64_t appended = Size(Pack(1));
  ASSERT_GT(appended, 0u);

  std::unique_ptr<PackObjectStore> other_process = OpenStore();
  ASSERT_NE(other_process, nullptr);
  auto seen = other_process->UnreferencedPackTails(/*trim=*/false);
  ASSERT_OK(seen.status());
  EXPECT_TRUE(seen->empty());
  auto cut = other_process->UnreferencedPackTails(/*trim=*/true);
  ASSERT_OK(cut.status());
  EXPECT_TRUE(cut->empty());
  EXPECT_EQ(Size(Pack(1)), appended);

  auto info = (*writer)->Commit();
  ASSERT_OK(info.status());
  auto reader = other_process->Open(info->sha256);
  ASSERT_OK(reader.status());
  std::string back(data.size(), '\0');
  auto got = (*reader)->ReadAt(0, back.data(), back.size());
  ASSERT_OK(got.status());
  EXPECT_TRUE(back == data);
}

}  // namespace
}  // namespace hubmirror
