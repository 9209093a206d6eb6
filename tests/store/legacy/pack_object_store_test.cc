#include "store/legacy/pack_object_store.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <random>
#include <set>
#include <string>

#include "store/legacy/chunker.h"
#include "store/legacy/file_object_store.h"
#include "store/hash.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) {
    s += "{\"id\": " + std::to_string(i) + ", \"text\": \"the quick brown fox\"}\n";
  }
  s.resize(n);
  return s;
}

// Counts preads on files the store opens for reading.
class CountingEnv : public EnvWrapper {
 public:
  explicit CountingEnv(Env* target) : EnvWrapper(target) {}
  class CountingFile : public RandomAccessFile {
   public:
    CountingFile(std::unique_ptr<RandomAccessFile> f, std::atomic<int>* reads)
        : f_(std::move(f)), reads_(reads) {}
    Result<size_t> ReadAt(uint64_t o, char* b, size_t n) const override {
      reads_->fetch_add(1);
      return f_->ReadAt(o, b, n);
    }
    Result<uint64_t> Size() const override { return f_->Size(); }
    int fd() const override { return f_->fd(); }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    std::atomic<int>* reads_;
  };
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, target()->NewRandomAccessFile(p));
    return std::unique_ptr<RandomAccessFile>(new CountingFile(std::move(f), &reads));
  }
  std::atomic<int> reads{0};
};

class ChunkedObjectStoreTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    env_ = NewPosixEnv();
    counting_ = std::make_unique<CountingEnv>(env_.get());
    OpenStore({});
  }
  void OpenStore(PackStoreOptions options) {
    store_.reset();
    auto store = NewPackObjectStore(counting_.get(), dir_, std::move(options));
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }
  Result<ObjectInfo> Put(const std::string& data, size_t piece = 10000) {
    HM_ASSIGN_OR_RETURN(auto writer,
                        store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""}));
    for (size_t i = 0; i < data.size(); i += piece) {
      HM_RETURN_IF_ERROR(writer->Append(data.data() + i, std::min(piece, data.size() - i)));
    }
    return writer->Commit();
  }
  std::string ReadAll(const std::string& sha256, size_t piece = 1 << 20) {
    auto reader = store_->Open(sha256);
    EXPECT_OK(reader.status());
    if (!reader.ok()) return "";
    std::string out((*reader)->size(), '\0');
    for (size_t off = 0; off < out.size();) {
      auto got = (*reader)->ReadAt(off, out.data() + off, std::min(piece, out.size() - off));
      EXPECT_OK(got.status());
      if (!got.ok() || *got == 0) break;
      off += *got;
    }
    return out;
  }
  uint64_t StoredBytes(const std::string& sha256) {
    auto fp = store_->Footprint(sha256);
    EXPECT_OK(fp.status());
    uint64_t n = 0;
    for (const auto& c : fp->chunks) n += c.second;
    return n;
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<CountingEnv> counting_;
  std::unique_ptr<PackObjectStore> store_;
};

TEST_F(ChunkedObjectStoreTest, RoundTripsAndDedupsSharedChunks) {
  std::string base = RandomBytes(3 << 20, 1);
  auto a = Put(base);
  ASSERT_OK(a.status());
  EXPECT_EQ(a->sha256, Sha256Hex(base));
  EXPECT_TRUE(store_->Contains(a->sha256));
  EXPECT_EQ(ReadAll(a->sha256), base);

  std::string edited = base;
  edited.insert(1 << 20, "a longer header");
  for (size_t i = 2 << 20; i < (2 << 20) + 1000; ++i) edited[i] ^= 0x5a;
  auto b = Put(edited, 4096);
  ASSERT_OK(b.status());
  EXPECT_EQ(ReadAll(b->sha256, 777), edited);
  auto fp_a = store_->Footprint(a->sha256);
  auto fp_b = store_->Footprint(b->sha256);
  ASSERT_OK(fp_b.status());
  std::set<int64_t> ids_a;
  for (const auto& c : fp_a->chunks) ids_a.insert(c.first);
  uint64_t new_bytes = 0;
  for (const auto& c : fp_b->chunks) {
    if (!ids_a.count(c.first)) new_bytes += c.second;
  }
  EXPECT_LT(new_bytes, 4 * kChunkMaxSize) << "two edits cost a few chunks, not the file";
}

