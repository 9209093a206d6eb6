#include "server/ui/web_ui.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/ui/html.h"
#include "server/ui/web_ui_pages.h"
#include "tests/server/fake_upstream.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

constexpr char kCommit[] = "1111111111111111111111111111111111111111";
constexpr char kGatedCommit[] = "2222222222222222222222222222222222222222";
constexpr char kUnknownInfoCommit[] = "3333333333333333333333333333333333333333";
constexpr char kScriptPath[] = "evil/<script>alert(1)</script>.txt";
constexpr char kLfsSha[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kRegularSha[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kRegularOid[] = "cccccccccccccccccccccccccccccccccccccccc";
constexpr char kUnstoredOid[] = "dddddddddddddddddddddddddddddddddddddddd";

EntryRecord File(const std::string& path, uint64_t size, const std::string& oid) {
  EntryRecord e;
  e.path = path;
  e.size = size;
  e.oid = oid;
  return e;
}

TEST(HtmlTest, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("plain/path.txt"), "plain/path.txt");
  EXPECT_EQ(HtmlEscape("h\xC3\xA9llo"), "h\xC3\xA9llo");  // valid UTF-8 kept
  EXPECT_EQ(HtmlEscape(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(HtmlEscape("\xFF"), "\xEF\xBF\xBD");      // invalid byte
  EXPECT_EQ(HtmlEscape("\xC3"), "\xEF\xBF\xBD");      // truncated sequence
  EXPECT_EQ(HtmlEscape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST(HtmlTest, UrlEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UrlEncode("a b/<c>?#&'\"", false), "a%20b%2F%3Cc%3E%3F%23%26%27%22");
  EXPECT_EQ(UrlEncode("dir/file name.txt", true), "dir/file%20name.txt");
  EXPECT_EQ(UrlEncode("refs/pr/1", false), "refs%2Fpr%2F1");
}

TEST(HtmlTest, ShellQuoteOnlyWhenNeeded) {
  EXPECT_EQ(ShellQuote("acme/tiny-model"), "acme/tiny-model");
  EXPECT_EQ(ShellQuote("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(HtmlTest, HumanSizesAndTimes) {
  EXPECT_EQ(FormatByteSize(0), "0 B");
  EXPECT_EQ(FormatByteSize(1023), "1023 B");
  EXPECT_EQ(FormatByteSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatByteSize(3u << 20), "3.0 MiB");
  EXPECT_EQ(HtmlBytes(1536), "<span title=\"1536 bytes\">1.5 KiB</span>");
  const int64_t now = 1'700'000'000'000'000;
  EXPECT_EQ(FormatUtcSeconds(now), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatAge(now - 180'000'000, now), "3 min ago");
  EXPECT_EQ(FormatAge(now - 2 * 3600'000'000LL, now), "2 h ago");
  EXPECT_EQ(FormatAge(now + 60'000'000, now), FormatUtcSeconds(now + 60'000'000));
  EXPECT_EQ(FormatPercent(0.4215), "42.1 %");
}

TEST(HtmlTest, PlausibleHost) {
  EXPECT_TRUE(IsPlausibleHost("127.0.0.1:8080"));
  EXPECT_TRUE(IsPlausibleHost("[::1]:80"));
  EXPECT_FALSE(IsPlausibleHost("evil.com/<script>"));
  EXPECT_FALSE(IsPlausibleHost(""));
}

TEST(WebUiPagesTest, CommandsAndLinks) {
  const RepoKey model{RepoType::kModel, "acme/tiny"};
  const RepoKey dataset{RepoType::kDataset, "acme/data"};
  EXPECT_EQ(HfDownloadCommand(model, "http://m:1", "main"), "HF_ENDPOINT=http://m:1 hf download acme/tiny");
  EXPECT_EQ(HfDownloadCommand(dataset, "http://m:1", "v1"),
            "HF_ENDPOINT=http://m:1 hf download acme/data --repo-type dataset --revision v1");
  EXPECT_EQ(HubmirrorPullCommand(dataset, "http://m:1", "main"),
            "hubmirror pull datasets/acme/data --endpoint http://m:1");
  const RepoKey space{RepoType::kSpace, "acme/app"};
  EXPECT_EQ(HfDownloadCommand(space, "http://m:1", "main"),
            "HF_ENDPOINT=http://m:1 hf download acme/app --repo-type space");
  EXPECT_EQ(HubmirrorPullCommand(space, "http://m:1", "main"),
            "hubmirror pull spaces/acme/app --endpoint http://m:1");
  EXPECT_EQ(ResolveHref(space, kCommit, "app.py"),
            std::string("/spaces/acme/app/resolve/") + kCommit + "/app.py");
  EXPECT_EQ(HubmirrorPullCommand(model, "http://m:1", "refs/pr/1"),
            "hubmirror pull acme/tiny --endpoint http://m:1 --revision refs/pr/1");
  EXPECT_EQ(ResolveHref(model, kCommit, "a b/<c>.txt"),
            std::string("/acme/tiny/resolve/") + kCommit + "/a%20b/%3Cc%3E.txt");
  EXPECT_EQ(ResolveHref(dataset, kCommit, "x"),
            std::string("/datasets/acme/data/resolve/") + kCommit + "/x");
  EXPECT_EQ(RepoPageHref(model, "refs/pr/1", "a&b"),
            "/ui/repo/models/acme/tiny?rev=refs%2Fpr%2F1&q=a%26b");
}

class WebUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto index = Index::Open(dir_.path() + "/index.sqlite");
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::move(index).value();
    const int64_t now = env_.NowMicros();

    ASSERT_TRUE(index_->PutRef(model_, "main", kCommit, now).ok());
    ASSERT_TRUE(index_->PutRef(model_, "v1", kCommit, now).ok());
    ASSERT_TRUE(index_->PutCommit(model_, kCommit,
                                  R"({"id":"acme/tiny","lastModified":"2024-01-02T00:00:00.000Z",)"
                                  R"("gated":false,"private":false})")
                    .ok());
    EntryRecord lfs = File("model.safetensors", 3u << 20, std::string(40, 'e'));
    lfs.is_lfs = true;
    lfs.lfs_sha256 = kLfsSha;
    lfs.lfs_pointer_size = 134;
    EntryRecord folder = File("evil", 0, std::string(40, 'f'));
    folder.is_directory = true;
    ASSERT_TRUE(index_->PutEntries(model_, kCommit,
                                   {lfs, File("config.json", 42, kRegularOid),
                                    File(kScriptPath, 7, kUnstoredOid), folder},
                                   true)
                    .ok());
    ASSERT_TRUE(index_->PutObject({kLfsSha, std::string(40, 'e'), 3u << 20, ""}).ok());
    ASSERT_TRUE(index_->PutObject({kRegularSha, kRegularOid, 42, ""}).ok());

    ASSERT_TRUE(index_->PutRef(gated_, "main", kGatedCommit, now).ok());
    ASSERT_TRUE(index_->PutCommit(gated_, kGatedCommit, R"({"id":"acme/gated","gated":"manual"})").ok());
    ASSERT_TRUE(index_->PutEntries(gated_, kGatedCommit,
                                   {File("secret.bin", 1, std::string(40, '9'))},
                                   true)
                    .ok());
    // A commit learned without its repo info: gating unknown, so restricted.
    ASSERT_TRUE(index_->PutRef(unknown_, "main", kUnknownInfoCommit, now).ok());

    ASSERT_TRUE(index_->PutRef(dataset_, "main", kCommit, now).ok());
    ASSERT_TRUE(index_->PutCommit(dataset_, kCommit, R"({"id":"acme/data"})").ok());

    options_.public_url = "http://mirror.test:8080/";
    catalog_ = std::make_unique<RepoCatalog>(options_, &env_, index_.get(), &upstream_);
    MakeUi({});
  }

  void MakeUi(WebUiSources sources) {
    access_ = std::make_unique<AccessPolicy>(options_.access);
    ui_ = std::make_unique<WebUi>(options_, &env_, index_.get(), catalog_.get(), access_.get(),
                                  std::move(sources));
  }

  WebUi::Page Get(const std::string& path, const std::multimap<std::string, std::string>& query = {},
                  const Caller& caller = Caller{}) {
    HubRoute route;
    route.kind = RouteKind::kUi;
    route.path = path;
    route.query = query;
    return ui_->Render(route, caller, "http://mirror.test:8080");
  }

  ScratchDir dir_;
  std::unique_ptr<Env> posix_ = NewPosixEnv();
  ManualClockEnv env_{posix_.get()};
  std::unique_ptr<Index> index_;
  ServerOptions options_;
  FakeUpstream upstream_;
  std::unique_ptr<RepoCatalog> catalog_;
  std::unique_ptr<AccessPolicy> access_;
  std::unique_ptr<WebUi> ui_;
  RepoKey model_{RepoType::kModel, "acme/tiny"};
  RepoKey gated_{RepoType::kModel, "acme/gated"};
  RepoKey unknown_{RepoType::kModel, "acme/unknown-info"};
  RepoKey dataset_{RepoType::kDataset, "acme/data"};
};

TEST_F(WebUiTest, HomeListsReadableReposWithSizes) {
  WebUi::Page page = Get("");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.html.find("href=\"/ui/repo/models/acme/tiny\""), std::string::npos);
  EXPECT_NE(page.html.find("href=\"/ui/repo/datasets/acme/data\""), std::string::npos);
  // Both stored objects of acme/tiny: 3 MiB + 42 bytes.
  EXPECT_NE(page.html.find("title=\"" + std::to_string((3u << 20) + 42) + " bytes\""),
            std::string::npos);
  EXPECT_NE(page.html.find("http://mirror.test:8080"), std::string::npos);
  // Anonymous callers never see gated repos, nor repos whose gating is unknown.
  EXPECT_EQ(page.html.find("acme/gated"), std::string::npos);
  EXPECT_EQ(page.html.find("acme/unknown-info"), std::string::npos);
  // Last access is not wired: a dash, no crash.
  EXPECT_NE(page.html.find("—"), std::string::npos);
  EXPECT_EQ(upstream_.revision_calls + upstream_.tree_calls + upstream_.paths_info_calls, 0);
}

TEST_F(WebUiTest, RepoPageListsFilesWithHashesAndEscapesNames) {
  WebUi::Page page = Get("repo/models/acme/tiny");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.html.find(kLfsSha), std::string::npos);
  EXPECT_NE(page.html.find(kRegularSha), std::string::npos);  // stored regular file
  EXPECT_NE(page.html.find(std::string("git oid</span> <span class=\"oid\">") + kUnstoredOid),
            std::string::npos);
  EXPECT_EQ(page.html.find("<script>"), std::string::npos);
  EXPECT_NE(page.html.find("evil/&lt;script&gt;alert(1)&lt;/script&gt;.txt"), std::string::npos);
  EXPECT_NE(page.html.find(std::string("href=\"/acme/tiny/resolve/") + kCommit +
                           "/evil/%3Cscript%3Ealert%281%29%3C/script%3E.txt\""),
            std::string::npos);
  EXPECT_NE(page.html.find("HF_ENDPOINT=http://mirror.test:8080 hf download acme/tiny<"),
            std::string::npos);
  EXPECT_NE(page.html.find("hubmirror pull acme/tiny --endpoint http://mirror.test:8080<"),
            std::string::npos);
  EXPECT_NE(page.html.find("3 files"), std::string::npos);
  EXPECT_NE(page.html.find("2024-01-02T00:00:00.000Z"), std::string::npos);
}

TEST_F(WebUiTest, PublishedReposShowWhoPushedWhat) {
  const RepoKey pub{RepoType::kModel, "acme-internal/ft"};
  ASSERT_TRUE(index_->CreateHostedRepo(HostedRepoRecord{pub, false, "alice", 1}).ok());
  HostedCommitRecord first{std::string(40, '1'), "", std::string(40, 't'), "alice",
                           "initial commit", "", 1'000'000};
  HostedCommitRecord second{std::string(40, '2'), first.commit, std::string(40, 't'),
                            "<bob>", "tune <layers>", "", 2'000'000};
  ASSERT_TRUE(index_->CommitHosted(pub, "main", "", first, R"({"id":"acme-internal/ft"})", {})
                  .ok());
  ASSERT_TRUE(index_->CommitHosted(pub, "main", first.commit, second,
                                   R"({"id":"acme-internal/ft"})", {File("w.bin", 1, kRegularOid)})
                  .ok());
  WebUi::Page home = Get("");
  ASSERT_EQ(home.status, 200);
  const size_t row = home.html.find("acme-internal/ft</a>");
  ASSERT_NE(row, std::string::npos);
  EXPECT_NE(home.html.find("badge ok\">published", row), std::string::npos);
  WebUi::Page page = Get("repo/models/acme-internal/ft");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.html.find("published on this mirror"), std::string::npos);
  EXPECT_NE(page.html.find("<dd>alice</dd>"), std::string::npos);  // created by
  // Newest first, escaped.
  const size_t bob = page.html.find("&lt;bob&gt;</td><td>tune &lt;layers&gt;");
  const size_t alice = page.html.find("alice</td><td>initial commit");
  ASSERT_NE(bob, std::string::npos);
  ASSERT_NE(alice, std::string::npos);
  EXPECT_LT(bob, alice);
  // Mirrored repos carry neither.
  EXPECT_EQ(Get("repo/models/acme/tiny").html.find("History"), std::string::npos);
}

TEST_F(WebUiTest, RepoPageFilterAndRevision) {
  WebUi::Page page = Get("repo/models/acme/tiny", {{"q", "CONFIG"}, {"rev", "v1"}});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.html.find("config.json"), std::string::npos);
  EXPECT_EQ(page.html.find("model.safetensors"), std::string::npos);
  EXPECT_NE(page.html.find("1 of 3 files match"), std::string::npos);
  EXPECT_NE(page.html.find("--revision v1"), std::string::npos);
  // A filter is echoed escaped, in the input and the summary.
  page = Get("repo/models/acme/tiny", {{"q", "\"><script>x</script>"}});
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.html.find("<script>"), std::string::npos);
  EXPECT_NE(page.html.find("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""),
            std::string::npos);
  // By commit sha.
  page = Get("repo/models/acme/tiny", {{"rev", kCommit}});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(Get("repo/models/acme/tiny", {{"rev", "nope"}}).status, 404);
  EXPECT_EQ(Get("repo/models/acme/tiny", {{"rev", "../x"}}).status, 400);
  EXPECT_EQ(upstream_.revision_calls + upstream_.tree_calls + upstream_.paths_info_calls, 0);
}

