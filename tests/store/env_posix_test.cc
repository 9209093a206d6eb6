#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "store/aligned_buffer.h"
#include "store/env.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

class EnvPosixTest : public testing::TempDirTest {
 protected:
  std::unique_ptr<Env> env_ = NewPosixEnv();
};

std::string ReadAll(const WritableFile& f, uint64_t max) {
  std::string out(max, '\0');
  auto n = f.ReadAt(0, out.data(), out.size());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  out.resize(n.ok() ? *n : 0);
  return out;
}

TEST_F(EnvPosixTest, WriteReadBackTruncate) {
  const std::string path = dir_ + "/f";
  auto file = env_->NewWritableFile(path);
  ASSERT_OK(file.status());
  WritableFile& f = **file;
  ASSERT_OK(f.Append("hello ", 6));
  ASSERT_OK(f.Append("world", 5));
  EXPECT_EQ(ReadAll(f, 100), "hello world");

  char buf[4];
  auto n = f.ReadAt(6, buf, sizeof(buf));
  ASSERT_OK(n.status());
  EXPECT_EQ(std::string(buf, *n), "worl");
  n = f.ReadAt(100, buf, sizeof(buf));
  ASSERT_OK(n.status());
  EXPECT_EQ(*n, 0u);

  // Truncate moves the append point too.
  ASSERT_OK(f.Truncate(2));
  ASSERT_OK(f.Append("y!", 2));
  EXPECT_EQ(ReadAll(f, 100), "hey!");
  ASSERT_OK(f.Sync());
  ASSERT_OK(f.Close());

  auto size = env_->FileSize(path);
  ASSERT_OK(size.status());
  EXPECT_EQ(*size, 4u);

  auto raf = env_->NewRandomAccessFile(path);
  ASSERT_OK(raf.status());
  EXPECT_GE((*raf)->fd(), 0);
  auto rsize = (*raf)->Size();
  ASSERT_OK(rsize.status());
  EXPECT_EQ(*rsize, 4u);
  n = (*raf)->ReadAt(1, buf, 3);
  ASSERT_OK(n.status());
  EXPECT_EQ(std::string(buf, *n), "ey!");
}

TEST_F(EnvPosixTest, NewWritableFileIsExclusive) {
  const std::string path = dir_ + "/f";
  auto first = env_->NewWritableFile(path);
  ASSERT_OK(first.status());
  auto second = env_->NewWritableFile(path);
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(EnvPosixTest, MissingFiles) {
  EXPECT_FALSE(env_->FileExists(dir_ + "/nope"));
  EXPECT_EQ(env_->NewRandomAccessFile(dir_ + "/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->FileSize(dir_ + "/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->RemoveFile(dir_ + "/nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->ListDir(dir_ + "/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->NewWritableFile(dir_ + "/nodir/f").status().code(), StatusCode::kNotFound);
}

TEST_F(EnvPosixTest, DirsRenameList) {
  const std::string deep = dir_ + "/a/b/c";
  ASSERT_OK(env_->CreateDirs(deep));
  ASSERT_OK(env_->CreateDirs(deep));  // idempotent
  ASSERT_OK(env_->CreateDirs(deep + "/"));
  EXPECT_TRUE(env_->FileExists(deep));
  ASSERT_OK(env_->SyncDir(deep));

  {
    auto f = env_->NewWritableFile(deep + "/x");
    ASSERT_OK(f.status());
    ASSERT_OK((*f)->Append("1", 1));
  }
  {
    auto f = env_->NewWritableFile(deep + "/y");
    ASSERT_OK(f.status());
  }
  // rename replaces an existing target atomically.
  ASSERT_OK(env_->RenameFile(deep + "/x", deep + "/y"));
  auto names = env_->ListDir(deep);
  ASSERT_OK(names.status());
  EXPECT_EQ(*names, std::vector<std::string>{"y"});
  EXPECT_EQ(*env_->FileSize(deep + "/y"), 1u);

  // A file in the way of a directory.
  EXPECT_FALSE(env_->CreateDirs(deep + "/y/z").ok());

  ASSERT_OK(env_->RemoveFile(deep + "/y"));
  names = env_->ListDir(deep);
  ASSERT_OK(names.status());
  EXPECT_TRUE(names->empty());
}

TEST_F(EnvPosixTest, ConcurrentReadWhileAppending) {
  auto file = env_->NewWritableFile(dir_ + "/f");
  ASSERT_OK(file.status());
  WritableFile& f = **file;
  constexpr int kChunks = 200;
  std::thread writer([&] {
    std::string chunk(1000, 'x');
    for (int i = 0; i < kChunks; ++i) ASSERT_TRUE(f.Append(chunk.data(), chunk.size()).ok());
  });
  char buf[4096];
  for (int i = 0; i < 100; ++i) {
    auto n = f.ReadAt(0, buf, sizeof(buf));
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(std::all_of(buf, buf + *n, [](char c) { return c == 'x'; }));
  }
  writer.join();
  EXPECT_EQ(ReadAll(f, kChunks * 1000 + 10).size(), size_t{kChunks * 1000});
}

TEST_F(EnvPosixTest, Clocks) {
  int64_t now = env_->NowMicros();
  EXPECT_GT(now, int64_t{1600000000} * 1000000);  // after 2020
  int64_t a = env_->MonotonicMicros();
  int64_t b = env_->MonotonicMicros();
  EXPECT_LE(a, b);
}

TEST_F(EnvPosixTest, DirectWritableFileMixesAlignedAndUnalignedAppendsCoherently) {
  const std::string path = dir_ + "/direct";
  auto file = env_->NewDirectWritableFile(path);
  ASSERT_OK(file.status());
  WritableFile& f = **file;
  // /tmp on ext4 takes O_DIRECT; tmpfs does not (then 0 and all buffered).
  const size_t alignment = f.direct_io_alignment();
  EXPECT_TRUE(alignment == 0 || alignment == 4096) << alignment;
  AlignedBuffer aligned;
  std::string expected;
  for (int i = 0; i < 3; ++i) {
    aligned.Clear();
    const std::string block(8192, static_cast<char>('a' + i));
    aligned.Append(block.data(), block.size());
    ASSERT_OK(f.Append(aligned.data(), aligned.size()));  // aligned: direct
    expected += block;
    ASSERT_EQ(ReadAll(f, 1 << 20), expected) << "after aligned append " << i;
  }
  ASSERT_OK(f.Append("tail", 4));  // unaligned: through the page cache
  expected += "tail";
  EXPECT_EQ(ReadAll(f, 1 << 20), expected);
  ASSERT_OK(f.Sync());
  ASSERT_OK(f.Close());
  std::ifstream in(path, std::ios::binary);
  std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, expected);
  // Exclusive like NewWritableFile.
  EXPECT_FALSE(env_->NewDirectWritableFile(path).ok());
}

}  // namespace
}  // namespace hubmirror