TEST_F(ChunkedObjectStoreTest, RangeReadsAcrossChunkBoundaries) {
  std::string data = RandomBytes(1 << 20, 2) + Text(1 << 20);
  auto info = Put(data);
  ASSERT_OK(info.status());
  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    uint64_t off = rng() % data.size();
    size_t n = rng() % (300 * 1024);
    std::string buf(n, '\0');
    auto got = (*reader)->ReadAt(off, buf.data(), n);
    ASSERT_OK(got.status());
    size_t expect = std::min<uint64_t>(n, data.size() - off);
    ASSERT_EQ(*got, expect);
    ASSERT_EQ(buf.substr(0, expect), data.substr(off, expect)) << off << "+" << n;
  }
  char c;
  EXPECT_EQ(*(*reader)->ReadAt(data.size(), &c, 1), 0u);
}

TEST_F(ChunkedObjectStoreTest, ContiguousRawRunIsOnePread) {
  std::string data = RandomBytes(4 << 20, 3);
  auto info = Put(data);
  ASSERT_OK(info.status());
  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  std::string buf(data.size(), '\0');
  counting_->reads = 0;
  auto got = (*reader)->ReadAt(0, buf.data(), buf.size());
  ASSERT_OK(got.status());
  EXPECT_EQ(buf, data);
  EXPECT_EQ(counting_->reads.load(), 1);
}

TEST_F(ChunkedObjectStoreTest, RawSpansCoverUncompressedRunsOnly) {
  std::string noise = RandomBytes(2 << 20, 14);
  std::string text = Text(1 << 20);
  auto info = Put(noise + text);
  ASSERT_OK(info.status());
  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  RawFileSpan span;
  ASSERT_TRUE((*reader)->GetRawSpan(1000, &span));
  EXPECT_GE(span.fd, 0);
  EXPECT_GE(span.length, noise.size() / 2) << "one span for the run, not one per chunk";
  std::string buf(100, '\0');
  ASSERT_EQ(::pread(span.fd, buf.data(), 100, static_cast<off_t>(span.file_offset)), 100);
  EXPECT_EQ(buf, noise.substr(1000, 100));
  // The text compresses, so its chunks are not verbatim in the pack.
  EXPECT_FALSE((*reader)->GetRawSpan(noise.size() + text.size() - 10, &span));
  EXPECT_FALSE((*reader)->GetRawSpan(noise.size() + text.size(), &span));
}

// xxHash is not collision-resistant: force every chunk to the same
// fingerprint and check that each file still reads back its own bytes.
TEST_F(ChunkedObjectStoreTest, ForcedFingerprintCollisionNeverMixesFiles) {
  PackStoreOptions options;
  options.fingerprint_for_test = [](const char*, size_t) { return ChunkFingerprint{42, 42}; };
  OpenStore(std::move(options));
  std::string one = RandomBytes(1 << 20, 4);
  std::string two = RandomBytes(1 << 20, 5);
  auto a = Put(one);
  auto b = Put(two);
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_EQ(ReadAll(a->sha256), one);
  EXPECT_EQ(ReadAll(b->sha256), two);
  // Real duplicates are still found among the colliding candidates.
  auto again = Put(two + one);
  ASSERT_OK(again.status());
  EXPECT_EQ(ReadAll(again->sha256), two + one);
}

TEST_F(ChunkedObjectStoreTest, CompressesTextButNotRandomBytes) {
  std::string text = Text(2 << 20);
  std::string noise = RandomBytes(2 << 20, 6);
  auto t = Put(text);
  auto r = Put(noise);
  ASSERT_OK(t.status());
  ASSERT_OK(r.status());
  EXPECT_LT(StoredBytes(t->sha256), text.size() / 4);
  EXPECT_EQ(StoredBytes(r->sha256), noise.size());
  EXPECT_EQ(ReadAll(t->sha256, 1000), text);
}

