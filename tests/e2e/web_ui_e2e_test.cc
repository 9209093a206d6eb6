// End-to-end: the web UI served by the real binary after real downloads:
// repos listed, files with their sha256, names from the upstream escaped,
// a strict CSP, nothing loaded from elsewhere, gated repos hidden from
// anonymous visitors, and no upstream traffic caused by browsing.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "store/hash.h"
#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

constexpr char kUpstreamToken[] = "hf_fake_gated_token";
constexpr char kScriptPath[] = "evil/<script>alert(1)</script>.txt";
constexpr char kScriptPathEncoded[] = "evil/%3Cscript%3Ealert%281%29%3C/script%3E.txt";

class WebUiE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    extra_file_ = dir_.path() + "/evil.txt";
    WriteFile(extra_file_, "bytes behind a hostile name\n");
    hub_ = std::make_unique<FakeHub>(std::vector<std::string>{
        "--extra-file", std::string("acme/ui-demo:") + kScriptPath + ":" + extra_file_});
    ASSERT_TRUE(hub_->ok()) << "fake hub did not start";
  }

  void StartMirror(const std::string& access) {
    const std::string config = dir_.path() + "/hubmirror.toml";
    WriteFile(config, "[access]\n" + access);
    mirror_ = std::make_unique<Mirror>(dir_.path() + "/store", hub_->api_url(),
                                       std::vector<std::string>{"--config", config},
                                       std::map<std::string, std::string>{{"HF_TOKEN", kUpstreamToken}});
    ASSERT_TRUE(mirror_->ok()) << "hubmirror did not start";
  }

  HttpReply Get(const std::string& target, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return HttpGet(mirror_->url(), target, headers);
  }

  // Every absolute URL in `html` must point back at the mirror itself.
  void ExpectNoForeignUrls(const std::string& html) {
    static const std::regex kUrl(R"(https?://[^\s"'<>]*)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), kUrl);
         it != std::sregex_iterator(); ++it) {
      EXPECT_EQ(it->str().rfind(mirror_->url(), 0), 0u) << "foreign URL in page: " << it->str();
    }
    for (const char* attr : {"src=", "<link", "<script", "@import", "url("}) {
      EXPECT_EQ(html.find(attr), std::string::npos) << attr;
    }
  }

  TempDir dir_;
  std::string extra_file_;
  std::unique_ptr<FakeHub> hub_;
  std::unique_ptr<Mirror> mirror_;
};

const char kTeamToken[] =
    "[[access.tokens]]\nname = \"ml-team\"\ntoken = \"team-secret\"\nrepos = [\"acme/*\"]\n";

