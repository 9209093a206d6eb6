#include "fetcher/repo_puller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "fetcher/hf_cache_layout.h"
#include "fetcher/hf_client_defaults.h"
#include "tests/fetcher/pull_test_upstream.h"

namespace hubmirror {
namespace testing_pull {
namespace {

namespace fs = std::filesystem;

// Counts what the puller reports, from any thread.
class CountingProgress : public TransferProgress {
 public:
  void AddPlanned(uint64_t files, uint64_t bytes) override {
    planned_files += files;
    planned_bytes += bytes;
  }
  void FileStarted(const std::string&, uint64_t) override { ++started; }
  void BytesTransferred(const std::string&, uint64_t n) override { transferred += n; }
  void FileFinished(const std::string&, const Status& status, bool already_present) override {
    ++finished;
    if (!status.ok()) ++failed;
    if (already_present) ++present;
  }
  std::atomic<uint64_t> planned_files{0}, planned_bytes{0}, started{0}, transferred{0},
      finished{0}, failed{0}, present{0};
};

class RepoPullerTest : public PullTempDirTest {
 protected:
  void SetUp() override {
    PullTempDirTest::SetUp();
    env_ = NewPosixEnv();
    config_ = Bytes("{config}", 120);
    vocab_ = Bytes("vocab", 2100);
    weights_ = Bytes("weights", 9000);
    hub_.AddFile(kCommitA, "config.json", config_, false);
    hub_.AddFile(kCommitA, "tokenizer/vocab.txt", vocab_, false);
    hub_.AddFile(kCommitA, "model.safetensors", weights_, true);
    hub_.AddFile(kCommitA, "copies/same-weights.safetensors", weights_, true);
    EntryRecord dir;
    dir.path = "tokenizer";
    dir.is_directory = true;
    dir.oid = std::string(40, 'd');
    hub_.AddRawEntry(kCommitA, dir);
    hub_.SetRef("main", kCommitA);
    hub_.SetRef("refs/pr/1", kCommitA);
  }

  PullOptions CacheOptions(const std::string& revision = "main") const {
    PullOptions o;
    o.repo = {RepoType::kModel, "org/name"};
    o.revision = revision;
    o.cache_dir = dir_ + "/cache";
    o.jobs = 3;
    return o;
  }

  Result<PullResult> Pull(const PullOptions& options) {
    RepoPuller puller(&hub_, &progress_, env_.get());
    return puller.Pull(options);
  }

  std::string repo_dir() const { return dir_ + "/cache/models--org--name"; }

