// End-to-end: `hubmirror pull` downloading from the real `hubmirror serve`
// (and straight from the fake hub, an "HF-compatible hub" whose LFS files
// redirect to a CDN) into the huggingface_hub cache layout or a plain folder.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/hub_fixture.h"

extern char** environ;

namespace hubmirror::e2e {
namespace {

namespace fs = std::filesystem;

constexpr auto kPullTimeout = std::chrono::seconds(120);

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct PullRun {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
  std::string err;
};

// Runs `hubmirror pull ARGS` to completion (bounded), without HF_* variables
// from the test's own environment.
PullRun RunPull(const std::vector<std::string>& args, const std::string& scratch_dir) {
  std::vector<std::string> argv = {HUBMIRROR_BIN, "pull"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "HF_", 3) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  const std::string out_path = scratch_dir + "/pull.stdout";
  const std::string err_path = scratch_dir + "/pull.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  PullRun run;
  if (rc != 0) return run;
  auto deadline = std::chrono::steady_clock::now() + kPullTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

// Relative paths of every non-directory entry under `root`.
std::set<std::string> FilesUnder(const std::string& root) {
  std::set<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_directory() || e.is_symlink()) {
      files.insert(e.path().lexically_relative(root).string());
    }
  }
  return files;
}

std::string NormalizedEtag(const HttpReply& head) {
  std::string etag = head.Header("X-Linked-Etag");
  if (etag.empty()) etag = head.Header("ETag");
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

const std::set<std::string> kTinyModelMainFiles = {
    "README.md",         "config.json",           "model.safetensors",
    "tokenizer/tokenizer.json", "tokenizer/vocab.txt", "weights/part-00001.bin"};

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.ok()) << "fake hub did not start";
    mirror_ = std::make_unique<Mirror>(store_.path(), hub_.api_url());
    ASSERT_TRUE(mirror_->ok()) << "hubmirror did not start";
    cache_ = scratch_.path() + "/cache";
  }

  PullRun Pull(std::vector<std::string> args, const std::string& endpoint = "") {
    args.push_back("--endpoint");
    args.push_back(endpoint.empty() ? mirror_->url() : endpoint);
    return RunPull(args, scratch_.path());
  }

  // The commit a resolve of `revision` answers with (X-Repo-Commit).
  std::string CommitOf(const std::string& prefix_and_id, const std::string& revision,
                       const std::string& any_file) {
    HttpReply head = HttpRequest(mirror_->url(), "HEAD",
                                 "/" + prefix_and_id + "/resolve/" + revision + "/" + any_file);
    return head.Header("X-Repo-Commit");
  }

  // Checks the snapshot of `prefix_and_id` at `commit` in the cache: every
  // file a relative symlink into blobs/, named by its etag, with the hub's
  // bytes; returns the files found.
  std::set<std::string> ExpectCachedSnapshot(const std::string& repo_folder,
                                             const std::string& prefix_and_id,
                                             const std::string& commit) {
    const std::string repo_dir = cache_ + "/" + repo_folder;
    const std::string snapshot = repo_dir + "/snapshots/" + commit;
    std::set<std::string> files = FilesUnder(snapshot);
    for (const std::string& file : files) {
      const std::string link = snapshot + "/" + file;
      EXPECT_TRUE(fs::is_symlink(link)) << file;
      fs::path target = fs::read_symlink(link);
      EXPECT_TRUE(target.is_relative()) << file << " -> " << target;
      EXPECT_EQ(target.string().rfind("../", 0), 0u) << target;
      fs::path blob = fs::canonical(link);
      EXPECT_EQ(blob.parent_path(), fs::canonical(repo_dir + "/blobs")) << file;
      HttpReply head = HttpRequest(hub_.api_url(), "HEAD",
                                   "/" + prefix_and_id + "/resolve/" + commit + "/" + file);
      EXPECT_EQ(blob.filename().string(), NormalizedEtag(head)) << file;
      std::string expected = hub_.DirectDownload(prefix_and_id, commit, file);
      EXPECT_FALSE(expected.empty()) << file;
      EXPECT_EQ(Sha256OfString(ReadFile(blob.string())), Sha256OfString(expected)) << file;
    }
    for (const auto& e : fs::directory_iterator(repo_dir + "/blobs")) {
      EXPECT_EQ(e.path().extension(), "") << "left behind: " << e.path();
    }
    return files;
  }

  TempDir store_;
  TempDir scratch_;
  FakeHub hub_;
  std::unique_ptr<Mirror> mirror_;
  std::string cache_;
};

