#include "store/legacy/file_object_store.h"

#include <errno.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "store/env.h"
#include "store/hash.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

ObjectPromise PromiseFor(const std::string& data) {
  ObjectPromise p;
  p.size = data.size();
  p.sha256 = Sha256Hex(data);
  p.git_sha1 = GitBlobSha1Hex(data);
  return p;
}

std::string ReadObject(ObjectStore& store, const std::string& sha256) {
  auto reader = store.Open(sha256);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return {};
  std::string out((*reader)->size(), '\0');
  auto n = (*reader)->ReadAt(0, out.data(), out.size());
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

std::string ReadWritten(const ObjectWriter& w, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  auto r = w.ReadWritten(offset, out.data(), n);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  out.resize(r.ok() ? *r : 0);
  return out;
}

// Injects failures into an otherwise real filesystem.
class FaultEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;

  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
    Status Append(const char* data, size_t n) override {
      if (env_->append_budget >= 0) {
        if (static_cast<int64_t>(n) > env_->append_budget) {
          // Simulate a partial write before the disk filled up.
          size_t partial = static_cast<size_t>(env_->append_budget);
          env_->append_budget = 0;
          if (partial > 0) (void)base_->Append(data, partial);
          return Status::FromErrno(ENOSPC, "injected");
        }
        env_->append_budget -= static_cast<int64_t>(n);
      }
      return base_->Append(data, n);
    }
    Result<size_t> ReadAt(uint64_t o, char* b, size_t n) const override {
      return base_->ReadAt(o, b, n);
    }
    Status Truncate(uint64_t s) override { return base_->Truncate(s); }
    Status Sync() override {
      if (env_->fail_sync) return Status::FromErrno(EIO, "injected");
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }

   private:
    FaultEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    HM_ASSIGN_OR_RETURN(auto base, target()->NewWritableFile(p));
    return std::unique_ptr<WritableFile>(new File(this, std::move(base)));
  }
  Status RenameFile(const std::string& f, const std::string& t) override {
    if (fail_rename) return Status::FromErrno(EIO, "injected rename");
    return target()->RenameFile(f, t);
  }

  int64_t append_budget = -1;  // bytes Append may still write; -1 = unlimited
  bool fail_sync = false;
  bool fail_rename = false;
};

class FileObjectStoreTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    root_ = dir_ + "/store";
    auto store = NewFileObjectStore(&fault_env_, root_);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  size_t ObjectFiles() const { return CountFiles(root_ + "/objects"); }
  size_t TempFiles() const { return CountFiles(root_ + "/tmp"); }

  Result<ObjectInfo> Store(const std::string& data, ObjectPromise promise) {
    HM_ASSIGN_OR_RETURN(auto writer, store_->NewWriter(promise));
    HM_RETURN_IF_ERROR(writer->Append(data.data(), data.size()));
    return writer->Commit();
  }

  std::unique_ptr<Env> env_ = NewPosixEnv();
  FaultEnv fault_env_{env_.get()};
  std::string root_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(FileObjectStoreTest, WriteCommitReadBack) {
  const std::string data = "hello\n";
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append("hel", 3));
  ASSERT_OK((*writer)->Append("lo\n", 3));
  EXPECT_EQ((*writer)->bytes_written(), 6u);
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));  // invisible until Commit
  auto info = (*writer)->Commit();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->sha256, Sha256Hex(data));
  EXPECT_EQ(info->git_sha1, "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(info->size, 6u);

  EXPECT_TRUE(store_->Contains(info->sha256));
  EXPECT_TRUE(env_->FileExists(root_ + "/objects/sha256/58/" + info->sha256));
  EXPECT_EQ(FileObjectPath(root_, info->sha256), root_ + "/objects/sha256/58/" + info->sha256);
  EXPECT_EQ(ReadObject(*store_, info->sha256), data);
  writer->reset();
  EXPECT_EQ(TempFiles(), 0u);

  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  EXPECT_GE((*reader)->fd(), 0);
  char buf[8];
  auto n = (*reader)->ReadAt(4, buf, sizeof(buf));
  ASSERT_OK(n.status());
  EXPECT_EQ(std::string(buf, *n), "o\n");
  n = (*reader)->ReadAt(6, buf, sizeof(buf));
  ASSERT_OK(n.status());
  EXPECT_EQ(*n, 0u);
}

