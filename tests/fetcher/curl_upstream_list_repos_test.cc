// CurlUpstream::ListRepos: /api/{models,datasets}?author=X, paginated.
#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "tests/fetcher/upstream_test_fixture.h"

namespace hubmirror {
namespace testing_fetcher {
namespace {

TEST_F(CurlUpstreamTest, ListReposFollowsLinkPages) {
  api_.routes().Get("/api/models", [this](const httplib::Request& req, httplib::Response& res) {
    api_.Record(req);
    EXPECT_EQ(req.get_param_value("author"), "acme");
    const std::string cursor = req.get_param_value("cursor");
    if (cursor.empty()) {
      res.set_content(R"([{"_id":"1","id":"acme/a"},{"_id":"2","id":"acme/b"}])",
                      "application/json");
      res.set_header("Link", "<" + api_.url() + "/api/models?author=acme&cursor=p2>; rel=\"next\"");
    } else {
      res.set_content(R"([{"_id":"3","id":"acme/c","likes":3}])", "application/json");
    }
  });
  StartServers();
  auto ids = Make()->ListRepos(RepoType::kModel, "acme");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<std::string>{"acme/a", "acme/b", "acme/c"}));
  auto seen = api_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].cursor, "p2");
  EXPECT_EQ(seen[0].authorization, "Bearer " + kToken);
}

TEST_F(CurlUpstreamTest, ListReposOfDatasetsUsesTheDatasetsRoute) {
  api_.routes().Get("/api/datasets", [this](const httplib::Request& req, httplib::Response& res) {
    api_.Record(req);
    res.set_content(R"([{"id":"acme/data"}])", "application/json");
  });
  StartServers();
  auto ids = Make()->ListRepos(RepoType::kDataset, "acme");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, std::vector<std::string>{"acme/data"});
}

TEST_F(CurlUpstreamTest, ListReposRejectsBadAuthorsAndBadAnswers) {
  api_.routes().Get("/api/models", [this](const httplib::Request& req, httplib::Response& res) {
    api_.Record(req);
    res.set_content(R"([{"id":"../../etc"}])", "application/json");
  });
  StartServers();
  EXPECT_EQ(Make()->ListRepos(RepoType::kModel, "a/b").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Make()->ListRepos(RepoType::kModel, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(api_.seen().empty());
  auto bad = Make()->ListRepos(RepoType::kModel, "acme");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("/api/models"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace testing_fetcher
}  // namespace hubmirror
