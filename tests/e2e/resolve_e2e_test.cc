// End-to-end: file downloads (resolve) through the real `hubmirror serve`
// from the project's fake hub, as HTTP clients see them.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.ok()) << "fake hub did not start";
    // The HTTP pull-through (CDN holds, shared transfers); pulls over Xet
    // stream the same way and are driven in test_xet_pull.py.
    mirror_ = std::make_unique<Mirror>(store_.path(), hub_.api_url(),
                                       std::vector<std::string>{"--no-xet-pull"});
    ASSERT_TRUE(mirror_->ok()) << "hubmirror did not start";
  }

  HttpReply Resolve(const std::string& method, const std::string& repo_path,
                    const httplib::Headers& headers = {}) {
    return HttpRequest(mirror_->url(), method, "/" + repo_path, headers);
  }

  TempDir store_;
  FakeHub hub_;
  std::unique_ptr<Mirror> mirror_;
};

TEST_F(ResolveTest, HeadOfLfsFileCarriesLinkedMetadataWithoutFetchingBytes) {
  std::string expected = hub_.DirectDownload("acme/tiny-model", "main", "model.safetensors");
  ASSERT_FALSE(expected.empty());
  hub_.ResetStats();

  HttpReply head = Resolve("HEAD", "acme/tiny-model/resolve/main/model.safetensors");
  ASSERT_EQ(head.status, 200);
  std::string sha = Sha256OfString(expected);
  EXPECT_EQ(head.Header("X-Linked-Etag"), "\"" + sha + "\"");
  EXPECT_EQ(head.Header("ETag"), "\"" + sha + "\"");
  EXPECT_EQ(head.Header("X-Linked-Size"), std::to_string(expected.size()));
  EXPECT_EQ(head.Header("Content-Length"), std::to_string(expected.size()));
  EXPECT_EQ(head.Header("Accept-Ranges"), "bytes");
  EXPECT_EQ(head.Header("X-Repo-Commit").size(), 40u);
  EXPECT_EQ(head.Header("X-Xet-Hash"), "");
  EXPECT_EQ(head.Header("Link"), "");
  EXPECT_EQ(hub_.Stats()["cdn_requests"], 0) << "a HEAD must not download the file";
}

TEST_F(ResolveTest, RegularFileHasGitBlobEtagAndNoLinkedHeaders) {
  std::string expected = hub_.DirectDownload("acme/tiny-model", "main", "config.json");
  ASSERT_FALSE(expected.empty());
  HttpReply get = Resolve("GET", "acme/tiny-model/resolve/main/config.json");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body, expected);
  std::string blob_header = "blob " + std::to_string(expected.size());
  blob_header.push_back('\0');
  HttpReply direct = HttpRequest(hub_.api_url(), "HEAD", "/acme/tiny-model/resolve/main/config.json");
  EXPECT_EQ(get.Header("ETag"), direct.Header("ETag"));
  EXPECT_EQ(get.Header("X-Repo-Commit"), direct.Header("X-Repo-Commit"));
  EXPECT_EQ(get.Header("X-Linked-Etag"), "");
}

TEST_F(ResolveTest, DownloadsEveryRevisionByteIdenticalAndSecondTimeFromStoreOnly) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"main", "model.safetensors"}, {"main", "weights/part-00001.bin"}, {"v1", "model.safetensors"},
      {"v1", "config.json"},         {"main", "config.json"},           {"v1", "tokenizer/vocab.txt"}};
  std::vector<std::string> expected;
  for (const auto& [rev, path] : files) {
    expected.push_back(hub_.DirectDownload("acme/tiny-model", rev, path));
    ASSERT_FALSE(expected.back().empty()) << rev << "/" << path;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    HttpReply get = Resolve("GET", "acme/tiny-model/resolve/" + files[i].first + "/" + files[i].second);
    ASSERT_EQ(get.status, 200) << files[i].second;
    EXPECT_EQ(Sha256OfString(get.body), Sha256OfString(expected[i])) << files[i].second;
  }
  // Everything is stored now: with the branch still fresh, no request at all
  // reaches the upstream.
  hub_.ResetStats();
  for (size_t i = 0; i < files.size(); ++i) {
    HttpReply get = Resolve("GET", "acme/tiny-model/resolve/" + files[i].first + "/" + files[i].second);
    ASSERT_EQ(get.status, 200);
    EXPECT_EQ(get.body, expected[i]);
  }
  nlohmann::json stats = hub_.Stats();
  EXPECT_EQ(stats["api_requests"], 0) << stats.dump();
  EXPECT_EQ(stats["cdn_requests"], 0) << stats.dump();
}