TEST_F(FileObjectStoreTest, EmptyObjectAndSinglePromise) {
  ObjectPromise p;
  p.git_sha1 = GitBlobSha1Hex("");  // only the git id is known
  auto info = Store("", p);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->sha256, Sha256Hex(""));
  EXPECT_EQ(ReadObject(*store_, info->sha256), "");
}

TEST_F(FileObjectStoreTest, IdenticalWriteStoredOnce) {
  const std::string data(10000, 'z');
  ASSERT_OK(Store(data, PromiseFor(data)).status());
  // Two writers for the same bytes at once, as two repos sharing a file.
  auto a = store_->NewWriter(PromiseFor(data));
  auto b = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  ASSERT_OK((*a)->Append(data.data(), data.size()));
  ASSERT_OK((*b)->Append(data.data(), data.size()));
  ASSERT_OK((*a)->Commit().status());
  ASSERT_OK((*b)->Commit().status());
  // ReadWritten still works though the temp file was dropped.
  EXPECT_EQ(ReadWritten(**b, 9998, 10), "zz");
  a->reset();
  b->reset();
  EXPECT_EQ(ObjectFiles(), 1u);
  EXPECT_EQ(TempFiles(), 0u);
  EXPECT_EQ(ReadObject(*store_, Sha256Hex(data)), data);
}

TEST_F(FileObjectStoreTest, WrongSha256IsDataLoss) {
  const std::string data = "payload";
  ObjectPromise p = PromiseFor(data);
  p.sha256 = Sha256Hex("other");
  p.git_sha1.clear();
  auto info = Store(data, p);
  EXPECT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(info.status().message().find(p.sha256), std::string::npos);
  EXPECT_NE(info.status().message().find(Sha256Hex(data)), std::string::npos);
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));
  EXPECT_FALSE(store_->Contains(p.sha256));
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FileObjectStoreTest, WrongGitSha1IsDataLoss) {
  const std::string data = "payload";
  ObjectPromise p = PromiseFor(data);
  p.git_sha1 = GitBlobSha1Hex("other!!");
  auto writer = store_->NewWriter(p);
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  EXPECT_EQ((*writer)->Commit().status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(TempFiles(), 0u);  // removed at Commit, not only at destruction
  EXPECT_EQ(ObjectFiles(), 0u);
  // A failed writer stays failed.
  EXPECT_FALSE((*writer)->Commit().ok());
  EXPECT_FALSE((*writer)->Append("x", 1).ok());
}

TEST_F(FileObjectStoreTest, TooManyBytesFailsEarly) {
  const std::string data = "0123456789";
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), 8));
  EXPECT_EQ((*writer)->Append(data.data(), 8).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*writer)->Commit().status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FileObjectStoreTest, TooFewBytesIsDataLoss) {
  const std::string data = "0123456789";
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), 9));
  auto info = (*writer)->Commit();
  EXPECT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FileObjectStoreTest, ReadWrittenWhileWritingAndAfterCommit) {
  const std::string data = "abcdefghij";
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ObjectWriter& w = **writer;
  EXPECT_EQ(ReadWritten(w, 0, 4), "");
  ASSERT_OK(w.Append(data.data(), 4));
  EXPECT_EQ(ReadWritten(w, 0, 100), "abcd");
  EXPECT_EQ(ReadWritten(w, 2, 100), "cd");
  EXPECT_EQ(ReadWritten(w, 4, 100), "");
  ASSERT_OK(w.Append(data.data() + 4, 6));
  ASSERT_OK(w.Commit().status());
  EXPECT_EQ(ReadWritten(w, 0, 100), data);
  EXPECT_EQ(ReadWritten(w, 7, 2), "hi");
}

