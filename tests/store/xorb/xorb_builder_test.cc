#include "store/xorb/xorb_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "store/xet/xet_hash.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

// A file that claims direct I/O (so the builder writes only aligned
// prefixes until it is sealed) and records every append, whatever the
// filesystem under the test supports.
class AlignedFile final : public WritableFile {
 public:
  AlignedFile(std::unique_ptr<WritableFile> target, std::vector<size_t>* appends)
      : target_(std::move(target)), appends_(appends) {}
  Status Append(const char* data, size_t n) override {
    appends_->push_back(n);
    return target_->Append(data, n);
  }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    return target_->ReadAt(offset, buf, n);
  }
  Status Truncate(uint64_t size) override { return target_->Truncate(size); }
  Status Sync() override { return target_->Sync(); }
  Status Close() override { return target_->Close(); }
  int fd() const override { return target_->fd(); }
  size_t direct_io_alignment() const override { return 4096; }

 private:
  std::unique_ptr<WritableFile> target_;
  std::vector<size_t>* appends_;
};

class AlignedFileEnv final : public EnvWrapper {
 public:
  explicit AlignedFileEnv(Env* target) : EnvWrapper(target) {}
  Result<std::unique_ptr<WritableFile>> NewDirectWritableFile(const std::string& p) override {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, target()->NewWritableFile(p));
    return std::unique_ptr<WritableFile>(new AlignedFile(std::move(file), &appends));
  }
  std::vector<size_t> appends;
};

std::string Chunk(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 977) >> 5);
  return s;
}

class XorbBuilderTest : public testing::TempDirTest {};

TEST_F(XorbBuilderTest, ReadsWhileWrittenAcrossTheAlignedEndOfTheFileAndSealsWhole) {
  std::unique_ptr<Env> posix = NewPosixEnv();
  AlignedFileEnv env(posix.get());
  auto builder = XorbBuilder::Create(&env, dir_ + "/x.xorb", 7);
  ASSERT_TRUE(builder.ok()) << builder.status().ToString();
  // Odd sizes, stored plain, past the builder's 4 MiB write size twice: the
  // aligned writes cut records in the middle.
  std::string raw;
  std::vector<XetNode> nodes;
  for (int i = 0; raw.size() < (9u << 20); ++i) {
    const std::string c = Chunk(60001 + 37 * i, i);
    const XetHash h = XetChunkHash(c.data(), c.size());
    auto index = (*builder)->Add(h, XetScheme::kNone, c.data(), c.size(), c.size());
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    nodes.push_back(XetNode{h, c.size()});
    raw += c;
    // Every byte so far reads back, wherever it is (file, buffer, both).
    if (i % 20 == 19) {
      std::string got(raw.size(), '\0');
      ChunkDecoder decoder;
      auto n = (*builder)->ReadRaw(0, static_cast<uint32_t>(nodes.size()), 0, got.data(),
                                   got.size(), &decoder);
      ASSERT_TRUE(n.ok()) << "after chunk " << i << ": " << n.status().ToString();
      ASSERT_EQ(*n, raw.size());
      ASSERT_TRUE(got == raw) << "after chunk " << i;
    }
  }
  ASSERT_GE(env.appends.size(), 2u);
  for (size_t n : env.appends) EXPECT_EQ(n % 4096, 0u) << "an unaligned write before Seal()";
  ASSERT_TRUE((*builder)->Seal().ok());
  ASSERT_TRUE((*builder)->Sync().ok());
  // The file is the whole xorb: records and footer, nothing more.
  auto file = posix->NewRandomAccessFile((*builder)->path());
  ASSERT_TRUE(file.ok());
  auto size = (*file)->Size();
  ASSERT_TRUE(size.ok());
  std::string bytes(*size, '\0');
  ASSERT_TRUE(ReadXorbFileBytes(**file, 0, bytes.data(), bytes.size()).ok());
  XetChunkCodec codec;
  auto parsed = ParseAndVerifyXorb(bytes, &codec);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->has_footer);
  EXPECT_EQ(parsed->raw_bytes, raw.size());
  EXPECT_EQ(parsed->hash, XetXorbHash(nodes));
  EXPECT_EQ((*builder)->Describe().row.file_bytes, bytes.size());
}

}  // namespace
}  // namespace hubmirror
