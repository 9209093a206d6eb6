#include "server/catalog/offline_documents.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

using nlohmann::json;

NamedRef Ref(const std::string& name, char commit) {
  return NamedRef{name, RefRecord{std::string(40, commit), 1}};
}

HubRoute Query(const std::string& target) {
  Result<HubRoute> route = ParseHubRoute("GET", target);
  EXPECT_TRUE(route.ok()) << target;
  return route.ok() ? *route : HubRoute{};
}

ListedRepo Repo(const std::string& id, int downloads, std::vector<std::string> tags,
                bool is_private = false) {
  json info = {{"_id", "id-" + id}, {"id", id}, {"author", id.substr(0, id.find('/'))},
               {"downloads", downloads}, {"likes", 100 - downloads}, {"tags", tags},
               {"private", is_private}, {"xetEnabled", true}, {"sha", std::string(40, 'a')},
               {"createdAt", "2024-01-0" + std::to_string(downloads % 9 + 1) + "T00:00:00.000Z"},
               {"siblings", json::array({{{"rfilename", "config.json"}, {"size", 3}}})}};
  return ListedRepo{RepoKey{RepoType::kModel, id}, std::move(info)};
}

std::vector<std::string> Ids(const ListingPage& page) {
  std::vector<std::string> ids;
  for (const json& item : page.items) ids.push_back(item["id"]);
  return ids;
}

TEST(OfflineRefsTest, KindsFromNamesAndFromAKeptUpstreamDocument) {
  std::vector<NamedRef> refs = {Ref("HEAD", 'a'), Ref("main", 'a'), Ref("v1", 'b'),
                                Ref("dev", 'c'), Ref("refs/pr/3", 'd'),
                                Ref("refs/convert/parquet", 'e')};
  json kept = {{"branches", json::array()},
               {"tags", json::array({{{"name", "v1"}, {"ref", "refs/tags/v1"}}})}};
  json doc = OfflineRefsJson(refs, /*include_prs=*/true, &kept);
  EXPECT_EQ(doc["branches"].size(), 2u);
  EXPECT_EQ(doc["branches"][0]["ref"], "refs/heads/main");
  EXPECT_EQ(doc["branches"][1]["name"], "dev");
  EXPECT_EQ(doc["tags"], json::array({{{"name", "v1"},
                                       {"ref", "refs/tags/v1"},
                                       {"targetCommit", std::string(40, 'b')}}}));
  EXPECT_EQ(doc["converts"][0]["name"], "parquet");
  EXPECT_EQ(doc["converts"][0]["ref"], "refs/convert/parquet");
  EXPECT_EQ(doc["pullRequests"][0]["ref"], "refs/pr/3");
  json without_prs = OfflineRefsJson(refs, false, nullptr);
  EXPECT_FALSE(without_prs.contains("pullRequests"));
  EXPECT_EQ(without_prs["branches"].size(), 3u) << "no kept document: v1 is a branch";
}

TEST(OfflineCommitsTest, TheOneKnownCommitDatedByItsInfo) {
  json doc = OfflineCommitsJson(std::string(40, 'a'), R"({"lastModified":"2024-02-03T04:05:06.000Z"})");
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["id"], std::string(40, 'a'));
  EXPECT_EQ(doc[0]["date"], "2024-02-03T04:05:06.000Z");
  EXPECT_TRUE(doc[0]["authors"].is_array());
  EXPECT_EQ(OfflineCommitsJson("c", "not json")[0]["date"], "1970-01-01T00:00:00.000Z");
}

TEST(OfflineRepoListTest, FiltersSortsPagesAndShapes) {
  std::vector<ListedRepo> repos = {Repo("acme/tiny", 50, {"bert"}), Repo("acme/big", 5, {"gpt2"}),
                                   Repo("other/tiny-2", 20, {"bert", "en"}), Repo("gpt-mini", 9, {})};
  auto page = [&](const std::string& query) {
    Result<RepoListQuery> q = ParseRepoListQuery(Query("/api/models?" + query));
    EXPECT_TRUE(q.ok()) << query << ": " << q.status().ToString();
    return OfflineRepoList(repos, *q);
  };
  EXPECT_EQ(Ids(page("author=acme")), (std::vector<std::string>{"acme/big", "acme/tiny"}));
  EXPECT_EQ(Ids(page("search=TINY")), (std::vector<std::string>{"acme/tiny", "other/tiny-2"}));
  EXPECT_EQ(Ids(page("filter=bert&filter=en")), (std::vector<std::string>{"other/tiny-2"}));
  EXPECT_EQ(Ids(page("filter=bert,en")), (std::vector<std::string>{"other/tiny-2"}));
  EXPECT_EQ(Ids(page("sort=downloads")),
            (std::vector<std::string>{"acme/tiny", "other/tiny-2", "gpt-mini", "acme/big"}));
  EXPECT_EQ(Ids(page("sort=downloads&direction=1")),
            (std::vector<std::string>{"acme/big", "gpt-mini", "other/tiny-2", "acme/tiny"}));
  ListingPage first = page("sort=downloads&limit=3");
  EXPECT_EQ(first.items.size(), 3u);
  ASSERT_TRUE(first.next_cursor.has_value());
  EXPECT_EQ(Ids(page("sort=downloads&limit=3&cursor=" + *first.next_cursor)),
            std::vector<std::string>{"acme/big"});
  EXPECT_FALSE(page("sort=downloads&limit=4").next_cursor.has_value());

  const json summary = page("author=acme&search=tiny").items[0];
  EXPECT_FALSE(summary.contains("siblings"));
  EXPECT_FALSE(summary.contains("xetEnabled"));
  EXPECT_EQ(summary["downloads"], 50);
  const json full = page("author=acme&search=tiny&full=true").items[0];
  EXPECT_EQ(full["siblings"], json::array({{{"rfilename", "config.json"}}}));
  EXPECT_FALSE(full.contains("xetEnabled"));
  const json expanded = page("author=acme&search=tiny&expand=likes").items[0];
  EXPECT_EQ(expanded, (json{{"_id", "id-acme/tiny"}, {"id", "acme/tiny"}, {"likes", 50}}));
}

TEST(OfflineRepoListTest, BadQueriesAreRefused) {
  EXPECT_EQ(ParseRepoListQuery(Query("/api/models?limit=0")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRepoListQuery(Query("/api/models?limit=ten")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRepoListQuery(Query("/api/models?direction=up")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRepoListQuery(Query("/api/models?cursor=offline-x")).status().code(),
            StatusCode::kInvalidArgument);
  // A cursor the upstream issued can only be followed with the upstream.
  EXPECT_EQ(ParseRepoListQuery(Query("/api/models?cursor=b2Zmc2V0OjI")).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(ParseRepoListQuery(Query("/api/models?limit=999999"))->limit, kMaxListingPage);
}

}  // namespace
}  // namespace hubmirror