TEST_F(FileObjectStoreTest, ConcurrentReaderSeesAPrefix) {
  std::string data;
  for (int i = 0; i < 200000; ++i) data.push_back(static_cast<char>('a' + i % 26));
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ObjectWriter& w = **writer;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::string buf(8192, '\0');
    while (!done.load()) {
      uint64_t avail = w.bytes_written();
      uint64_t off = avail > 5000 ? avail - 5000 : 0;
      auto n = w.ReadWritten(off, buf.data(), buf.size());
      ASSERT_TRUE(n.ok());
      ASSERT_EQ(buf.substr(0, *n), data.substr(off, *n));
    }
  });
  for (size_t off = 0; off < data.size(); off += 1000) {
    ASSERT_OK(w.Append(data.data() + off, std::min<size_t>(1000, data.size() - off)));
  }
  ASSERT_OK(w.Commit().status());
  done = true;
  reader.join();
}

TEST_F(FileObjectStoreTest, ResetStartsOver) {
  const std::string data = "the real bytes";
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ObjectWriter& w = **writer;
  ASSERT_OK(w.Append("garbage", 7));
  ASSERT_OK(w.Reset());
  EXPECT_EQ(w.bytes_written(), 0u);
  EXPECT_EQ(ReadWritten(w, 0, 100), "");
  ASSERT_OK(w.Append(data.data(), data.size()));
  EXPECT_EQ(ReadWritten(w, 0, 100), data);
  auto info = w.Commit();
  ASSERT_OK(info.status());
  EXPECT_EQ(ReadObject(*store_, info->sha256), data);
}

TEST_F(FileObjectStoreTest, ResetRecoversFromOverflow) {
  const std::string data = "12345";
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  EXPECT_EQ((*writer)->Append("1234567", 7).code(), StatusCode::kDataLoss);
  ASSERT_OK((*writer)->Reset());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  ASSERT_OK((*writer)->Commit().status());
  EXPECT_TRUE(store_->Contains(Sha256Hex(data)));
}

TEST_F(FileObjectStoreTest, DestroyWithoutCommitRemovesTemp) {
  const std::string data = "never committed";
  {
    auto writer = store_->NewWriter(PromiseFor(data));
    ASSERT_OK(writer.status());
    ASSERT_OK((*writer)->Append(data.data(), 5));
    EXPECT_EQ(TempFiles(), 1u);
  }
  EXPECT_EQ(TempFiles(), 0u);
  EXPECT_EQ(ObjectFiles(), 0u);
}

TEST_F(FileObjectStoreTest, TempNamesAreUnique) {
  std::vector<std::unique_ptr<ObjectWriter>> writers;
  const std::string data = "x";
  for (int i = 0; i < 20; ++i) {
    auto w = store_->NewWriter(PromiseFor(data));
    ASSERT_OK(w.status());
    writers.push_back(std::move(w).value());
  }
  // A second store on the same root (another process, in effect).
  auto other = NewFileObjectStore(env_.get(), root_);
  ASSERT_OK(other.status());
  auto w = (*other)->NewWriter(PromiseFor(data));
  ASSERT_OK(w.status());
  EXPECT_EQ(TempFiles(), 21u);
}

TEST_F(FileObjectStoreTest, CleanTemporaryFiles) {
  for (const char* name : {"/tmp/leftover-1.tmp", "/tmp/leftover-2.tmp"}) {
    auto f = env_->NewWritableFile(root_ + name);
    ASSERT_OK(f.status());
  }
  ASSERT_OK(Store("kept", PromiseFor("kept")).status());
  EXPECT_EQ(TempFiles(), 2u);
  ASSERT_OK(store_->CleanTemporaryFiles());
  EXPECT_EQ(TempFiles(), 0u);
  EXPECT_TRUE(store_->Contains(Sha256Hex("kept")));
  ASSERT_OK(store_->CleanTemporaryFiles());  // nothing to do is fine
}

