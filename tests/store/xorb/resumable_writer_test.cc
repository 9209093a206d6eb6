// ObjectStore::NewResumableWriter on the Xet-native store: what an abandoned
// writer (a failed transfer, a killed `hubmirror sync`) ingested is continued
// by the next writer of the object, checked chunk by chunk; and temp files a
// live writer holds are left alone.
#include <gtest/gtest.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/store/xorb/xorb_store_test_base.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

class XorbResumableWriterTest : public testing::XorbStoreTestBase,
                                public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    XorbStoreTestBase::SetUp();
    XorbStoreOptions options;
    // Both ingest modes: stages inline, and on their threads.
    options.threaded_ingest_from_bytes = GetParam() ? 0 : uint64_t{1} << 40;
    store_ = OpenStore(options);
    ASSERT_NE(store_, nullptr);
    data_ = RandomBytes(12 << 20, 7);
    promise_ = ObjectPromise{data_.size(), Sha256Hex(data_), ""};
  }

  std::map<std::string, uint64_t> TempFiles() {
    std::map<std::string, uint64_t> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/tmp")) {
      out[e.path().filename().string()] = e.file_size();
    }
    return out;
  }

  Status AppendRange(ObjectWriter* w, size_t from, size_t to) {
    for (size_t i = from; i < to; i += 100000) {
      HM_RETURN_IF_ERROR(w->Append(data_.data() + i, std::min<size_t>(100000, to - i)));
    }
    return Status::Ok();
  }

  // Writes [0, cut) through a resumable writer and abandons it.
  void Abandon(size_t cut) {
    auto w = store_->NewResumableWriter(promise_);
    ASSERT_OK(w.status());
    ASSERT_OK(AppendRange(w->get(), 0, cut));
  }

  // Finishes the object through a resumable writer from where it resumes.
  void Finish(uint64_t* resumed_at) {
    auto w = store_->NewResumableWriter(promise_);
    ASSERT_OK(w.status());
    *resumed_at = (*w)->bytes_written();
    if (*resumed_at > 0) {
      std::string tail(std::min<uint64_t>(*resumed_at, 1000), '\0');
      auto got = (*w)->ReadWritten(*resumed_at - tail.size(), tail.data(), tail.size());
      ASSERT_OK(got.status());
      EXPECT_EQ(tail, data_.substr(*resumed_at - tail.size(), tail.size()));
    }
    ASSERT_OK(AppendRange(w->get(), *resumed_at, data_.size()));
    auto info = (*w)->Commit();
    ASSERT_OK(info.status());
    EXPECT_EQ(info->sha256, promise_.sha256);
  }

  std::string data_;
  ObjectPromise promise_;
};

TEST_P(XorbResumableWriterTest, AnAbandonedWriterIsContinuedByTheNext) {
  const size_t cut = (7 << 20) + 123;
  Abandon(cut);
  EXPECT_GE(TempFiles().size(), 2u) << "a journal and the writer's xorb stay";
  uint64_t resumed_at = 0;
  Finish(&resumed_at);
  // Everything chunked before the cut is kept: at most the chunk being cut
  // is fetched again.
  EXPECT_GT(resumed_at, cut - 2 * 131072);
  EXPECT_LE(resumed_at, cut);
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_EQ(ReadObject(promise_.sha256), data_);
}

TEST_P(XorbResumableWriterTest, ADamagedPartialResumesUpToTheDamage) {
  Abandon(8 << 20);
  // Flip a byte in the middle of the abandoned writer's xorb.
  std::string xorb;
  for (const auto& [name, size] : TempFiles()) {
    if (name.ends_with(".xorb.partial")) xorb = dir_ + "/tmp/" + name;
  }
  ASSERT_FALSE(xorb.empty());
  {
    std::fstream f(xorb, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4 << 20);
    f.put('\x5a');
  }
  uint64_t resumed_at = 0;
  Finish(&resumed_at);
  EXPECT_LT(resumed_at, 4u << 20) << "chunks from the damaged one on are fetched again";
  EXPECT_EQ(ReadObject(promise_.sha256), data_);
  EXPECT_TRUE(TempFiles().empty());
}

TEST_P(XorbResumableWriterTest, ASecondWriterOfTheSameObjectStartsAfresh) {
  auto first = store_->NewResumableWriter(promise_);
  ASSERT_OK(first.status());
  ASSERT_OK(AppendRange(first->get(), 0, 5 << 20));
  auto second = store_->NewResumableWriter(promise_);
  ASSERT_OK(second.status());
  EXPECT_EQ((*second)->bytes_written(), 0u);
  ASSERT_OK(AppendRange(second->get(), 0, data_.size()));
  ASSERT_OK((*second)->Commit().status());
  second->reset();
  ASSERT_OK(AppendRange(first->get(), 5 << 20, data_.size()));
  ASSERT_OK((*first)->Commit().status());
  first->reset();
  EXPECT_EQ(ReadObject(promise_.sha256), data_);
  EXPECT_TRUE(TempFiles().empty());
}

TEST_P(XorbResumableWriterTest, WrongBytesDropThePartial) {
  std::string corrupt = data_;
  corrupt[1 << 20] ^= 1;
  {
    auto w = store_->NewResumableWriter(promise_);
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->Append(corrupt.data(), corrupt.size()));
    EXPECT_EQ((*w)->Commit().status().code(), StatusCode::kDataLoss);
  }
  EXPECT_TRUE(TempFiles().empty());
  auto w = store_->NewResumableWriter(promise_);
  ASSERT_OK(w.status());
  EXPECT_EQ((*w)->bytes_written(), 0u);
}

TEST_P(XorbResumableWriterTest, CleaningKeepsFreshPartialsAndLiveFilesDropsStaleOnes) {
  Abandon(3 << 20);
  ASSERT_OK(store_->CleanTemporaryFiles());
  const auto kept = TempFiles();
  EXPECT_GE(kept.size(), 2u) << "a young partial is kept for the next sync";
  // A week later nobody continued it.
  for (const auto& [name, size] : kept) {
    struct timeval old[2] = {{0, 0}, {0, 0}};
    old[0].tv_sec = old[1].tv_sec = time(nullptr) - 8 * 24 * 3600;
    ASSERT_EQ(utimes((dir_ + "/tmp/" + name).c_str(), old), 0);
  }
  // A live writer's files are never touched, however old they look.
  auto live = store_->NewWriter(ObjectPromise{data_.size(), Sha256Hex(data_), ""});
  ASSERT_OK(live.status());
  ASSERT_OK((*live)->Append(data_.data(), 9 << 20));
  ASSERT_OK(store_->CleanTemporaryFiles());
  for (const auto& [name, size] : TempFiles()) {
    EXPECT_EQ(kept.count(name), 0u) << name << " is stale and should be gone";
  }
  ASSERT_OK(AppendRange(live->get(), 9 << 20, data_.size()));
  ASSERT_OK((*live)->Commit().status());
  EXPECT_EQ(ReadObject(promise_.sha256), data_);
}

INSTANTIATE_TEST_SUITE_P(Modes, XorbResumableWriterTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Threaded" : "Inline"; });

}  // namespace
}  // namespace hubmirror
