#include "server/catalog/api_documents.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/server/fake_upstream.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

using nlohmann::json;

const std::string kMain(40, 'a');
const std::string kTag(40, 'b');

class ApiDocumentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = std::move(Index::Open(dir_.path() + "/index.sqlite")).value();
    cache_ = std::move(ApiDocumentCache::Open(dir_.path() + "/api-cache.sqlite")).value();
    options_.revision_ttl_seconds = 60;
    upstream_.revisions = {{"HEAD", kMain}, {"main", kMain}, {"v1", kTag}, {kMain, kMain}};
    upstream_.infos[kMain] = R"({"id":"acme/tiny","sha":")" + kMain +
                             R"(","author":"acme","downloads":7,"lastModified":"2024-02-03T04:05:06.000Z"})";
    upstream_.pages["/api/models/acme/tiny/refs"] =
        ApiPage{R"({"branches":[{"name":"main","ref":"refs/heads/main","targetCommit":")" + kMain +
                    R"("}],"converts":[],"tags":[{"name":"v1","ref":"refs/tags/v1","targetCommit":")" +
                    kTag + R"("}]})",
                "", -1};
    Reopen(&upstream_);
  }

  void Reopen(Upstream* upstream) {
    catalog_ = std::make_unique<RepoCatalog>(options_, &env_, index_.get(), upstream);
    docs_ = std::make_unique<ApiDocuments>(options_, &env_, index_.get(), cache_.get(),
                                           catalog_.get(), &access_);
  }

  ApiAnswer Get(const std::string& target, const Caller& caller = Caller{}) {
    Result<HubRoute> route = ParseHubRoute("GET", target);
    EXPECT_TRUE(route.ok()) << target;
    Result<ApiAnswer> answer = route->kind == RouteKind::kRefs      ? docs_->Refs(*route, caller)
                               : route->kind == RouteKind::kCommits ? docs_->Commits(*route, caller)
                                                                    : docs_->RepoList(*route, caller);
    EXPECT_TRUE(answer.ok()) << target << ": " << answer.status().ToString();
    return answer.ok() ? *answer : ApiAnswer{};
  }

  ScratchDir dir_;
  std::unique_ptr<Env> posix_ = NewPosixEnv();
  ManualClockEnv env_{posix_.get()};
  std::unique_ptr<Index> index_;
  std::unique_ptr<ApiDocumentCache> cache_;
  ServerOptions options_;
  AccessPolicy access_{AccessOptions{}};
  FakeUpstream upstream_;
  std::unique_ptr<RepoCatalog> catalog_;
  std::unique_ptr<ApiDocuments> docs_;
};

TEST_F(ApiDocumentsTest, UpstreamAnswersAreKeptForTheTtl) {
  ApiAnswer first = Get("/api/models/acme/tiny/refs");
  EXPECT_FALSE(first.stale);
  EXPECT_EQ(json::parse(first.body)["tags"][0]["name"], "v1");
  EXPECT_EQ(upstream_.api_page_calls, 1);
  Get("/api/models/acme/tiny/refs");
  EXPECT_EQ(upstream_.api_page_calls, 1) << "within the TTL";
  env_.AdvanceSeconds(61);
  Get("/api/models/acme/tiny/refs");
  EXPECT_EQ(upstream_.api_page_calls, 2);
}

TEST_F(ApiDocumentsTest, RefsWithTheUpstreamGoneComeFromTheStoreKeepingTagsTags) {
  Get("/api/models/acme/tiny/refs");
  for (const char* ref : {"main", "v1"}) {
    ASSERT_TRUE(catalog_->ResolveRevision({RepoType::kModel, "acme/tiny"}, ref).ok());
  }
  env_.AdvanceSeconds(61);
  upstream_.unreachable = true;
  // Kept without PRs, asked with them: the kinds still come from it.
  ApiAnswer answer = Get("/api/models/acme/tiny/refs?include_prs=1");
  EXPECT_TRUE(answer.stale);
  json refs = json::parse(answer.body);
  ASSERT_EQ(refs["branches"].size(), 1u) << answer.body;
  EXPECT_EQ(refs["branches"][0]["targetCommit"], kMain);
  ASSERT_EQ(refs["tags"].size(), 1u) << answer.body;
  EXPECT_EQ(refs["tags"][0]["targetCommit"], kTag);
  EXPECT_EQ(refs["pullRequests"], json::array());
  answer = Get("/api/models/acme/tiny/refs");
  EXPECT_FALSE(json::parse(answer.body).contains("pullRequests"));

  Reopen(nullptr);  // offline: the same answer, also within the TTL
  env_.AdvanceSeconds(-61);
  EXPECT_EQ(Get("/api/models/acme/tiny/refs").body, answer.body);
  EXPECT_TRUE(Get("/api/models/acme/tiny/refs").stale);
}