TEST_F(ResolveTest, RangeOnUncachedAndCachedLfsFileWithCurl) {
  std::string expected = hub_.DirectDownload("acme/tiny-model", "v1", "model.safetensors");
  ASSERT_GT(expected.size(), 200u);
  // The real curl binary, as a user would type it.
  auto curl_range = [&](std::string* headers_out) {
    std::string cmd = "curl -s --max-time 30 -D - -o /dev/stdout -H 'Range: bytes=100-199' '" +
                      mirror_->url() + "/acme/tiny-model/resolve/v1/model.safetensors'";
    FILE* pipe = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
    pclose(pipe);
    size_t split = out.find("\r\n\r\n");
    *headers_out = out.substr(0, split);
    return split == std::string::npos ? std::string() : out.substr(split + 4);
  };
  for (const char* pass : {"uncached", "cached"}) {
    std::string headers;
    std::string body = curl_range(&headers);
    EXPECT_NE(headers.find("HTTP/1.1 206"), std::string::npos) << pass << "\n" << headers;
    EXPECT_NE(headers.find("Content-Range: bytes 100-199/" + std::to_string(expected.size())),
              std::string::npos)
        << pass << "\n" << headers;
    EXPECT_EQ(body, expected.substr(100, 100)) << pass;
  }
}

TEST_F(ResolveTest, RangeForms) {
  std::string expected = hub_.DirectDownload("acme/tiny-model", "main", "config.json");
  const std::string target = "acme/tiny-model/resolve/main/config.json";
  HttpReply open_ended = Resolve("GET", target, {{"Range", "bytes=10-"}});
  EXPECT_EQ(open_ended.status, 206);
  EXPECT_EQ(open_ended.body, expected.substr(10));
  HttpReply suffix = Resolve("GET", target, {{"Range", "bytes=-5"}});
  EXPECT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body, expected.substr(expected.size() - 5));
  HttpReply probe = Resolve("GET", target, {{"Range", "bytes=0-0"}});
  EXPECT_EQ(probe.status, 206);
  EXPECT_EQ(probe.Header("Content-Range"), "bytes 0-0/" + std::to_string(expected.size()));
  HttpReply past_end = Resolve("GET", target, {{"Range", "bytes=999999-"}});
  EXPECT_EQ(past_end.status, 416);
  EXPECT_EQ(past_end.Header("Content-Range"), "bytes */" + std::to_string(expected.size()));
  HttpReply multi = Resolve("GET", target, {{"Range", "bytes=0-1,5-6"}});
  EXPECT_EQ(multi.status, 200) << "multi-range is ignored, the whole file is served";
  EXPECT_EQ(multi.body, expected);
}

