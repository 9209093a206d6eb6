// End-to-end: `hubmirror sync` against the fake hub, then `serve --offline`
// from what it stored; incremental and interrupted syncs, filters, whole
// authors from a config, and the scheduled sync inside `serve`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

using nlohmann::json;

// Distinct objects the store holds for its repos, by its own accounting
// (`hubmirror du`): the chunked store keeps no file per object.
size_t StoredObjects(const std::string& store) {
  CommandResult du = RunHubmirror({"du", "--json", "--store", store});
  nlohmann::json doc = nlohmann::json::parse(du.output, nullptr, false);
  if (du.exit_code != 0 || !doc.is_object()) return 0;
  return doc["total"]["objects"].get<size_t>();
}

// A file of a repo at a revision, as the manifest describes it.
struct FixtureFile {
  std::string prefix_and_id;  // "acme/x" or "datasets/acme/x"
  std::string revision;
  std::string path;
  std::string sha256;
};

class SyncE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.ok()) << "fake hub did not start";
    manifest_ = json::parse(HttpGet(hub_.api_url(), "/_fake/manifest").body, nullptr, false);
    ASSERT_TRUE(manifest_.is_object());
  }

  // Every file of `id` at `revision`, from the manifest.
  std::vector<FixtureFile> FilesOf(const std::string& type, const std::string& id,
                                   const std::string& revision) {
    std::vector<FixtureFile> files;
    for (const json& repo : manifest_["repos"]) {
      if (repo["id"] != id || repo["type"] != type) continue;
      const std::string commit = repo["refs"][revision];
      for (const json& c : repo["commits"]) {
        if (c["id"] != commit) continue;
        for (const json& f : c["files"]) {
          files.push_back({(type == "dataset" ? "datasets/" : "") + id, revision, f["path"],
                           f["sha256"]});
        }
      }
    }
    return files;
  }

  std::vector<std::string> SyncArgs(std::vector<std::string> repos) {
    std::vector<std::string> args = {"sync", "--store", store_.path(), "--upstream",
                                     hub_.api_url()};
    args.insert(args.end(), repos.begin(), repos.end());
    return args;
  }

  // GETs a file from an (offline) mirror.
  HttpReply Resolve(const Mirror& mirror, const FixtureFile& f) {
    return HttpGet(mirror.url(), "/" + f.prefix_and_id + "/resolve/" + f.revision + "/" + f.path);
  }

  std::string WriteConfig(const std::string& text) {
    std::string path = store_.path() + "-config.toml";
    std::ofstream(path) << text;
    config_paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& p : config_paths_) std::remove(p.c_str());
  }

  TempDir store_;
  FakeHub hub_{{"--page-size", "3"}};
  json manifest_;
  std::vector<std::string> config_paths_;
};

TEST_F(SyncE2eTest, SyncedRevisionsAreServedOfflineByteForByte) {
  std::vector<FixtureFile> files = FilesOf("model", "acme/tiny-model", "main");
  for (auto& f : FilesOf("model", "acme/tiny-model", "v1")) files.push_back(f);
  // A second model, sharing some objects with the first (its weights are
  // tiny-model@v1's): the issue's "two models (one at two revisions) and a
  // dataset".
  for (auto& f : FilesOf("model", "acme/tiny-model-ft", "main")) files.push_back(f);
  for (auto& f : FilesOf("dataset", "acme/tiny-dataset", "main")) files.push_back(f);
  ASSERT_EQ(files.size(), 20u);
  std::map<std::string, std::string> expected;  // "id@rev/path" -> bytes from the fake hub
  for (const FixtureFile& f : files) {
    std::string bytes = hub_.DirectDownload(f.prefix_and_id, f.revision, f.path);
    ASSERT_EQ(Sha256OfString(bytes), f.sha256) << f.path;
    expected[f.prefix_and_id + "@" + f.revision + "/" + f.path] = bytes;
  }
  hub_.ResetStats();

  const std::vector<std::string> repos = {"acme/tiny-model@main", "acme/tiny-model@v1",
                                          "acme/tiny-model-ft", "datasets/acme/tiny-dataset"};
  CommandResult first = RunHubmirror(SyncArgs(repos));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("fetched acme/tiny-model/model.safetensors"), std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("files]"), std::string::npos) << "a total progress line";
  EXPECT_NE(first.output.find("synced acme/tiny-model@v1"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("synced acme/tiny-model-ft@main"), std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("synced datasets/acme/tiny-dataset@main"), std::string::npos);
  EXPECT_GT(hub_.Stats()["cdn_requests"].get<int>(), 0);

  // Incremental: nothing changed upstream, so only metadata moves.
  hub_.ResetStats();
  CommandResult second = RunHubmirror(SyncArgs(repos));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  json stats = hub_.Stats();
  EXPECT_EQ(stats["cdn_requests"], 0) << stats.dump();
  EXPECT_EQ(stats["resolve_requests"], 0) << stats.dump();
  EXPECT_NE(second.output.find("unchanged acme/tiny-model@main"), std::string::npos)
      << second.output;

  hub_.Stop();
  Mirror mirror(store_.path(), hub_.api_url(), {"--offline"});
  ASSERT_TRUE(mirror.ok());
  for (const FixtureFile& f : files) {
    HttpReply reply = Resolve(mirror, f);
    ASSERT_EQ(reply.status, 200) << f.prefix_and_id << "@" << f.revision << "/" << f.path;
    EXPECT_TRUE(reply.body == expected[f.prefix_and_id + "@" + f.revision + "/" + f.path])
        << f.path << " differs";
  }
  HttpReply tree = HttpGet(mirror.url(), "/api/models/acme/tiny-model/tree/v1?recursive=true");
  ASSERT_EQ(tree.status, 200) << tree.body;
  size_t tree_files = 0;
  for (const json& e : json::parse(tree.body)) tree_files += e["type"] == "file";
  EXPECT_EQ(tree_files, FilesOf("model", "acme/tiny-model", "v1").size());
  HttpReply info = HttpGet(mirror.url(), "/api/datasets/acme/tiny-dataset/revision/main");
  EXPECT_EQ(info.status, 200) << info.body;
  HttpReply ft_info = HttpGet(mirror.url(), "/api/models/acme/tiny-model-ft/revision/main");
  EXPECT_EQ(ft_info.status, 200) << ft_info.body;
}

