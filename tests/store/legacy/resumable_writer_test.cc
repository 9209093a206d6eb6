// ObjectStore::NewResumableWriter on the chunked store: temp data that
// outlives an abandoned writer (a killed `hubmirror sync`) and is continued,
// and CleanTemporaryFiles leaving files alone that a live writer holds.
#include <gtest/gtest.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/store/legacy/pack_store_test_base.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;

class ResumableWriterTest : public testing::PackStoreTestBase {
 protected:
  void SetUp() override {
    PackStoreTestBase::SetUp();
    ASSERT_NE(store_, nullptr);
    data_ = RandomBytes(3 << 20, 7);
    promise_ = ObjectPromise{data_.size(), Sha256Hex(data_), ""};
    partial_path_ = dir_ + "/tmp/resume-" + promise_.sha256 + ".partial";
  }

  // Files in the store's tmp/ with their sizes.
  std::map<std::string, uint64_t> TempFiles() {
    std::map<std::string, uint64_t> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/tmp")) {
      out[e.path().filename().string()] = e.file_size();
    }
    return out;
  }

  void WriteRaw(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }

  Status AppendRange(ObjectWriter* w, size_t from, size_t to) {
    for (size_t i = from; i < to; i += 100000) {
      HM_RETURN_IF_ERROR(w->Append(data_.data() + i, std::min<size_t>(100000, to - i)));
    }
    return Status::Ok();
  }

  std::string data_;
  ObjectPromise promise_;
  std::string partial_path_;
};

TEST_F(ResumableWriterTest, AbandonedWriterIsContinuedByTheNext) {
  const size_t cut = (1 << 20) + 123;
  {
    auto w = store_->NewResumableWriter(promise_);
    ASSERT_OK(w.status());
    EXPECT_EQ((*w)->bytes_written(), 0u);
    ASSERT_OK(AppendRange(w->get(), 0, cut));
  }  // abandoned mid-write, as by a failed transfer
  EXPECT_EQ(TempFiles(), (std::map<std::string, uint64_t>{
                             {"resume-" + promise_.sha256 + ".partial", cut}}));

  auto w = store_->NewResumableWriter(promise_);
  ASSERT_OK(w.status());
  ASSERT_EQ((*w)->bytes_written(), cut);
  std::string head(100, '\0');
  auto got = (*w)->ReadWritten(cut - 100, head.data(), head.size());
  ASSERT_OK(got.status());
  EXPECT_EQ(head, data_.substr(cut - 100, 100));
  ASSERT_OK(AppendRange(w->get(), cut, data_.size()));
  auto info = (*w)->Commit();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->sha256, promise_.sha256);
  EXPECT_TRUE(TempFiles().empty());

  auto reader = store_->Open(promise_.sha256);
  ASSERT_OK(reader.status());
  std::string back(data_.size(), '\0');
  for (size_t off = 0; off < back.size();) {
    auto n = (*reader)->ReadAt(off, back.data() + off, back.size() - off);
    ASSERT_OK(n.status());
    ASSERT_GT(*n, 0u);
    off += *n;
  }
  EXPECT_TRUE(back == data_);
}

TEST_F(ResumableWriterTest, CorruptPartialFailsTheHashCheckAndIsRemoved) {
  std::string bad = data_.substr(0, 1 << 20);
  bad[4096] ^= 0x40;  // a torn write at a crash
  WriteRaw(partial_path_, bad);
  {
    auto w = store_->NewResumableWriter(promise_);
    ASSERT_OK(w.status());
    ASSERT_EQ((*w)->bytes_written(), bad.size());
    ASSERT_OK(AppendRange(w->get(), bad.size(), data_.size()));
    auto info = (*w)->Commit();
    EXPECT_EQ(info.status().code(), StatusCode::kDataLoss);
  }
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_FALSE(store_->Contains(promise_.sha256));
  auto fresh = store_->NewResumableWriter(promise_);
  ASSERT_OK(fresh.status());
  EXPECT_EQ((*fresh)->bytes_written(), 0u);
}

TEST_F(ResumableWriterTest, PartialLongerThanThePromiseStartsAfresh) {
  WriteRaw(partial_path_, data_ + "extra");
  auto w = store_->NewResumableWriter(promise_);
  ASSERT_OK(w.status());
  EXPECT_EQ((*w)->bytes_written(), 0u);
  ASSERT_OK(AppendRange(w->get(), 0, data_.size()));
  ASSERT_OK((*w)->Commit().status());
}

TEST_F(ResumableWriterTest, HeldPartialGivesASecondWriterItsOwnTempFile) {
  auto first = store_->NewResumableWriter(promise_);
  ASSERT_OK(first.status());
  ASSERT_OK(AppendRange(first->get(), 0, 1 << 20));
  auto second = store_->NewResumableWriter(promise_);
  ASSERT_OK(second.status());
  EXPECT_EQ((*second)->bytes_written(), 0u) << "must not share the held partial";
  ASSERT_OK(AppendRange(second->get(), 0, data_.size()));
  ASSERT_OK((*second)->Commit().status());
  EXPECT_EQ(TempFiles().size(), 1u) << "only the first writer's partial";
}

TEST_F(ResumableWriterTest, CleanTemporaryFilesSkipsHeldFilesAndKeepsYoungPartials) {
  auto in_flight = store_->NewWriter(promise_);  // e.g. serve's pull-through
  ASSERT_OK(in_flight.status());
  ASSERT_OK(AppendRange(in_flight->get(), 0, 1 << 20));
  {
    auto abandoned = store_->NewResumableWriter(promise_);
    ASSERT_OK(abandoned.status());
    ASSERT_OK(AppendRange(abandoned->get(), 0, 1000));
  }
  WriteRaw(dir_ + "/tmp/0000000000000000-1-0.tmp", "crashed writer's leftover");
  const std::string old_partial = dir_ + "/tmp/resume-" + std::string(64, 'a') + ".partial";
  WriteRaw(old_partial, "abandoned long ago");
  struct timeval old_times[2] = {{time(nullptr) - 8 * 24 * 3600, 0},
                                 {time(nullptr) - 8 * 24 * 3600, 0}};
  ASSERT_EQ(utimes(old_partial.c_str(), old_times), 0);
  ASSERT_EQ(TempFiles().size(), 4u);

  ASSERT_OK(store_->CleanTemporaryFiles());
  std::map<std::string, uint64_t> left = TempFiles();
  EXPECT_EQ(left.size(), 2u);
  EXPECT_EQ(left.count("resume-" + promise_.sha256 + ".partial"), 1u) << "young: resumable";
  EXPECT_EQ(left.count("0000000000000000-1-0.tmp"), 0u);
  EXPECT_EQ(left.count("resume-" + std::string(64, 'a') + ".partial"), 0u);
  // The held writer's temp file is intact: it still commits.
  ASSERT_OK(AppendRange(in_flight->get(), 1 << 20, data_.size()));
  ASSERT_OK((*in_flight)->Commit().status());
}

}  // namespace
}  // namespace hubmirror