TEST_F(ResolveTest, StreamsToTheClientWhileTheUpstreamIsStillSending) {
  // The CDN sends the first 4 MiB and then holds the transfer.
  constexpr size_t kHeld = 4 << 20;
  hub_.Control("/_fake/cdn-gate?pause_after=" + std::to_string(kHeld));
  size_t received_while_held = 0;
  std::string body;
  std::thread client([&] {
    httplib::Client c(mirror_->url());
    c.set_read_timeout(60, 0);
    c.Get("/acme/big-model/resolve/main/model.safetensors",
          [&](const char* data, size_t n) {
            body.append(data, n);
            return true;
          });
  });
  // Wait (bounded) until the client holds most of what the CDN let through.
  for (int i = 0; i < 200 && body.size() < kHeld / 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  received_while_held = body.size();
  hub_.Control("/_fake/cdn-gate?open=1");
  client.join();
  EXPECT_GE(received_while_held, kHeld / 2) << "client got nothing before the upstream finished";
  std::string expected = hub_.DirectDownload("acme/big-model", "main", "model.safetensors");
  EXPECT_EQ(body.size(), expected.size());
  EXPECT_EQ(Sha256OfString(body), Sha256OfString(expected));
}

TEST_F(ResolveTest, RangesWhileTheUpstreamIsHeldStreamButEndOnlyWhenVerified) {
  constexpr size_t kHeld = 4 << 20;
  const std::string kFile = "/acme/big-model/resolve/main/model.safetensors";
  hub_.Control("/_fake/cdn-gate?pause_after=" + std::to_string(kHeld));
  std::atomic<bool> whole_done{false};
  std::thread whole([&] {
    httplib::Client c(mirror_->url());
    c.set_read_timeout(60, 0);
    c.Get(kFile.c_str());
    whole_done = true;
  });
  // The size-and-etag probe of @huggingface/hub answers at once.
  httplib::Client probe_client(mirror_->url());
  probe_client.set_read_timeout(20, 0);
  auto probe = probe_client.Get(kFile.c_str(), {{"Range", "bytes=0-0"}});
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->status, 206);
  EXPECT_EQ(probe->get_header_value("Content-Range"), "bytes 0-0/67108864");
  EXPECT_EQ(probe->body.size(), 1u);
  EXPECT_FALSE(whole_done) << "the gate is still closed";

  // A range inside the part already fetched streams at once, but its last
  // byte waits for the whole object's verdict.
  std::string part;
  std::atomic<bool> part_done{false};
  std::thread ranged([&] {
    httplib::Client c(mirror_->url());
    c.set_read_timeout(60, 0);
    c.Get(kFile.c_str(), {{"Range", "bytes=1000-200999"}}, [&](const char* data, size_t n) {
      part.append(data, n);
      return true;
    });
    part_done = true;
  });
  for (int i = 0; i < 200 && !part_done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(part_done) << "a range ended before the transfer was verified";
  hub_.Control("/_fake/cdn-gate?open=1");
  whole.join();
  ranged.join();
  const std::string expected = hub_.DirectDownload("acme/big-model", "main", "model.safetensors");
  EXPECT_EQ(part, expected.substr(1000, 200000));
  EXPECT_EQ(probe->body, expected.substr(0, 1));
}

TEST_F(ResolveTest, SharedFilesAcrossReposAreStoredOnce) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"acme/tiny-model/resolve/v1/", "model.safetensors"},
      {"acme/tiny-model/resolve/v1/", "tokenizer/tokenizer.json"},
      {"acme/tiny-model/resolve/v1/", "tokenizer/vocab.txt"},
      {"acme/tiny-model/resolve/v1/", "config.json"}};
  const std::vector<std::pair<std::string, std::string>> fine_tune = {
      {"acme/tiny-model-ft/resolve/main/", "model.safetensors"},
      {"acme/tiny-model-ft/resolve/main/", "tokenizer/tokenizer.json"},
      {"acme/tiny-model-ft/resolve/main/", "tokenizer/vocab.txt"},
      {"acme/tiny-model-ft/resolve/main/", "config.json"},
      {"acme/tiny-model-ft/resolve/main/", "adapter.safetensors"}};
  std::map<std::string, uint64_t> unique_sizes;  // sha256 -> size
  uint64_t logical = 0;
  for (const auto* list : {&base, &fine_tune}) {
    for (const auto& [prefix, path] : *list) {
      HttpReply get = Resolve("GET", prefix + path);
      ASSERT_EQ(get.status, 200) << prefix << path;
      unique_sizes[Sha256OfString(get.body)] = get.body.size();
      logical += get.body.size();
    }
  }
  uint64_t unique = 0;
  for (const auto& [sha, size] : unique_sizes) unique += size;
  ASSERT_LT(unique, logical) << "fixture repos are meant to share files";
  // A pull-through's last byte leaves once the file is verified; its commit
  // (fsync, catalog) follows. Wait for the commits before counting.
  for (int i = 0; i < 200; ++i) {
    nlohmann::json doc =
        nlohmann::json::parse(HttpGet(mirror_->url(), "/api/status").body, nullptr, false);
    if (doc.is_object() && doc["objects"] == unique_sizes.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The store's own accounting (`hubmirror du`, the chunked store's figures):
  // every file counted, each distinct one once, and at most its bytes stored.
  CommandResult du_run =
      RunHubmirror({"du", "--json", "--store", store_.path()}, {}, /*merge_stderr=*/false);
  ASSERT_EQ(du_run.exit_code, 0) << du_run.output;
  nlohmann::json du = nlohmann::json::parse(du_run.output, nullptr, false);
  ASSERT_TRUE(du.is_object()) << du_run.output;
  EXPECT_EQ(du["total"]["unique_file_bytes"], unique);
  EXPECT_GE(du["total"]["logical_bytes"].get<uint64_t>(), logical);
  EXPECT_GT(du["total"]["stored_bytes"].get<uint64_t>(), 0u);
  // Stored: the chunks' bytes plus their 8-byte Xet record headers.
  EXPECT_LE(du["total"]["stored_bytes"].get<uint64_t>(), unique + unique / 1000 + 1024);
  EXPECT_EQ(TotalFileBytes(store_.path() + "/objects"), 0u) << "new stores keep no file objects";
  HttpReply status = HttpGet(mirror_->url(), "/api/status");
  nlohmann::json doc = nlohmann::json::parse(status.body, nullptr, false);
  EXPECT_EQ(doc["unique_object_bytes"], unique);
  EXPECT_EQ(doc["objects"], unique_sizes.size());
  // The admin endpoint reports what `du` reports.
  nlohmann::json admin =
      nlohmann::json::parse(HttpGet(mirror_->url(), "/api/admin/storage").body, nullptr, false);
  ASSERT_TRUE(admin.is_object());
  EXPECT_EQ(admin["total"], du["total"]);
}

