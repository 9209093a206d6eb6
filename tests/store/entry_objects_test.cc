#include "store/entry_objects.h"

#include <gtest/gtest.h>

#include "store/xorb/xorb_object_store.h"
#include "store/hash.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

class EntryObjectsTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto index = Index::Open(dir_ + "/index.db");
    ASSERT_OK(index.status());
    index_ = std::move(index).value();
    auto store = NewXorbObjectStore(env_.get(), dir_);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }

  // Stores `bytes` as the entry promises them, as a pull-through would.
  void Store(const EntryRecord& entry, const std::string& bytes) {
    auto writer = store_->NewWriter(PromiseForEntry(entry));
    ASSERT_OK(writer.status());
    ASSERT_OK((*writer)->Append(bytes.data(), bytes.size()));
    auto info = (*writer)->Commit();
    ASSERT_OK(info.status());
    ASSERT_OK(index_->PutObject(ObjectRecord{info->sha256, info->git_sha1, info->size, info->xet_hash}));
  }

  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::unique_ptr<Index> index_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(EntryObjectsTest, RegularFileIsFoundByItsGitIdOnceStored) {
  const std::string bytes = "{\"a\": 1}\n";
  EntryRecord entry;
  entry.path = "config.json";
  entry.size = bytes.size();
  entry.oid = GitBlobSha1Hex(bytes);
  EXPECT_EQ(PromiseForEntry(entry).git_sha1, entry.oid);
  EXPECT_TRUE(PromiseForEntry(entry).sha256.empty());
  EXPECT_FALSE(FindStoredObject(index_.get(), store_.get(), entry)->has_value());
  Store(entry, bytes);
  auto found = FindStoredObject(index_.get(), store_.get(), entry);
  ASSERT_OK(found.status());
  EXPECT_EQ(found->value_or(""), Sha256Hex(bytes));
}

TEST_F(EntryObjectsTest, LfsFileIsNamedBySha256) {
  const std::string bytes(1000, 'x');
  EntryRecord entry;
  entry.path = "model.safetensors";
  entry.size = bytes.size();
  entry.oid = std::string(40, 'a');  // the pointer's id, not the content's
  entry.is_lfs = true;
  entry.lfs_sha256 = Sha256Hex(bytes);
  EXPECT_EQ(PromiseForEntry(entry).sha256, entry.lfs_sha256);
  EXPECT_FALSE(FindStoredObject(index_.get(), store_.get(), entry)->has_value());
  Store(entry, bytes);
  EXPECT_EQ(FindStoredObject(index_.get(), store_.get(), entry)->value_or(""), entry.lfs_sha256);
}

}  // namespace
}  // namespace hubmirror