// The partial a killed sync left in DIR/tmp (0 when there is none).
uint64_t PartialBytes(const std::string& store) {
  uint64_t bytes = 0;
  for (const auto& [path, size] : ListFilesWithSizes(store + "/tmp")) {
    if (path.ends_with(".partial")) bytes += size;
  }
  return bytes;
}

TEST_F(SyncE2eTest, InterruptedSyncResumesWithRangeAndCompletes) {
  const FixtureFile big = FilesOf("model", "acme/big-model", "main").at(0);
  const std::string bytes = hub_.DirectDownload(big.prefix_and_id, "main", big.path);
  ASSERT_EQ(Sha256OfString(bytes), big.sha256);
  const uint64_t size = bytes.size();
  hub_.ResetStats();

  // Slow enough that the kill lands mid-file (64 MiB take 8 s).
  constexpr uint64_t kKillAfter = 8 << 20;
  hub_.Control("/_fake/cdn-rate?bytes_per_sec=" + std::to_string(8 << 20));
  {
    std::vector<std::string> argv = {HUBMIRROR_BIN};
    for (const std::string& a : SyncArgs({"acme/big-model"})) argv.push_back(a);
    argv.push_back("--no-xet-pull");  // the CDN's rate limit is what makes it interruptible
    ChildProcess sync(argv, {{"HF_TOKEN", ""}});
    ASSERT_TRUE(sync.started());
    for (int i = 0; i < 400 && PartialBytes(store_.path()) < kKillAfter; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    sync.Kill();  // SIGKILL: no destructor, no cleanup
  }
  const uint64_t partial = PartialBytes(store_.path());
  ASSERT_GE(partial, kKillAfter);
  ASSERT_LT(partial, size);
  const uint64_t first_cdn_bytes = hub_.Stats()["cdn_bytes"].get<uint64_t>();
  // A leftover of some other crashed writer: not resumable, nobody holds it.
  WriteFile(store_.path() + "/tmp/0123456789abcdef-1-0.tmp", "stale");
  // Nothing was published by the killed run.
  {
    hub_.Stop();
    Mirror offline(store_.path(), hub_.api_url(), {"--offline"});
    ASSERT_TRUE(offline.ok());
    EXPECT_NE(Resolve(offline, big).status, 200);
  }
  ASSERT_EQ(PartialBytes(store_.path()), partial) << "serve keeps an unheld partial";
  WriteFile(store_.path() + "/tmp/0123456789abcdef-1-0.tmp", "stale");

  FakeHub hub2({"--page-size", "3"});
  ASSERT_TRUE(hub2.ok());
  CommandResult rerun = RunHubmirror({"sync", "--store", store_.path(), "--upstream", hub2.api_url(),
                                      "--no-xet-pull", "acme/big-model"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  json stats = hub2.Stats();
  // The killed run's chunks are in its xorb files and journal (.partial);
  // the sync goes on from the last chunk both recorded, which lies at most
  // one journal batch and one write buffer (a few MiB) before the end.
  uint64_t resumed_from = 0;
  for (const json& r : stats["requests"]) {
    const std::string range = r["range"].get<std::string>();
    if (r["host"] == "cdn" && range.starts_with("bytes=") && range.ends_with("-")) {
      resumed_from = std::stoull(range.substr(6, range.size() - 7));
    }
  }
  EXPECT_GT(resumed_from, 0u) << "no ranged CDN request: " << stats.dump();
  EXPECT_LE(resumed_from, partial);
  EXPECT_GE(resumed_from + (8 << 20), partial);
  const uint64_t second_cdn_bytes = stats["cdn_bytes"].get<uint64_t>();
  EXPECT_EQ(second_cdn_bytes, size - resumed_from);
  EXPECT_LT(first_cdn_bytes + second_cdn_bytes, 2 * size);
  EXPECT_TRUE(ListFilesWithSizes(store_.path() + "/tmp").empty())
      << "the partial is gone once committed, the stale temp file was cleaned";

  hub2.Stop();
  Mirror mirror(store_.path(), hub2.api_url(), {"--offline"});
  ASSERT_TRUE(mirror.ok());
  HttpReply reply = Resolve(mirror, big);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(Sha256OfString(reply.body), big.sha256);
}

TEST_F(SyncE2eTest, IncludeFilterStoresOnlyMatchingFiles) {
  CommandResult run = RunHubmirror(
      {"sync", "--store", store_.path(), "--upstream", hub_.api_url(), "--include", "*.json",
       "acme/tiny-model"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // config.json and tokenizer/tokenizer.json are the JSON files of main.
  EXPECT_EQ(StoredObjects(store_.path()), 2u) << run.output;
  hub_.Stop();
  Mirror mirror(store_.path(), hub_.api_url(), {"--offline"});
  ASSERT_TRUE(mirror.ok());
  EXPECT_EQ(HttpGet(mirror.url(), "/acme/tiny-model/resolve/main/config.json").status, 200);
  HttpReply weights = HttpGet(mirror.url(), "/acme/tiny-model/resolve/main/model.safetensors");
  EXPECT_EQ(weights.status, 404);
  EXPECT_EQ(weights.Header("X-Error-Code"), "EntryNotFound");
}

TEST_F(SyncE2eTest, FailuresNameRepoRevisionAndFix) {
  CommandResult run = RunHubmirror(SyncArgs({"acme/tiny-model@no-such-branch", "acme/gated-model"}));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("acme/tiny-model@no-such-branch"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("check the revision"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("acme/gated-model@main"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("HF_TOKEN"), std::string::npos) << run.output;
  EXPECT_EQ(RunHubmirror(SyncArgs({"../etc"})).exit_code, 2);
}

TEST_F(SyncE2eTest, ConfigWithWholeAuthorSyncsEveryRepoOfIt) {
  std::string config = WriteConfig(
      "[[sync.repos]]\nrepo = \"acme/*\"\ninclude = [\"*.json\"]\n"
      "[[sync.repos]]\nrepo = \"datasets/acme/*\"\n");
  CommandResult run = RunHubmirror(
      {"sync", "--config", config, "--store", store_.path(), "--upstream", hub_.api_url()},
      {{"HF_TOKEN", "hf_fake_gated_token"}});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const char* repo : {"acme/tiny-model", "acme/tiny-model-ft", "acme/gated-model",
                           "acme/big-model", "datasets/acme/tiny-dataset"}) {
    EXPECT_NE(run.output.find(std::string("synced ") + repo + "@main"), std::string::npos)
        << repo << "\n" << run.output;
  }
  EXPECT_EQ(run.output.find("gpt-mini"), std::string::npos) << "another author";
  hub_.Stop();
  Mirror mirror(store_.path(), hub_.api_url(), {"--offline"});
  ASSERT_TRUE(mirror.ok());
  EXPECT_EQ(HttpGet(mirror.url(), "/acme/tiny-model-ft/resolve/main/config.json").status, 200);
  // Stored, but gated upstream: never served to anonymous clients (see
  // AccessTest for tokens that may read it).
  HttpReply gated = HttpGet(mirror.url(), "/acme/gated-model/resolve/main/config.json");
  EXPECT_EQ(gated.status, 401);
  EXPECT_EQ(gated.Header("X-Error-Code"), "GatedRepo");
  EXPECT_EQ(
      HttpGet(mirror.url(), "/datasets/acme/tiny-dataset/resolve/main/data/test.jsonl").status,
      200);
}

TEST_F(SyncE2eTest, ServeRunsTheSyncListOnAnInterval) {
  std::string config = WriteConfig(
      "[sync]\ninterval_seconds = 1\n[[sync.repos]]\nrepo = \"acme/tiny-model-ft\"\n");
  Mirror mirror(store_.path(), hub_.api_url(), {"--config", config});
  ASSERT_TRUE(mirror.ok());
  // No client asks for anything: the five files arrive by the scheduled sync.
  size_t objects = 0;
  for (int i = 0; i < 300 && objects < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    objects = StoredObjects(store_.path());
  }
  ASSERT_EQ(objects, 5u);
  int status = mirror.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "serve exits cleanly with the scheduler running: " << status;
  hub_.Stop();
  Mirror offline(store_.path(), hub_.api_url(), {"--offline"});
  ASSERT_TRUE(offline.ok());
  EXPECT_EQ(HttpGet(offline.url(), "/acme/tiny-model-ft/resolve/main/adapter.safetensors").status,
            200);
}

}  // namespace
}  // namespace hubmirror::e2e