TEST_F(PullTest, MainIntoTheHfCacheLayoutThroughTheMirror) {
  PullRun run = Pull({"acme/tiny-model", "--cache-dir", cache_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string commit = CommitOf("acme/tiny-model", "main", "config.json");
  ASSERT_EQ(commit.size(), 40u);
  const std::string repo_dir = cache_ + "/models--acme--tiny-model";
  EXPECT_EQ(Trim(run.out), repo_dir + "/snapshots/" + commit);
  EXPECT_EQ(ReadFile(repo_dir + "/refs/main"), commit) << "the commit, no newline";
  EXPECT_EQ(ExpectCachedSnapshot("models--acme--tiny-model", "acme/tiny-model", commit),
            kTinyModelMainFiles);

  // Again: everything is present, nothing is downloaded.
  PullRun again = Pull({"acme/tiny-model", "--cache-dir", cache_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("6 files, 0 downloaded"), std::string::npos) << again.err;
}

TEST_F(PullTest, TagAndPullRequestRevisions) {
  PullRun v1 = Pull({"acme/tiny-model", "--revision", "v1", "--cache-dir", cache_});
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  PullRun pr = Pull({"acme/tiny-model", "--revision", "refs/pr/1", "--cache-dir", cache_});
  ASSERT_EQ(pr.exit_code, 0) << pr.err;

  const std::string repo_dir = cache_ + "/models--acme--tiny-model";
  const std::string v1_commit = CommitOf("acme/tiny-model", "v1", "config.json");
  const std::string pr_commit = CommitOf("acme/tiny-model", "refs%2Fpr%2F1", "notes.txt");
  ASSERT_EQ(pr_commit.size(), 40u);
  EXPECT_NE(v1_commit, pr_commit);
  EXPECT_EQ(ReadFile(repo_dir + "/refs/v1"), v1_commit);
  EXPECT_EQ(ReadFile(repo_dir + "/refs/refs/pr/1"), pr_commit) << "nested like huggingface_hub";
  EXPECT_EQ(Trim(pr.out), repo_dir + "/snapshots/" + pr_commit);

  std::set<std::string> v1_files =
      ExpectCachedSnapshot("models--acme--tiny-model", "acme/tiny-model", v1_commit);
  EXPECT_EQ(v1_files.count("weights/part-00001.bin"), 0u);
  EXPECT_EQ(v1_files.count("tokenizer/vocab.txt"), 1u);
  std::set<std::string> pr_files =
      ExpectCachedSnapshot("models--acme--tiny-model", "acme/tiny-model", pr_commit);
  EXPECT_EQ(pr_files.count("notes.txt"), 1u);
}

TEST_F(PullTest, DatasetGetsItsOwnFolder) {
  PullRun run = Pull({"datasets/acme/tiny-dataset", "--cache-dir", cache_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string commit = CommitOf("datasets/acme/tiny-dataset", "main", "README.md");
  EXPECT_EQ(ReadFile(cache_ + "/datasets--acme--tiny-dataset/refs/main"), commit);
  std::set<std::string> files = ExpectCachedSnapshot(
      "datasets--acme--tiny-dataset", "datasets/acme/tiny-dataset", commit);
  EXPECT_EQ(files, (std::set<std::string>{"README.md", "data/test.jsonl", "data/train.jsonl",
                                          "data/train-00000-of-00001.parquet"}));
  EXPECT_FALSE(fs::exists(cache_ + "/models--acme--tiny-dataset"));
}

TEST_F(PullTest, IncludeTakesOnlyMatchingFiles) {
  PullRun run = Pull({"acme/tiny-model", "--include", "*.json", "--cache-dir", cache_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string commit = CommitOf("acme/tiny-model", "main", "config.json");
  EXPECT_EQ(ExpectCachedSnapshot("models--acme--tiny-model", "acme/tiny-model", commit),
            (std::set<std::string>{"config.json", "tokenizer/tokenizer.json"}));
}

TEST_F(PullTest, LocalDirGetsPlainFilesWithHuggingfaceHubMetadata) {
  const std::string dir = scratch_.path() + "/plain";
  PullRun run = Pull({"acme/tiny-model", "--local-dir", dir, "--exclude", "weights/*"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Trim(run.out), dir);
  const std::string commit = CommitOf("acme/tiny-model", "main", "config.json");
  std::set<std::string> expected = kTinyModelMainFiles;
  expected.erase("weights/part-00001.bin");
  for (const std::string& file : expected) {
    const std::string path = dir + "/" + file;
    EXPECT_FALSE(fs::is_symlink(path)) << file;
    EXPECT_EQ(Sha256OfString(ReadFile(path)),
              Sha256OfString(hub_.DirectDownload("acme/tiny-model", commit, file)))
        << file;
    std::string metadata = ReadFile(dir + "/.cache/huggingface/download/" + file + ".metadata");
    HttpReply head = HttpRequest(hub_.api_url(), "HEAD",
                                 "/acme/tiny-model/resolve/" + commit + "/" + file);
    EXPECT_EQ(metadata.rfind(commit + "\n" + NormalizedEtag(head) + "\n", 0), 0u) << metadata;
  }
  EXPECT_FALSE(fs::exists(dir + "/weights"));
  EXPECT_FALSE(fs::exists(cache_));
  EXPECT_EQ(ReadFile(dir + "/.cache/huggingface/.gitignore"), "*");
}

TEST_F(PullTest, StraightFromAnHfCompatibleHubWithCdnRedirects) {
  PullRun run = Pull({"acme/tiny-model", "--cache-dir", cache_}, hub_.api_url());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string commit = CommitOf("acme/tiny-model", "main", "config.json");
  EXPECT_EQ(ExpectCachedSnapshot("models--acme--tiny-model", "acme/tiny-model", commit),
            kTinyModelMainFiles);
  EXPECT_GT(hub_.Stats()["cdn_requests"].get<int>(), 0) << "LFS files came from the CDN";
}

// Resume against the fake hub directly, where the Range requests are visible:
// a partial holding the first half of a blob is completed from the middle; a
// partial holding wrong bytes is detected after completion, deleted, and the
// file is downloaded again from scratch (the pull succeeds and says so).
TEST_F(PullTest, ResumesPartialBlobsAndReplacesCorruptOnes) {
  const std::string commit = CommitOf("acme/tiny-model", "main", "config.json");
  const std::string model = hub_.DirectDownload("acme/tiny-model", commit, "model.safetensors");
  const std::string part = hub_.DirectDownload("acme/tiny-model", commit, "weights/part-00001.bin");
  ASSERT_FALSE(model.empty());
  ASSERT_FALSE(part.empty());
  const std::string blobs = cache_ + "/models--acme--tiny-model/blobs/";
  const size_t half = model.size() / 2;
  WriteFile(blobs + Sha256OfString(model) + ".incomplete", model.substr(0, half));
  WriteFile(blobs + Sha256OfString(part) + ".incomplete", std::string(part.size() / 3, 'X'));
  hub_.ResetStats();

  PullRun run = Pull({"acme/tiny-model", "--cache-dir", cache_}, hub_.api_url());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectCachedSnapshot("models--acme--tiny-model", "acme/tiny-model", commit);
  EXPECT_FALSE(fs::exists(blobs + Sha256OfString(model) + ".incomplete"));
  EXPECT_FALSE(fs::exists(blobs + Sha256OfString(part) + ".incomplete"));
  EXPECT_NE(run.err.find("partial download of weights/part-00001.bin did not verify"),
            std::string::npos)
      << run.err;

  std::set<std::string> cdn_ranges;
  const nlohmann::json stats = hub_.Stats();
  for (const auto& request : stats["requests"]) {
    if (request["host"] == "cdn") cdn_ranges.insert(request["range"].get<std::string>());
  }
  EXPECT_EQ(cdn_ranges.count("bytes=" + std::to_string(half) + "-"), 1u)
      << "the half-downloaded blob resumed from its middle";
  EXPECT_EQ(cdn_ranges.count("bytes=" + std::to_string(part.size() / 3) + "-"), 1u)
      << "the corrupt partial was resumed first";
  EXPECT_EQ(cdn_ranges.count(""), 1u) << "then downloaded once from scratch";
}

TEST_F(PullTest, UnknownRepoFailsNamingTheRepo) {
  PullRun run = Pull({"acme/does-not-exist", "--cache-dir", cache_});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("acme/does-not-exist"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("fix:"), std::string::npos) << run.err;
  EXPECT_EQ(Trim(run.out), "");
  EXPECT_FALSE(fs::exists(cache_ + "/models--acme--does-not-exist/refs"));
}

TEST_F(PullTest, UnknownRevisionFailsNamingTheRevision) {
  PullRun run = Pull({"acme/tiny-model", "--revision", "no-such-branch", "--cache-dir", cache_});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("no-such-branch"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace hubmirror::e2e