  ScriptedHub hub_;
  CountingProgress progress_;
  std::unique_ptr<Env> env_;
  std::string config_, vocab_, weights_;
};

TEST_F(RepoPullerTest, WritesTheHuggingfaceHubCacheLayout) {
  Result<PullResult> r = Pull(CacheOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->commit, kCommitA);
  EXPECT_EQ(r->snapshot_path, repo_dir() + "/snapshots/" + kCommitA);
  EXPECT_EQ(r->files_selected, 4u);
  EXPECT_EQ(ReadAll(repo_dir() + "/refs/main"), kCommitA);

  const std::string snapshot = r->snapshot_path;
  EXPECT_EQ(fs::read_symlink(snapshot + "/config.json").string(),
            "../../blobs/" + GitBlobSha1Hex(config_));
  EXPECT_EQ(fs::read_symlink(snapshot + "/tokenizer/vocab.txt").string(),
            "../../../blobs/" + GitBlobSha1Hex(vocab_));
  EXPECT_EQ(fs::read_symlink(snapshot + "/model.safetensors").string(),
            "../../blobs/" + Sha256Hex(weights_));
  EXPECT_EQ(ReadAll(snapshot + "/tokenizer/vocab.txt"), vocab_);
  EXPECT_EQ(ReadAll(snapshot + "/copies/same-weights.safetensors"), weights_);

  // Three distinct blobs; the shared one downloaded once.
  size_t blobs = 0;
  for (const auto& e : fs::directory_iterator(repo_dir() + "/blobs")) {
    ++blobs;
    EXPECT_EQ(e.path().extension(), "") << e.path();
  }
  EXPECT_EQ(blobs, 3u);
  EXPECT_EQ(hub_.downloads().size(), 3u);
  EXPECT_EQ(progress_.planned_files, 4u);
  EXPECT_EQ(progress_.finished, 4u);
  EXPECT_EQ(progress_.transferred, config_.size() + vocab_.size() + weights_.size());
}

TEST_F(RepoPullerTest, SecondPullDownloadsNothingAndPrRefsNest) {
  ASSERT_TRUE(Pull(CacheOptions()).ok());
  size_t downloads = hub_.downloads().size();
  Result<PullResult> again = Pull(CacheOptions("refs/pr/1"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(hub_.downloads().size(), downloads);
  EXPECT_EQ(again->files_already_present, 4u);
  EXPECT_EQ(ReadAll(repo_dir() + "/refs/refs/pr/1"), kCommitA);
}

TEST_F(RepoPullerTest, CommitRevisionWritesNoRef) {
  Result<PullResult> r = Pull(CacheOptions(kCommitA));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(fs::exists(repo_dir() + "/refs"));
  EXPECT_TRUE(fs::exists(r->snapshot_path + "/config.json"));
}

TEST_F(RepoPullerTest, IncludeAndExcludeSelectFiles) {
  PullOptions o = CacheOptions();
  o.filter = PathFilter({"*.json", "*.txt"}, {"tokenizer/*"});
  Result<PullResult> r = Pull(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files_selected, 1u);
  EXPECT_TRUE(fs::exists(r->snapshot_path + "/config.json"));
  EXPECT_FALSE(fs::exists(r->snapshot_path + "/tokenizer"));
  EXPECT_FALSE(fs::exists(r->snapshot_path + "/model.safetensors"));
}

TEST_F(RepoPullerTest, CorruptPartialBlobIsReplaced) {
  const std::string blob = repo_dir() + "/blobs/" + Sha256Hex(weights_);
  WriteAll(blob + ".incomplete", std::string(4000, 'Z'));
  Result<PullResult> r = Pull(CacheOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(blob), weights_);
  EXPECT_FALSE(fs::exists(blob + ".incomplete"));
  ASSERT_EQ(r->discarded_partials.size(), 1u);
}

TEST_F(RepoPullerTest, FailedFileKeepsTheRefUnwrittenAndNamesTheFile) {
  hub_.FailAfter("model.safetensors", 100);
  hub_.FailAfter("copies/same-weights.safetensors", 100);
  PullOptions o = CacheOptions();
  o.jobs = 1;
  Result<PullResult> r = Pull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("models/org/name"), std::string::npos);
  EXPECT_NE(r.status().message().find("revision main"), std::string::npos);
  EXPECT_NE(r.status().message().find("safetensors"), std::string::npos) << r.status().message();
  EXPECT_TRUE(r.status().retryable());
  EXPECT_FALSE(fs::exists(repo_dir() + "/refs/main"));
  EXPECT_GE(progress_.failed, 1u);

  // The next run resumes the partial and completes.
  Result<PullResult> again = Pull(CacheOptions());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ReadAll(repo_dir() + "/refs/main"), kCommitA);
  bool resumed = false;
  for (const auto& [path, offset] : hub_.downloads()) resumed |= offset == 100;
  EXPECT_TRUE(resumed);
}

TEST_F(RepoPullerTest, UnsafeTreePathFailsBeforeWritingAnything) {
  EntryRecord evil = FileEntry("../../evil.txt", "x", false);
  hub_.AddRawEntry(kCommitA, evil);
  Result<PullResult> r = Pull(CacheOptions());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ + "/cache"));
  EXPECT_FALSE(fs::exists(dir_ + "/evil.txt"));
  EXPECT_TRUE(hub_.downloads().empty());
}

TEST_F(RepoPullerTest, UnknownRepoAndRevisionKeepTheHubVerdict) {
  PullOptions o = CacheOptions();
  o.repo.id = "org/missing";
  Result<PullResult> r = Pull(o);
  EXPECT_EQ(r.status().hub_error(), HubError::kRepoNotFound);
  EXPECT_NE(r.status().message().find("models/org/missing"), std::string::npos);
  Result<PullResult> rev = Pull(CacheOptions("no-such-branch"));
  EXPECT_EQ(rev.status().hub_error(), HubError::kRevisionNotFound);
  EXPECT_NE(rev.status().message().find("no-such-branch"), std::string::npos);
}

TEST_F(RepoPullerTest, LocalDirGetsPlainFilesAndMetadata) {
  PullOptions o = CacheOptions();
  o.cache_dir.clear();
  o.local_dir = dir_ + "/plain";
  Result<PullResult> r = Pull(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->snapshot_path, dir_ + "/plain");
  EXPECT_FALSE(fs::is_symlink(dir_ + "/plain/tokenizer/vocab.txt"));
  EXPECT_EQ(ReadAll(dir_ + "/plain/tokenizer/vocab.txt"), vocab_);
  EXPECT_EQ(ReadAll(dir_ + "/plain/model.safetensors"), weights_);
  std::string metadata =
      ReadAll(dir_ + "/plain/.cache/huggingface/download/model.safetensors.metadata");
  EXPECT_EQ(metadata.rfind(kCommitA + "\n" + Sha256Hex(weights_) + "\n", 0), 0u) << metadata;
  EXPECT_FALSE(fs::exists(dir_ + "/cache"));

  size_t downloads = hub_.downloads().size();
  Result<PullResult> again = Pull(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(hub_.downloads().size(), downloads) << "up-to-date files are kept";
  EXPECT_EQ(again->files_already_present, 4u);
}

TEST(HfClientDefaultsTest, ParseRepoSpec) {
  Result<RepoKey> model = ParseRepoSpec("acme/tiny-model");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->type, RepoType::kModel);
  EXPECT_EQ(model->id, "acme/tiny-model");
  Result<RepoKey> dataset = ParseRepoSpec("datasets/acme/tiny-dataset");
  ASSERT_TRUE(dataset.ok());
  EXPECT_EQ(dataset->type, RepoType::kDataset);
  EXPECT_EQ(dataset->id, "acme/tiny-dataset");
  Result<RepoKey> legacy = ParseRepoSpec("gpt2");
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->id, "gpt2");
  EXPECT_EQ(ParseRepoSpec("models/acme/x")->id, "acme/x");
  EXPECT_FALSE(ParseRepoSpec("../etc").ok());
  EXPECT_FALSE(ParseRepoSpec("").ok());
  EXPECT_FALSE(ParseRepoSpec("a/b/c").ok());
}