TEST_F(WebUiTest, DatasetCommands) {
  WebUi::Page page = Get("repo/datasets/acme/data");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.html.find("hf download acme/data --repo-type dataset"), std::string::npos);
  EXPECT_NE(page.html.find("hubmirror pull datasets/acme/data"), std::string::npos);
}

TEST_F(WebUiTest, GatedRepoOnlyForAllowedTokens) {
  EXPECT_EQ(Get("repo/models/acme/gated").status, 401);
  EXPECT_EQ(Get("repo/models/acme/unknown-info").status, 401);
  AccessToken team{"team", std::string(64, '0'), {"acme/*"}, {}};
  AccessToken other{"other", std::string(64, '1'), {"other/*"}, {}};
  options_.access.tokens = {team, other};
  MakeUi({});
  const Caller team_caller{"team", &options_.access.tokens[0]};
  const Caller other_caller{"other", &options_.access.tokens[1]};
  WebUi::Page page = Get("repo/models/acme/gated", {}, team_caller);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.html.find("secret.bin"), std::string::npos);
  EXPECT_NE(Get("", {}, team_caller).html.find("acme/gated"), std::string::npos);
  EXPECT_EQ(Get("repo/models/acme/gated", {}, other_caller).status, 403);
  EXPECT_EQ(Get("repo/models/acme/missing", {}, team_caller).status, 404);
  EXPECT_EQ(Get("", {}, other_caller).html.find("acme/gated"), std::string::npos);
  EXPECT_EQ(upstream_.revision_calls + upstream_.tree_calls + upstream_.paths_info_calls, 0);
}