TEST_F(ResolveTest, SixteenSimultaneousColdRequestsShareOneUpstreamTransfer) {
  std::string expected = hub_.DirectDownload("acme/tiny-model", "main", "weights/part-00001.bin");
  // Hold the CDN so every client joins the same in-flight fetch.
  hub_.Control("/_fake/cdn-gate?pause_after=65536");
  hub_.ResetStats();
  std::vector<std::string> bodies(16);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < bodies.size(); ++i) {
    clients.emplace_back([&, i] {
      bodies[i] = Resolve("GET", "acme/tiny-model/resolve/main/weights/part-00001.bin").body;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  hub_.Control("/_fake/cdn-gate?open=1");
  for (auto& t : clients) t.join();
  for (const std::string& body : bodies) EXPECT_EQ(Sha256OfString(body), Sha256OfString(expected));
  EXPECT_EQ(hub_.Stats()["cdn_requests"], 1);
}

TEST_F(ResolveTest, GatedRepoWithoutUpstreamTokenIsGatedRepoError) {
  HttpReply get = Resolve("GET", "acme/gated-model/resolve/main/config.json");
  EXPECT_EQ(get.status, 401);
  EXPECT_EQ(get.Header("X-Error-Code"), "GatedRepo");
}

TEST_F(ResolveTest, HubErrorsCarryStatusAndErrorCode) {
  HttpReply no_repo = Resolve("GET", "acme/does-not-exist/resolve/main/config.json");
  EXPECT_EQ(no_repo.status, 401);
  EXPECT_EQ(no_repo.Header("X-Error-Code"), "RepoNotFound");
  // The Hub's own message, verbatim (huggingface_hub matches some exactly),
  // and nothing about where the mirror's upstream lives.
  EXPECT_EQ(no_repo.Header("X-Error-Message"), "Repository not found");
  EXPECT_EQ(no_repo.body.find(hub_.api_url()), std::string::npos) << no_repo.body;
  HttpReply no_rev = Resolve("GET", "acme/tiny-model/resolve/no-such-branch/config.json");
  EXPECT_EQ(no_rev.status, 404);
  EXPECT_EQ(no_rev.Header("X-Error-Code"), "RevisionNotFound");
  HttpReply no_file = Resolve("GET", "acme/tiny-model/resolve/main/missing.bin");
  EXPECT_EQ(no_file.status, 404);
  EXPECT_EQ(no_file.Header("X-Error-Code"), "EntryNotFound");
  EXPECT_EQ(no_file.Header("X-Repo-Commit").size(), 40u);
  HttpReply folder = Resolve("GET", "acme/tiny-model/resolve/main/tokenizer");
  EXPECT_EQ(folder.status, 404);
  EXPECT_EQ(folder.Header("X-Error-Code"), "EntryNotFound");
}

TEST_F(ResolveTest, PullRequestRevisionRawAndEncoded) {
  std::string expected = hub_.DirectDownload("acme/tiny-model", "refs%2Fpr%2F1", "notes.txt");
  ASSERT_FALSE(expected.empty());
  for (const char* rev : {"refs%2Fpr%2F1", "refs/pr/1"}) {
    HttpReply get = Resolve("GET", std::string("acme/tiny-model/resolve/") + rev + "/notes.txt");
    EXPECT_EQ(get.status, 200) << rev;
    EXPECT_EQ(get.body, expected) << rev;
  }
}

TEST_F(ResolveTest, DatasetsAndLegacyIds) {
  std::string jsonl = hub_.DirectDownload("datasets/acme/tiny-dataset", "main", "data/train.jsonl");
  ASSERT_FALSE(jsonl.empty());
  EXPECT_EQ(Resolve("GET", "datasets/acme/tiny-dataset/resolve/main/data/train.jsonl").body, jsonl);
  std::string legacy = hub_.DirectDownload("gpt-mini", "main", "pytorch_model.bin");
  ASSERT_FALSE(legacy.empty());
  EXPECT_EQ(Resolve("GET", "gpt-mini/resolve/main/pytorch_model.bin").body, legacy);
}

TEST_F(ResolveTest, NoRoomForANewFileIs507AndStoredFilesStillServe) {
  ASSERT_EQ(Resolve("GET", "acme/tiny-model/resolve/main/config.json").status, 200);
  mirror_->Stop();
  // A reserve no disk has: every new pull-through must be refused up front.
  TempDir config_dir;
  const std::string config = config_dir.path() + "/hubmirror.toml";
  WriteFile(config, "[server]\nmin_free_bytes = 1000000000000000000\n");
  mirror_ = std::make_unique<Mirror>(store_.path(), hub_.api_url(),
                                     std::vector<std::string>{"--config", config});
  ASSERT_TRUE(mirror_->ok());
  hub_.ResetStats();
  HttpReply refused = Resolve("GET", "acme/tiny-model/resolve/main/model.safetensors");
  EXPECT_EQ(refused.status, 507);
  EXPECT_EQ(refused.Header("X-Error-Code"), "InsufficientStorage");
  EXPECT_NE(refused.body.find("disk space"), std::string::npos) << refused.body;
  EXPECT_EQ(hub_.Stats()["cdn_requests"], 0) << "nothing was fetched";
  EXPECT_EQ(Resolve("GET", "acme/tiny-model/resolve/main/config.json").status, 200);
}

TEST_F(ResolveTest, BrowserClientsGetCorsHeadersAndPreflight) {
  HttpReply get = Resolve("GET", "acme/tiny-model/resolve/main/config.json");
  EXPECT_EQ(get.Header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(get.Header("Access-Control-Expose-Headers").find("X-Repo-Commit"), std::string::npos);
  HttpReply preflight = Resolve("OPTIONS", "acme/tiny-model/resolve/main/config.json",
                                {{"Origin", "http://app.example"},
                                 {"Access-Control-Request-Method", "GET"},
                                 {"Access-Control-Request-Headers", "range"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_NE(preflight.Header("Access-Control-Allow-Headers").find("Range"), std::string::npos);
}

TEST_F(ResolveTest, CommitShaRevisionIsServedWithoutUpstreamOnceKnown) {
  HttpReply first = Resolve("GET", "acme/tiny-model/resolve/main/config.json");
  ASSERT_EQ(first.status, 200);
  std::string commit = first.Header("X-Repo-Commit");
  hub_.Stop();
  HttpReply pinned = Resolve("GET", "acme/tiny-model/resolve/" + commit + "/config.json");
  EXPECT_EQ(pinned.status, 200);
  EXPECT_EQ(pinned.body, first.body);
}

}  // namespace
}  // namespace hubmirror::e2e
