#include "fetcher/hf_cache_layout.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "fetcher/local_dir_layout.h"
#include "tests/fetcher/pull_test_upstream.h"

namespace hubmirror {
namespace testing_pull {
namespace {

namespace fs = std::filesystem;

const std::string kSha1 = "0123456789abcdef0123456789abcdef01234567";
const std::string kSha256 = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

TEST(RepoFolderNameTest, ModelsDatasetsAndLegacyIds) {
  EXPECT_EQ(RepoFolderName({RepoType::kModel, "org/name"}), "models--org--name");
  EXPECT_EQ(RepoFolderName({RepoType::kDataset, "acme/tiny-dataset"}),
            "datasets--acme--tiny-dataset");
  EXPECT_EQ(RepoFolderName({RepoType::kModel, "gpt2"}), "models--gpt2");
  EXPECT_EQ(RepoFolderName({RepoType::kDataset, "squad"}), "datasets--squad");
}

TEST(BlobNameTest, LfsSha256ElseGitOid) {
  EntryRecord regular = FileEntry("config.json", "{}", /*lfs=*/false);
  EXPECT_EQ(BlobNameOf(regular), GitBlobSha1Hex("{}"));
  EntryRecord lfs = FileEntry("model.bin", "weights", /*lfs=*/true);
  EXPECT_EQ(BlobNameOf(lfs), Sha256Hex("weights"));
  EXPECT_TRUE(IsValidBlobName(kSha1));
  EXPECT_TRUE(IsValidBlobName(kSha256));
  EXPECT_FALSE(IsValidBlobName("../../etc/passwd"));
  EXPECT_FALSE(IsValidBlobName(std::string(40, 'A')));
  EXPECT_FALSE(IsValidBlobName(""));
}

TEST(RelativeBlobTargetTest, OneLevelUpPerFolder) {
  EXPECT_EQ(RelativeBlobTarget("config.json", kSha1), "../../blobs/" + kSha1);
  EXPECT_EQ(RelativeBlobTarget("tokenizer/vocab.txt", kSha1), "../../../blobs/" + kSha1);
  EXPECT_EQ(RelativeBlobTarget("a/b/c/d.bin", kSha256), "../../../../../blobs/" + kSha256);
}

TEST(HfCacheLayoutPathsTest, PathsOfTheLayout) {
  HfCacheLayout layout("/cache", {RepoType::kModel, "org/name"});
  EXPECT_EQ(layout.repo_dir(), "/cache/models--org--name");
  EXPECT_EQ(layout.BlobPath(kSha1), "/cache/models--org--name/blobs/" + kSha1);
  EXPECT_EQ(layout.IncompleteBlobPath(kSha1),
            "/cache/models--org--name/blobs/" + kSha1 + ".incomplete");
  EXPECT_EQ(layout.BlobLockPath(kSha1), "/cache/.locks/models--org--name/" + kSha1 + ".lock");
  EXPECT_EQ(layout.SnapshotFilePath(kCommitA, "a/b.txt"),
            "/cache/models--org--name/snapshots/" + kCommitA + "/a/b.txt");
  EXPECT_EQ(layout.RefPath("refs/pr/1"), "/cache/models--org--name/refs/refs/pr/1");
}

class HfCacheLayoutTest : public PullTempDirTest {
 protected:
  HfCacheLayout Layout() const { return HfCacheLayout(dir_, {RepoType::kModel, "org/name"}); }
};

TEST_F(HfCacheLayoutTest, SnapshotLinksAreRelativeAndResolveToTheBlob) {
  HfCacheLayout layout = Layout();
  PULL_ASSERT_OK(layout.PrepareBlobFolders());
  WriteAll(layout.BlobPath(kSha1), "top");
  WriteAll(layout.BlobPath(kSha256), "nested");
  PULL_ASSERT_OK(layout.LinkSnapshotFile(kCommitA, "config.json", kSha1));
  PULL_ASSERT_OK(layout.LinkSnapshotFile(kCommitA, "a/b/weights.bin", kSha256));

  std::string top = layout.SnapshotFilePath(kCommitA, "config.json");
  std::string nested = layout.SnapshotFilePath(kCommitA, "a/b/weights.bin");
  ASSERT_TRUE(fs::is_symlink(top));
  EXPECT_EQ(fs::read_symlink(top).string(), "../../blobs/" + kSha1);
  EXPECT_EQ(fs::read_symlink(nested).string(), "../../../../blobs/" + kSha256);
  EXPECT_EQ(ReadAll(top), "top");
  EXPECT_EQ(ReadAll(nested), "nested");
  EXPECT_EQ(fs::canonical(nested), fs::canonical(layout.BlobPath(kSha256)));

  // Relinking (a later pull of the same commit) replaces the link.
  PULL_ASSERT_OK(layout.LinkSnapshotFile(kCommitA, "config.json", kSha256));
  EXPECT_EQ(ReadAll(top), "nested");
}

TEST_F(HfCacheLayoutTest, RefsHoldTheCommitWithoutNewlineAndNestPrRefs) {
  HfCacheLayout layout = Layout();
  PULL_ASSERT_OK(layout.WriteRef("main", kCommitA));
  PULL_ASSERT_OK(layout.WriteRef("refs/pr/1", kCommitB));
  EXPECT_EQ(ReadAll(dir_ + "/models--org--name/refs/main"), kCommitA);
  EXPECT_EQ(ReadAll(dir_ + "/models--org--name/refs/refs/pr/1"), kCommitB);
  PULL_ASSERT_OK(layout.WriteRef("main", kCommitB));
  EXPECT_EQ(ReadAll(dir_ + "/models--org--name/refs/main"), kCommitB);
}

TEST_F(HfCacheLayoutTest, NoRefWhenTheRevisionIsTheCommit) {
  HfCacheLayout layout = Layout();
  PULL_ASSERT_OK(layout.WriteRef(kCommitA, kCommitA));
  EXPECT_FALSE(fs::exists(layout.RefPath(kCommitA)));
  EXPECT_FALSE(fs::exists(dir_ + "/models--org--name/refs"));
}

TEST_F(HfCacheLayoutTest, RejectsUntrustedNamesBeforeWritingAnything) {
  HfCacheLayout layout = Layout();
  EXPECT_FALSE(layout.LinkSnapshotFile(kCommitA, "../escape.txt", kSha1).ok());
  EXPECT_FALSE(layout.LinkSnapshotFile(kCommitA, "/etc/passwd", kSha1).ok());
  EXPECT_FALSE(layout.LinkSnapshotFile(kCommitA, "a/../../x", kSha1).ok());
  EXPECT_FALSE(layout.LinkSnapshotFile("../../x", "ok.txt", kSha1).ok());
  EXPECT_FALSE(layout.LinkSnapshotFile(kCommitA, "ok.txt", "../blob").ok());
  EXPECT_FALSE(layout.WriteRef("../../outside", kCommitA).ok());
  EXPECT_FALSE(layout.WriteRef("main", "not-a-commit").ok());
  EXPECT_FALSE(fs::exists(layout.repo_dir()));
}

TEST_F(HfCacheLayoutTest, RefusesToWriteThroughASymlinkedFolder) {
  HfCacheLayout layout = Layout();
  std::string outside = dir_ + "/outside";
  fs::create_directories(outside);
  fs::create_directories(layout.SnapshotDir(kCommitA));
  fs::create_symlink(outside, layout.SnapshotDir(kCommitA) + "/sub");
  Status st = layout.LinkSnapshotFile(kCommitA, "sub/file.txt", kSha1);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST(LocalFileMetadataTest, FormatsAndParsesHuggingfaceHubsThreeLines) {
  LocalFileMetadata m{kCommitA, kSha256, 1712656091.123};
  std::string text = FormatLocalFileMetadata(m);
  EXPECT_EQ(text, kCommitA + "\n" + kSha256 + "\n1712656091.123000\n");
  std::optional<LocalFileMetadata> parsed = ParseLocalFileMetadata(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->commit, kCommitA);
  EXPECT_EQ(parsed->etag, kSha256);
  EXPECT_DOUBLE_EQ(parsed->timestamp, 1712656091.123);
  // As Python writes it (repr of time.time()).
  EXPECT_TRUE(ParseLocalFileMetadata(kCommitA + "\n" + kSha1 + "\n1712656091.1234567\n"));
  EXPECT_FALSE(ParseLocalFileMetadata(kCommitA + "\n" + kSha1 + "\n"));
  EXPECT_FALSE(ParseLocalFileMetadata(kCommitA + "\n" + kSha1 + "\nsoon\n"));
}

class LocalDirLayoutTest : public PullTempDirTest {};

TEST_F(LocalDirLayoutTest, UpToDateOnlyWithSameEtagAndUnmodifiedFile) {
  LocalDirLayout layout(dir_);
  PULL_ASSERT_OK(layout.PrepareFor("sub/file.txt"));
  EXPECT_EQ(ReadAll(dir_ + "/.cache/huggingface/.gitignore"), "*");
  EXPECT_EQ(layout.MetadataPath("sub/file.txt"),
            dir_ + "/.cache/huggingface/download/sub/file.txt.metadata");
  EXPECT_EQ(layout.IncompletePath("sub/file.txt", kSha1),
            dir_ + "/.cache/huggingface/download/sub/file.txt." + kSha1 + ".incomplete");
  WriteAll(layout.FilePath("sub/file.txt"), "hello");
  EXPECT_FALSE(layout.IsUpToDate("sub/file.txt", kSha1)) << "no metadata yet";

  const double now = static_cast<double>(time(nullptr));
  PULL_ASSERT_OK(layout.WriteMetadata("sub/file.txt", kCommitA, kSha1, now));
  EXPECT_TRUE(layout.IsUpToDate("sub/file.txt", kSha1));
  EXPECT_FALSE(layout.IsUpToDate("sub/file.txt", kSha256)) << "another etag";
  // Modified after the metadata was written: no longer trusted.
  PULL_ASSERT_OK(layout.WriteMetadata("sub/file.txt", kCommitA, kSha1, now - 3600));
  EXPECT_FALSE(layout.IsUpToDate("sub/file.txt", kSha1));
  EXPECT_FALSE(layout.PrepareFor("../x").ok());
}

}  // namespace
}  // namespace testing_pull
}  // namespace hubmirror