TEST_F(WebUiTest, AnonymousOffGets401Everywhere) {
  options_.access.anonymous = false;
  MakeUi({});
  EXPECT_EQ(Get("").status, 401);
  EXPECT_EQ(Get("storage").status, 401);
  EXPECT_EQ(Get("repo/models/acme/tiny").status, 401);
}

TEST_F(WebUiTest, UnknownPagesAre404) {
  EXPECT_EQ(Get("nope").status, 404);
  EXPECT_EQ(Get("repo/kernels/acme/tiny").status, 404);
  // As on the Hub, a missing repo looks like a restricted one to anonymous callers.
  EXPECT_EQ(Get("repo/models/acme/missing").status, 401);
  EXPECT_EQ(Get("repo/models/a/../b").status, 404);
  WebUi::Page page = Get("repo/models/<script>/x");
  EXPECT_EQ(page.status, 404);
  EXPECT_EQ(page.html.find("<script>"), std::string::npos);
}

TEST_F(WebUiTest, StorageAndSyncWithoutSourcesSayNotAvailable) {
  WebUi::Page storage = Get("storage");
  ASSERT_EQ(storage.status, 200);
  EXPECT_NE(storage.html.find("not available"), std::string::npos);
  WebUi::Page sync = Get("sync");
  ASSERT_EQ(sync.status, 200);
  EXPECT_NE(sync.html.find("not available"), std::string::npos);
}

