// End-to-end: repo info, tree and paths-info through the real `hubmirror
// serve`, revision TTLs, and serving on when the upstream is gone.
#include <gtest/gtest.h>

#include <set>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

using nlohmann::json;

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(hub_.ok()) << "fake hub did not start"; }

  void StartMirror(std::vector<std::string> args = {}) {
    mirror_ = std::make_unique<Mirror>(store_.path(), hub_.api_url(), std::move(args));
    ASSERT_TRUE(mirror_->ok()) << "hubmirror did not start";
  }

  json GetJson(const std::string& target, HttpReply* reply_out = nullptr) {
    HttpReply reply = HttpGet(mirror_->url(), target);
    if (reply_out != nullptr) *reply_out = reply;
    return json::parse(reply.body, nullptr, false);
  }

  // Follows Link rel="next" from `target`, at most 100 pages.
  std::vector<json> ListAllPages(const std::string& target, int* pages) {
    std::vector<json> entries;
    std::string next = mirror_->url() + target;
    *pages = 0;
    while (!next.empty() && *pages < 100) {
      size_t path_start = next.find('/', next.find("//") + 2);
      HttpReply reply = HttpGet(next.substr(0, path_start), next.substr(path_start));
      EXPECT_EQ(reply.status, 200) << next;
      ++*pages;
      for (const json& e : json::parse(reply.body)) entries.push_back(e);
      std::string link = reply.Header("Link");
      next.clear();
      if (size_t lt = link.find('<'); lt != std::string::npos && link.find("rel=\"next\"") != std::string::npos) {
        next = link.substr(lt + 1, link.find('>') - lt - 1);
      }
    }
    return entries;
  }

  TempDir store_;
  FakeHub hub_{{"--page-size", "3"}};
  std::unique_ptr<Mirror> mirror_;
};

TEST_F(MetadataTest, RepoInfoMatchesUpstreamWithoutXetFields) {
  StartMirror();
  json direct = json::parse(HttpGet(hub_.api_url(), "/api/models/acme/tiny-model/revision/main").body);
  json info = GetJson("/api/models/acme/tiny-model/revision/main");
  EXPECT_EQ(info["id"], "acme/tiny-model");
  EXPECT_EQ(info["sha"], direct["sha"]);
  EXPECT_EQ(info["siblings"].size(), direct["siblings"].size());
  EXPECT_FALSE(info.contains("xetEnabled"));
  // No revision: the default branch.
  EXPECT_EQ(GetJson("/api/models/acme/tiny-model")["sha"], direct["sha"]);
  // expand= keeps only the asked keys plus _id and id (JS client).
  json expanded = GetJson("/api/models/acme/tiny-model/revision/HEAD?expand=sha&expand=private");
  std::set<std::string> keys;
  for (auto it = expanded.begin(); it != expanded.end(); ++it) keys.insert(it.key());
  EXPECT_EQ(keys, (std::set<std::string>{"_id", "id", "sha", "private"}));
  // blobs=true adds sizes and LFS data to siblings.
  json blobs = GetJson("/api/models/acme/tiny-model/revision/main?blobs=true");
  bool saw_lfs = false;
  for (const json& s : blobs["siblings"]) {
    EXPECT_TRUE(s.contains("size"));
    if (s.contains("lfs")) saw_lfs = s["lfs"].contains("sha256");
  }
  EXPECT_TRUE(saw_lfs);
  json dataset = GetJson("/api/datasets/acme/tiny-dataset/revision/main");
  EXPECT_EQ(dataset["id"], "acme/tiny-dataset");
}