TEST_F(WebUiE2eTest, BrowsesStoredReposFilesAndEscapesNames) {
  StartMirror(kTeamToken);
  HttpReply config = Get("/acme/tiny-model/resolve/main/config.json");
  ASSERT_EQ(config.status, 200);
  HttpReply weights = Get("/acme/tiny-model/resolve/main/model.safetensors");
  ASSERT_EQ(weights.status, 200);
  HttpReply evil = Get(std::string("/acme/ui-demo/resolve/main/") + kScriptPathEncoded);
  ASSERT_EQ(evil.status, 200) << evil.body;
  ASSERT_EQ(Get("/acme/gated-model/resolve/main/config.json", "team-secret").status, 200);
  hub_->ResetStats();

  HttpReply home = Get("/");
  ASSERT_EQ(home.status, 200);
  EXPECT_EQ(home.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(home.Header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(home.body.find("href=\"/ui/repo/models/acme/tiny-model\""), std::string::npos);
  EXPECT_NE(home.body.find("href=\"/ui/repo/models/acme/ui-demo\""), std::string::npos);
  EXPECT_EQ(home.body.find("acme/gated-model"), std::string::npos);  // gated: hidden
  ExpectNoForeignUrls(home.body);
  // Downloads show up as the repo's last access at once (not after a flush).
  EXPECT_NE(home.body.find("just now</time>"), std::string::npos);
  HttpReply team_home = Get("/", "team-secret");
  EXPECT_NE(team_home.body.find("href=\"/ui/repo/models/acme/gated-model\""), std::string::npos);

  HttpReply repo = Get("/ui/repo/models/acme/tiny-model");
  ASSERT_EQ(repo.status, 200);
  EXPECT_NE(repo.body.find("config.json"), std::string::npos);
  EXPECT_NE(repo.body.find(Sha256OfString(weights.body)), std::string::npos);
  EXPECT_NE(repo.body.find(Sha256OfString(config.body)), std::string::npos);  // regular, stored
  EXPECT_NE(repo.body.find("HF_ENDPOINT=" + mirror_->url() + " hf download acme/tiny-model"),
            std::string::npos);
  EXPECT_NE(repo.body.find("hubmirror pull acme/tiny-model --endpoint " + mirror_->url()),
            std::string::npos);
  ExpectNoForeignUrls(repo.body);

  HttpReply filtered = Get("/ui/repo/models/acme/tiny-model?rev=main&q=safetensors");
  ASSERT_EQ(filtered.status, 200);
  EXPECT_NE(filtered.body.find("model.safetensors"), std::string::npos);
  EXPECT_EQ(filtered.body.find("config.json"), std::string::npos);

  HttpReply demo = Get("/ui/repo/models/acme/ui-demo");
  ASSERT_EQ(demo.status, 200);
  EXPECT_EQ(demo.body.find("<script"), std::string::npos);
  EXPECT_NE(demo.body.find("evil/&lt;script&gt;alert(1)&lt;/script&gt;.txt"), std::string::npos);
  EXPECT_NE(demo.body.find(Sha256OfString(evil.body)), std::string::npos);
  // The download link works as printed.
  const std::string link = std::string("/acme/ui-demo/resolve/");
  const size_t at = demo.body.find("href=\"" + link);
  ASSERT_NE(at, std::string::npos);
  const size_t start = at + 6;
  const std::string href = demo.body.substr(start, demo.body.find('"', start) - start);
  EXPECT_NE(href.find(kScriptPathEncoded), std::string::npos) << href;
  EXPECT_EQ(Get(href).body, evil.body);
  hub_->ResetStats();

  EXPECT_EQ(Get("/ui/repo/models/acme/gated-model").status, 401);
  EXPECT_EQ(Get("/ui/repo/models/acme/gated-model", "team-secret").status, 200);

  HttpReply storage = Get("/ui/storage");
  ASSERT_EQ(storage.status, 200);
  EXPECT_NE(storage.body.find("Dedup saving"), std::string::npos);
  EXPECT_NE(storage.body.find("acme/tiny-model"), std::string::npos);
  // Five downloads, the last one from the store: a hit ratio is known.
  EXPECT_EQ(storage.body.find("not available"), std::string::npos);
  EXPECT_NE(storage.body.find("Hit ratio</dt><dd>20.0 %"), std::string::npos) << storage.body;
  ExpectNoForeignUrls(storage.body);
  HttpReply sync = Get("/ui/sync");
  ASSERT_EQ(sync.status, 200);
  ExpectNoForeignUrls(sync.body);
  HttpReply missing = Get("/ui/no-such-page");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(HttpRequest(mirror_->url(), "HEAD", "/").status, 200);

  // Browsing the UI never reaches the upstream.
  EXPECT_EQ(hub_->Stats()["api_requests"].get<int>(), 0) << hub_->Stats().dump();
}

TEST_F(WebUiE2eTest, SyncPageShowsTheSchedulersLastRun) {
  StartMirror(std::string(kTeamToken) +
              "[sync]\ninterval_seconds = 3600\n[[sync.repos]]\nrepo = \"acme/tiny-model\"\n");
  HttpReply sync;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    sync = Get("/ui/sync");
    ASSERT_EQ(sync.status, 200);
    if (sync.body.find("Revisions ok</dt><dd>1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(sync.body.find("Periodic sync</dt><dd>every 3600 s"), std::string::npos);
  EXPECT_NE(sync.body.find("Revisions ok</dt><dd>1"), std::string::npos) << sync.body;
  EXPECT_NE(sync.body.find("Revisions failed</dt><dd>0"), std::string::npos);
  EXPECT_NE(sync.body.find(">idle<"), std::string::npos);
  EXPECT_NE(sync.body.find("<code>acme/tiny-model"), std::string::npos);
  // The synced repo is listed (pinned by mirror mode) without any download.
  EXPECT_NE(Get("/").body.find("href=\"/ui/repo/models/acme/tiny-model\""), std::string::npos);
}

TEST_F(WebUiE2eTest, AnonymousOffMeans401) {
  StartMirror(std::string("anonymous = false\n") + kTeamToken);
  HttpReply anonymous = Get("/");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Get("/", "team-secret").status, 200);
  EXPECT_EQ(Get("/", "wrong-token").status, 401);
}

}  // namespace
}  // namespace hubmirror::e2e
