#include "fetcher/verified_download.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/fetcher/pull_test_upstream.h"

namespace hubmirror {
namespace testing_pull {
namespace {

namespace fs = std::filesystem;

const RepoKey kRepo{RepoType::kModel, "org/name"};

class VerifiedDownloadTest : public PullTempDirTest {
 protected:
  Result<VerifiedDownloadOutcome> Fetch(const EntryRecord& entry) {
    return DownloadVerifiedFile(&hub_, kRepo, kCommitA, entry, partial(), final_path(),
                                &progress_);
  }
  std::string partial() const { return dir_ + "/blob.incomplete"; }
  std::string final_path() const { return dir_ + "/blob"; }

  ScriptedHub hub_;
  NullTransferProgress progress_;
};

TEST_F(VerifiedDownloadTest, LfsAndRegularFilesAreVerifiedAndRenamed) {
  const std::string weights = Bytes("weights", 5000);
  const std::string config = Bytes("{config}", 300);
  hub_.AddFile(kCommitA, "model.bin", weights, /*lfs=*/true);
  hub_.AddFile(kCommitA, "config.json", config, /*lfs=*/false);

  Result<VerifiedDownloadOutcome> lfs = Fetch(FileEntry("model.bin", weights, true));
  ASSERT_TRUE(lfs.ok()) << lfs.status().ToString();
  EXPECT_EQ(ReadAll(final_path()), weights);
  EXPECT_FALSE(fs::exists(partial()));

  fs::remove(final_path());
  Result<VerifiedDownloadOutcome> regular = Fetch(FileEntry("config.json", config, false));
  ASSERT_TRUE(regular.ok()) << regular.status().ToString();
  EXPECT_EQ(ReadAll(final_path()), config);
}

TEST_F(VerifiedDownloadTest, ResumesFromAnExistingPartial) {
  const std::string weights = Bytes("weights", 6000);
  hub_.AddFile(kCommitA, "model.bin", weights, true);
  WriteAll(partial(), weights.substr(0, 2500));

  Result<VerifiedDownloadOutcome> r = Fetch(FileEntry("model.bin", weights, true));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->resumed_bytes, 2500u);
  EXPECT_FALSE(r->discarded_partial);
  EXPECT_EQ(ReadAll(final_path()), weights);
  ASSERT_EQ(hub_.downloads().size(), 1u);
  EXPECT_EQ(hub_.downloads()[0].second, 2500u) << "asked from the partial's size on";
}

TEST_F(VerifiedDownloadTest, InterruptedTransferKeepsThePartialForTheNextRun) {
  const std::string config = Bytes("{config}", 4000);
  hub_.AddFile(kCommitA, "config.json", config, false);
  hub_.FailAfter("config.json", 3000);

  Result<VerifiedDownloadOutcome> first = Fetch(FileEntry("config.json", config, false));
  EXPECT_EQ(first.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ReadAll(partial()), config.substr(0, 3000));
  EXPECT_FALSE(fs::exists(final_path()));

  Result<VerifiedDownloadOutcome> second = Fetch(FileEntry("config.json", config, false));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->resumed_bytes, 3000u);
  EXPECT_EQ(ReadAll(final_path()), config);
}

TEST_F(VerifiedDownloadTest, CorruptPartialIsRejectedDeletedAndDownloadedAgain) {
  const std::string config = Bytes("{config}", 4000);
  hub_.AddFile(kCommitA, "config.json", config, false);
  WriteAll(partial(), std::string(2000, 'X'));  // not a prefix of the file

  Result<VerifiedDownloadOutcome> r = Fetch(FileEntry("config.json", config, false));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->discarded_partial);
  EXPECT_EQ(ReadAll(final_path()), config);
  EXPECT_FALSE(fs::exists(partial()));
  auto calls = hub_.downloads();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].second, 2000u) << "first resumed";
  EXPECT_EQ(calls[1].second, 0u) << "then from scratch";
}

TEST_F(VerifiedDownloadTest, PartialLongerThanTheFileIsDiscarded) {
  const std::string weights = Bytes("weights", 1000);
  hub_.AddFile(kCommitA, "model.bin", weights, true);
  WriteAll(partial(), std::string(5000, 'X'));
  Result<VerifiedDownloadOutcome> r = Fetch(FileEntry("model.bin", weights, true));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->resumed_bytes, 0u);
  EXPECT_EQ(ReadAll(final_path()), weights);
}

TEST_F(VerifiedDownloadTest, CorruptHubIsDataLossAndLeavesNothingBehind) {
  const std::string weights = Bytes("weights", 3000);
  const std::string corrupt = Bytes("corrupt", 3000);
  hub_.AddFile(kCommitA, "model.bin", weights, true, &corrupt);

  Result<VerifiedDownloadOutcome> r = Fetch(FileEntry("model.bin", weights, true));
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("model.bin"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(Sha256Hex(weights)), std::string::npos);
  EXPECT_FALSE(fs::exists(partial()));
  EXPECT_FALSE(fs::exists(final_path()));
}

TEST_F(VerifiedDownloadTest, CorruptPartialAndCorruptHubFailsAfterOneRetry) {
  const std::string config = Bytes("{config}", 3000);
  const std::string corrupt = Bytes("corrupt", 3000);
  hub_.AddFile(kCommitA, "config.json", config, false, &corrupt);
  WriteAll(partial(), config.substr(0, 1000));
  Result<VerifiedDownloadOutcome> r = Fetch(FileEntry("config.json", config, false));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(hub_.downloads().size(), 2u);
  EXPECT_FALSE(fs::exists(partial()));
  EXPECT_FALSE(fs::exists(final_path()));
}

TEST_F(VerifiedDownloadTest, EmptyFile) {
  hub_.AddFile(kCommitA, "empty.txt", "", false);
  Result<VerifiedDownloadOutcome> r = Fetch(FileEntry("empty.txt", "", false));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(fs::exists(final_path()));
  EXPECT_EQ(fs::file_size(final_path()), 0u);
}

}  // namespace
}  // namespace testing_pull
}  // namespace hubmirror