TEST(HfClientDefaultsTest, CacheDirEndpointAndTokenPrecedence) {
  std::map<std::string, std::string> vars;
  EnvLookup env = [&vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  vars["HOME"] = "/home/u";
  EXPECT_EQ(*ResolveHubCacheDir("", env), "/home/u/.cache/huggingface/hub");
  vars["XDG_CACHE_HOME"] = "/xdg";
  EXPECT_EQ(*ResolveHubCacheDir("", env), "/xdg/huggingface/hub");
  vars["HF_HOME"] = "~/hf";
  EXPECT_EQ(*ResolveHubCacheDir("", env), "/home/u/hf/hub");
  vars["HF_HUB_CACHE"] = "/hubcache/";
  EXPECT_EQ(*ResolveHubCacheDir("", env), "/hubcache");
  EXPECT_EQ(*ResolveHubCacheDir("/flag", env), "/flag");

  EXPECT_EQ(*ResolveEndpoint("", env), kDefaultPullEndpoint);
  vars["HF_ENDPOINT"] = "https://hub.example/";
  EXPECT_EQ(*ResolveEndpoint("", env), "https://hub.example");
  EXPECT_EQ(*ResolveEndpoint("http://m:8080", env), "http://m:8080");
  EXPECT_FALSE(ResolveEndpoint("ftp://x", env).ok());

  EXPECT_EQ(ResolveToken(env), "");
  vars["HF_TOKEN"] = "hf_abc";
  EXPECT_EQ(ResolveToken(env), "hf_abc");
}

}  // namespace
}  // namespace testing_pull
}  // namespace hubmirror