TEST_F(ChunkedObjectStoreTest, DataLossLeavesNothingVisible) {
  std::string data = RandomBytes(1 << 20, 7);
  auto writer = store_->NewWriter(ObjectPromise{data.size(), std::string(64, 'a'), ""});
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  std::string back(100, '\0');
  EXPECT_EQ(*(*writer)->ReadWritten(0, back.data(), 100), 100u);
  EXPECT_EQ(back, data.substr(0, 100));
  auto commit = (*writer)->Commit();
  EXPECT_EQ(commit.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));
  EXPECT_FALSE(store_->Contains(std::string(64, 'a')));
  writer->reset();
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0u);
  // The chunks it appended were cut off again: no pack bytes are left.
  EXPECT_EQ(CountFiles(dir_ + "/chunks/packs"), 0u);
}

TEST_F(ChunkedObjectStoreTest, ReaderOpenedBeforeRemoveKeepsReading) {
  std::string data = RandomBytes(1 << 20, 13);
  auto info = Put(data);
  ASSERT_OK(info.status());
  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  ASSERT_OK(store_->Remove(info->sha256));
  EXPECT_FALSE(store_->Contains(info->sha256));
  std::string back(data.size(), '\0');
  auto got = (*reader)->ReadAt(0, back.data(), back.size());
  ASSERT_OK(got.status());
  EXPECT_EQ(back, data);
}

TEST_F(ChunkedObjectStoreTest, RemovingTheNewestObjectGivesItsPackBytesBack) {
  auto kept = Put(RandomBytes(1 << 20, 11));
  ASSERT_OK(kept.status());
  const std::string pack = dir_ + "/chunks/packs/00000001.pack";
  const uint64_t before = *env_->FileSize(pack);
  std::string data = RandomBytes(1 << 20, 12);
  auto added = Put(data);
  ASSERT_OK(added.status());
  EXPECT_GT(*env_->FileSize(pack), before);
  ASSERT_OK(store_->Remove(added->sha256));  // an import rolling back
  EXPECT_EQ(*env_->FileSize(pack), before);
  EXPECT_EQ(ReadAll(kept->sha256).size(), 1u << 20);
  auto again = Put(data);
  ASSERT_OK(again.status());
  EXPECT_EQ(ReadAll(again->sha256), data);
}

TEST_F(ChunkedObjectStoreTest, WriterDroppedBeforeCommitLeavesNothingAfterReopen) {
  std::string data = RandomBytes(2 << 20, 8);
  {
    auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
    ASSERT_OK(writer.status());
    ASSERT_OK((*writer)->Append(data.data(), data.size()));
    // A crash here: chunks are in a pack, the object row is not.
  }
  OpenStore({});
  EXPECT_FALSE(store_->Contains(Sha256Hex(data)));
  EXPECT_EQ(store_->Open(Sha256Hex(data)).status().code(), StatusCode::kNotFound);
  auto info = Put(data);
  ASSERT_OK(info.status());
  EXPECT_EQ(ReadAll(info->sha256), data);
}

TEST_F(ChunkedObjectStoreTest, EmptyObjectAndRemove) {
  auto empty = Put("");
  ASSERT_OK(empty.status());
  EXPECT_EQ(ReadAll(empty->sha256), "");
  ASSERT_OK(store_->Remove(empty->sha256));
  EXPECT_FALSE(store_->Contains(empty->sha256));
  EXPECT_TRUE(store_->Remove(empty->sha256).IsNotFound());
}

TEST_F(ChunkedObjectStoreTest, ResetDiscardsChunksOfTheAbandonedTransfer) {
  std::string data = RandomBytes(1 << 20, 9);
  auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(writer.status());
  std::string junk = RandomBytes(600000, 10);
  ASSERT_OK((*writer)->Append(junk.data(), junk.size()));
  ASSERT_OK((*writer)->Reset());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  auto info = (*writer)->Commit();
  ASSERT_OK(info.status());
  EXPECT_EQ(ReadAll(info->sha256), data);
}

}  // namespace
}  // namespace hubmirror