TEST_F(MetadataTest, TreeFollowsUpstreamPagesAndPaginatesItself) {
  StartMirror({"--config", "/dev/null"});
  int pages = 0;
  std::vector<json> direct;
  {
    // Upstream pages of 3 entries: the mirror must have followed all of them.
    std::vector<json> mine = ListAllPages("/api/models/acme/tiny-model/tree/main?recursive=true", &pages);
    std::set<std::string> paths;
    for (const json& e : mine) {
      paths.insert(e["path"]);
      EXPECT_FALSE(e.contains("xetHash"));
      EXPECT_TRUE(e["type"] == "file" || e["type"] == "directory");
      if (e["path"] == "model.safetensors") {
        EXPECT_EQ(e["lfs"]["oid"].get<std::string>().size(), 64u);
        EXPECT_EQ(e["lfs"]["size"], e["size"]);
      }
    }
    EXPECT_EQ(paths, (std::set<std::string>{"README.md", "config.json", "model.safetensors",
                                            "tokenizer", "tokenizer/tokenizer.json",
                                            "tokenizer/vocab.txt", "weights",
                                            "weights/part-00001.bin"}));
  }
  // Non-recursive listing of a folder, folder path encoded as Python does.
  json folder = GetJson("/api/models/acme/tiny-model/tree/main/tokenizer");
  ASSERT_TRUE(folder.is_array());
  EXPECT_EQ(folder.size(), 2u);
  HttpReply missing;
  GetJson("/api/models/acme/tiny-model/tree/main/nope", &missing);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("X-Error-Code"), "EntryNotFound");
}

TEST_F(MetadataTest, TreePaginationOfTheMirrorItself) {
  TempDir config_dir;
  std::string config = config_dir.path() + "/hubmirror.toml";
  FILE* f = fopen(config.c_str(), "w");
  fputs("[server]\ntree_page_size = 2\n", f);
  fclose(f);
  StartMirror({"--config", config});
  int pages = 0;
  std::vector<json> entries =
      ListAllPages("/api/models/acme/tiny-model/tree/refs%2Fpr%2F1?recursive=True", &pages);
  EXPECT_EQ(entries.size(), 9u);
  EXPECT_EQ(pages, 5);
  // The next page of a branch is asked for at the commit the first listed.
  HttpReply first = HttpGet(mirror_->url(), "/api/models/acme/tiny-model/tree/main");
  const std::string commit = GetJson("/api/models/acme/tiny-model/revision/main")["sha"];
  EXPECT_NE(first.Header("Link").find("/tree/" + commit + "?"), std::string::npos)
      << first.Header("Link");
}

TEST_F(MetadataTest, PathsInfoFormAndJsonBodies) {
  StartMirror();
  HttpReply form = HttpRequest(mirror_->url(), "POST", "/api/models/acme/tiny-model/paths-info/main",
                               {}, "paths=config.json&paths=tokenizer&paths=missing&expand=false",
                               "application/x-www-form-urlencoded");
  ASSERT_EQ(form.status, 200) << form.body;
  json entries = json::parse(form.body);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["path"], "config.json");
  EXPECT_EQ(entries[1]["type"], "directory");

  HttpReply js = HttpRequest(mirror_->url(), "POST",
                             "/api/models/acme/tiny-model/paths-info/refs%2Fpr%2F1", {},
                             R"({"paths":["model.safetensors"],"expand":true})", "application/json");
  ASSERT_EQ(js.status, 200) << js.body;
  json lfs = json::parse(js.body);
  ASSERT_EQ(lfs.size(), 1u);
  EXPECT_EQ(lfs[0]["lfs"]["oid"].get<std::string>().size(), 64u);
  EXPECT_TRUE(lfs[0].contains("lastCommit"));
  EXPECT_FALSE(lfs[0].contains("xetHash"));

  HttpReply bad = HttpRequest(mirror_->url(), "POST", "/api/models/acme/tiny-model/paths-info/main",
                              {}, R"({"paths":["../etc/passwd"]})", "application/json");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(MetadataTest, BranchIsReResolvedAfterTtlAndCommitNever) {
  StartMirror({"--revision-ttl", "0"});
  json info = GetJson("/api/models/acme/tiny-model/revision/main");
  std::string commit = info["sha"];
  hub_.ResetStats();
  GetJson("/api/models/acme/tiny-model/revision/main");
  EXPECT_GE(hub_.Stats()["api_requests"], 1) << "TTL 0: a branch is asked for again";
  hub_.ResetStats();
  GetJson("/api/models/acme/tiny-model/revision/" + commit);
  EXPECT_EQ(hub_.Stats()["api_requests"], 0) << "a commit sha is never re-resolved";
}