TEST_F(WebUiTest, StorageAndSyncWithSources) {
  WebUiSources sources;
  sources.storage_usage = [this]() -> Result<StorageUsage> {
    StorageUsage usage;
    usage.repos.push_back({model_, {3, 2, 4000, 3000, 1000}});
    usage.repos.push_back({gated_, {1, 1, 9000, 9000, 9000}});
    usage.total = {4, 3, 13000, 12000, 10000};
    return usage;
  };
  sources.hit_ratio = [] { return std::optional<double>(0.75); };
  sources.last_access_micros = [this](const RepoKey&) {
    return std::optional<int64_t>(env_.NowMicros() - 180'000'000);
  };
  sources.sync_status = [this] {
    SyncRunSummary s;
    s.interval_seconds = 3600;
    s.last_started_micros = env_.NowMicros() - 120'000'000;
    s.last_finished_micros = env_.NowMicros() - 60'000'000;
    s.last_repos = 3;
    s.last_failures = 1;
    s.last_errors = {"acme/<b>: RevisionNotFound"};
    return std::optional<SyncRunSummary>(s);
  };
  MakeUi(std::move(sources));
  WebUi::Page storage = Get("storage");
  ASSERT_EQ(storage.status, 200);
  EXPECT_NE(storage.html.find("75.0 %"), std::string::npos);
  EXPECT_NE(storage.html.find("23.1 %"), std::string::npos);  // 1 - 10000/13000
  EXPECT_NE(storage.html.find("acme/tiny"), std::string::npos);
  EXPECT_EQ(storage.html.find("acme/gated"), std::string::npos);  // not for anonymous
  EXPECT_NE(Get("").html.find("3 min ago"), std::string::npos);
  WebUi::Page sync = Get("sync");
  ASSERT_EQ(sync.status, 200);
  EXPECT_NE(sync.html.find("2 min ago"), std::string::npos);
  EXPECT_NE(sync.html.find("acme/&lt;b&gt;: RevisionNotFound"), std::string::npos);
}

TEST_F(WebUiTest, HandleSetsSecurityHeadersAndBaseUrl) {
  HubRoute route;
  route.kind = RouteKind::kUi;
  HttpRequest req;
  req.headers.emplace("Host", "evil.example/<x>");
  HttpResponse res;
  ui_->Handle(route, Caller{}, req, res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res.get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(res.get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(ui_->BaseUrl(req), "http://mirror.test:8080");  // public_url, '/' trimmed
  options_.public_url.clear();
  EXPECT_EQ(ui_->BaseUrl(req).find("evil"), std::string::npos);
  req.headers.clear();
  req.headers.emplace("Host", "127.0.0.1:9999");
  EXPECT_EQ(ui_->BaseUrl(req), "http://127.0.0.1:9999");
}

}  // namespace
}  // namespace hubmirror