TEST_F(ApiDocumentsTest, CommitsFallBackToTheKeptHistoryOrTheOneKnownCommit) {
  const std::string history = R"([{"id":")" + kMain + R"(","title":"two"},{"id":"x","title":"one"}])";
  upstream_.pages["/api/models/acme/tiny/commits/main"] = ApiPage{history, "", 2};
  ApiAnswer online = Get("/api/models/acme/tiny/commits/main");
  EXPECT_EQ(online.body, history);
  EXPECT_EQ(online.total_count, 2);
  Reopen(nullptr);
  ApiAnswer kept = Get("/api/models/acme/tiny/commits/main");
  EXPECT_TRUE(kept.stale);
  EXPECT_EQ(kept.body, history);
  // No kept history for this query: the one commit the store knows.
  ApiAnswer one = Get("/api/models/acme/tiny/commits/main?limit=1");
  json commits = json::parse(one.body);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0]["id"], kMain);
  EXPECT_EQ(commits[0]["date"], "2024-02-03T04:05:06.000Z");
  EXPECT_EQ(Get("/api/models/acme/tiny/commits/main?limit=1&p=1").body, "[]");
}

TEST_F(ApiDocumentsTest, ListingsShowOnlyWhatTheCallerMayReadAndStayShapedAsAsked) {
  upstream_.pages["/api/models?author=acme&expand=downloads&expand=private&expand=gated"] = ApiPage{
      R"([{"_id":"1","id":"acme/tiny","downloads":7,"private":false,"gated":false},)"
      R"({"_id":"2","id":"acme/secret","downloads":1,"private":true,"gated":false},)"
      R"({"_id":"3","id":"acme/gated","downloads":2,"private":false,"gated":"manual"},)"
      R"({"_id":"4","id":"../bad","downloads":2,"private":false,"gated":false}])",
      "/api/models?author=acme&expand=downloads&cursor=abc", -1};
  ApiAnswer answer = Get("/api/models?author=acme&expand=downloads");
  EXPECT_EQ(json::parse(answer.body),
            json::parse(R"([{"_id":"1","id":"acme/tiny","downloads":7}])"));
  EXPECT_EQ(answer.next, "/api/models?author=acme&expand=downloads&cursor=abc");
  // A Hub verdict passes on.
  Result<HubRoute> route = ParseHubRoute("GET", "/api/models?author=nobody");
  EXPECT_EQ(docs_->RepoList(*route, Caller{}).status().hub_error(), HubError::kRepoNotFound);
}

TEST_F(ApiDocumentsTest, OfflineListingsHoldTheStoredRepos) {
  ASSERT_TRUE(catalog_->ResolveRevision({RepoType::kModel, "acme/tiny"}, "main").ok());
  ASSERT_TRUE(catalog_->RepoInfoJson({RepoType::kModel, "acme/tiny"}, kMain).ok());
  Reopen(nullptr);
  ApiAnswer answer = Get("/api/models?author=acme");
  EXPECT_TRUE(answer.stale);
  json items = json::parse(answer.body);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["id"], "acme/tiny");
  EXPECT_EQ(items[0]["downloads"], 7);
  EXPECT_EQ(Get("/api/datasets?author=acme").body, "[]");
  EXPECT_EQ(Get("/api/models?author=other").body, "[]");
}

}  // namespace
}  // namespace hubmirror