TEST_F(FileObjectStoreTest, OpenValidatesDigest) {
  for (const std::string& bad : {std::string(""), std::string("../../etc/passwd"),
                                 std::string(64, 'A'), std::string(63, 'a'), std::string(65, 'a'),
                                 std::string(62, 'a') + "/.", std::string(64, 'g')}) {
    EXPECT_EQ(store_->Open(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(store_->Contains(bad));
  }
  EXPECT_EQ(store_->Open(std::string(64, 'a')).status().code(), StatusCode::kNotFound);
}

TEST_F(FileObjectStoreTest, NewWriterValidatesPromise) {
  ObjectPromise none;
  none.size = 1;
  EXPECT_EQ(store_->NewWriter(none).status().code(), StatusCode::kInvalidArgument);
  ObjectPromise bad_sha;
  bad_sha.sha256 = "../x";
  EXPECT_EQ(store_->NewWriter(bad_sha).status().code(), StatusCode::kInvalidArgument);
  ObjectPromise bad_git;
  bad_git.git_sha1 = std::string(40, 'Z');
  EXPECT_EQ(store_->NewWriter(bad_git).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileObjectStoreTest, DiskFullLeavesNothingVisible) {
  const std::string data(1000, 'q');
  fault_env_.append_budget = 300;
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), 200));
  Status s = (*writer)->Append(data.data() + 200, 800);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*writer)->Commit().status().code(), StatusCode::kDataLoss);
  writer->reset();
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FileObjectStoreTest, DiskFullThenResetSucceeds) {
  const std::string data(1000, 'q');
  fault_env_.append_budget = 300;
  auto writer = store_->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  EXPECT_FALSE((*writer)->Append(data.data(), data.size()).ok());
  fault_env_.append_budget = -1;  // space freed
  ASSERT_OK((*writer)->Reset());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  ASSERT_OK((*writer)->Commit().status());
  EXPECT_EQ(ReadObject(*store_, Sha256Hex(data)), data);
}

TEST_F(FileObjectStoreTest, RenameFailureLeavesNothingVisible) {
  const std::string data = "rename me";
  fault_env_.fail_rename = true;
  auto info = Store(data, PromiseFor(data));
  EXPECT_FALSE(info.ok());
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FileObjectStoreTest, SyncFailureLeavesNothingVisible) {
  const std::string data = "sync me";
  fault_env_.fail_sync = true;
  auto info = Store(data, PromiseFor(data));
  EXPECT_FALSE(info.ok());
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FileObjectStoreTest, ReopenSeesObjects) {
  const std::string data = "persistent";
  ASSERT_OK(Store(data, PromiseFor(data)).status());
  store_.reset();
  auto again = NewFileObjectStore(env_.get(), root_ + "/");
  ASSERT_OK(again.status());
  EXPECT_TRUE((*again)->Contains(Sha256Hex(data)));
  EXPECT_EQ(ReadObject(**again, Sha256Hex(data)), data);
}

TEST(FileObjectStoreRemoveTest, RemovesOnlyWhatIsStored) {
  char tmpl[] = "/tmp/hubmirror-store-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::unique_ptr<Env> env = NewPosixEnv();
  auto store = NewFileObjectStore(env.get(), tmpl);
  ASSERT_OK(store.status());
  const std::string data = "bytes to remove";
  auto writer = (*store)->NewWriter(PromiseFor(data));
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  ASSERT_OK((*writer)->Commit().status());
  const std::string sha256 = Sha256Hex(data);
  ASSERT_TRUE((*store)->Contains(sha256));
  ASSERT_OK((*store)->Remove(sha256));
  EXPECT_FALSE((*store)->Contains(sha256));
  EXPECT_TRUE((*store)->Remove(sha256).IsNotFound());
  EXPECT_EQ((*store)->Remove("../../etc/passwd").code(), StatusCode::kInvalidArgument);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace hubmirror