TEST_F(MetadataTest, UpstreamGoneServesLastKnownCommitMarkedStale) {
  StartMirror({"--revision-ttl", "0"});
  json info = GetJson("/api/models/acme/tiny-model/revision/main");
  HttpReply file = HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/config.json");
  ASSERT_EQ(file.status, 200);
  int pages = 0;
  size_t tree_size = ListAllPages("/api/models/acme/tiny-model/tree/main?recursive=true", &pages).size();
  hub_.Stop();

  HttpReply stale_info;
  json again = GetJson("/api/models/acme/tiny-model/revision/main", &stale_info);
  EXPECT_EQ(stale_info.status, 200);
  EXPECT_EQ(again["sha"], info["sha"]);
  EXPECT_EQ(stale_info.Header("X-Hubmirror-Stale"), "1");
  HttpReply stale_file = HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/config.json");
  EXPECT_EQ(stale_file.status, 200);
  EXPECT_EQ(stale_file.body, file.body);
  EXPECT_EQ(ListAllPages("/api/models/acme/tiny-model/tree/main?recursive=true", &pages).size(),
            tree_size);
  // Never mirrored: a clean gateway error, not a hang or a 500.
  HttpReply unknown = HttpGet(mirror_->url(), "/acme/tiny-model-ft/resolve/main/config.json");
  EXPECT_EQ(unknown.status, 502);
  EXPECT_FALSE(unknown.Header("X-Error-Code").empty());
}

TEST_F(MetadataTest, UpstreamGoneFilesNotStoredAreAGatewayErrorNotMissing) {
  StartMirror({"--revision-ttl", "0"});
  ASSERT_EQ(HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/config.json").status, 200);
  // Known from a listing but never downloaded.
  ASSERT_EQ(HttpGet(mirror_->url(), "/api/models/acme/tiny-model/tree/v1").status, 200);
  hub_.Stop();

  // Never looked up, but named by the stored repo info (the siblings of
  // ?blobs=true list every file with its size and oids): HEAD answers from
  // them, a GET is a gateway error, a path they do not name is truly absent.
  const std::string part = "/acme/tiny-model/resolve/main/weights/part-00001.bin";
  HttpReply known = HttpRequest(mirror_->url(), "HEAD", part);
  EXPECT_EQ(known.status, 200);
  EXPECT_EQ(known.Header("X-Linked-Size"), "1572864");
  EXPECT_EQ(HttpGet(mirror_->url(), part).status, 502);
  HttpReply absent = HttpRequest(mirror_->url(), "HEAD", "/acme/tiny-model/resolve/main/nope.bin");
  EXPECT_EQ(absent.status, 404);
  EXPECT_EQ(absent.Header("X-Error-Code"), "EntryNotFound");
  // Known but not stored: HEAD answers from metadata; GET is a gateway
  // error before any header promises bytes (it used to be a 200 that ended
  // at once).
  HttpReply head = HttpRequest(mirror_->url(), "HEAD", "/acme/tiny-model/resolve/v1/README.md");
  EXPECT_EQ(head.status, 200);
  for (const char* range : {"", "bytes=0-0", "bytes=10-"}) {
    httplib::Headers headers;
    if (*range != 0) headers.emplace("Range", range);
    HttpReply get = HttpGet(mirror_->url(), "/acme/tiny-model/resolve/v1/README.md", headers);
    EXPECT_EQ(get.status, 502) << range;
    EXPECT_FALSE(get.Header("X-Error-Code").empty()) << range;
    EXPECT_TRUE(get.Header("ETag").empty()) << range;
  }
}

}  // namespace
}  // namespace hubmirror::e2e
