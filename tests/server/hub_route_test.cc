#include "server/hub_route.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

HubRoute MustParse(const std::string& method, const std::string& target) {
  Result<HubRoute> route = ParseHubRoute(method, target);
  EXPECT_TRUE(route.ok()) << target << ": " << route.status().ToString();
  return route.ok() ? *route : HubRoute{};
}

TEST(HubRouteTest, RepoInfo) {
  HubRoute r = MustParse("GET", "/api/models/acme/tiny");
  EXPECT_EQ(r.kind, RouteKind::kRepoInfo);
  EXPECT_EQ(r.repo.type, RepoType::kModel);
  EXPECT_EQ(r.repo.id, "acme/tiny");
  EXPECT_EQ(r.revision, "HEAD");

  r = MustParse("GET", "/api/datasets/acme/data/revision/refs%2Fpr%2F3?expand=sha&expand=private");
  EXPECT_EQ(r.repo.type, RepoType::kDataset);
  EXPECT_EQ(r.revision, "refs/pr/3");
  EXPECT_EQ(r.QueryValues("expand"), (std::vector<std::string>{"sha", "private"}));

  r = MustParse("GET", "/api/models/gpt2/revision/main");
  EXPECT_EQ(r.repo.id, "gpt2");
  EXPECT_EQ(r.revision, "main");

  r = MustParse("GET", "/api/models/gpt2");
  EXPECT_EQ(r.repo.id, "gpt2");
  // A raw slash in a revision of the revision endpoint.
  r = MustParse("GET", "/api/models/acme/tiny/revision/refs/pr/1");
  EXPECT_EQ(r.revision, "refs/pr/1");
}

TEST(HubRouteTest, Tree) {
  HubRoute r = MustParse("GET", "/api/models/acme/tiny/tree/main?recursive=True&expand=false");
  EXPECT_EQ(r.kind, RouteKind::kTree);
  EXPECT_EQ(r.revision, "main");
  EXPECT_EQ(r.path, "");
  EXPECT_TRUE(r.QueryBool("recursive"));
  EXPECT_FALSE(r.QueryBool("expand", true));

  r = MustParse("GET", "/api/models/acme/tiny/tree/main/sub%2Fdir");
  EXPECT_EQ(r.path, "sub/dir");
  r = MustParse("GET", "/api/models/acme/tiny/tree/refs/pr/1/sub/dir");
  EXPECT_EQ(r.revision, "refs/pr/1");
  EXPECT_EQ(r.path, "sub/dir");
  r = MustParse("GET", "/api/models/gpt2/tree/v1.0");
  EXPECT_EQ(r.repo.id, "gpt2");
  EXPECT_EQ(r.revision, "v1.0");
  // An org called "tree" is still an org.
  r = MustParse("GET", "/api/models/tree/tree/tree/main");
  EXPECT_EQ(r.repo.id, "tree/tree");
  EXPECT_EQ(r.revision, "main");
}

TEST(HubRouteTest, PathsInfoIsPostOnly) {
  HubRoute r = MustParse("POST", "/api/models/acme/tiny/paths-info/refs%2Fconvert%2Fparquet");
  EXPECT_EQ(r.kind, RouteKind::kPathsInfo);
  EXPECT_EQ(r.revision, "refs/convert/parquet");
  EXPECT_EQ(ParseHubRoute("GET", "/api/models/acme/tiny/paths-info/main").status().code(),
            StatusCode::kNotFound);
}

TEST(HubRouteTest, Resolve) {
  HubRoute r = MustParse("GET", "/acme/tiny/resolve/main/dir/file%20name.bin");
  EXPECT_EQ(r.kind, RouteKind::kResolve);
  EXPECT_EQ(r.repo.id, "acme/tiny");
  EXPECT_EQ(r.path, "dir/file name.bin");

  r = MustParse("HEAD", "/datasets/acme/data/resolve/refs%2Fpr%2F1/train.jsonl");
  EXPECT_EQ(r.repo.type, RepoType::kDataset);
  EXPECT_EQ(r.revision, "refs/pr/1");
  r = MustParse("GET", "/acme/tiny/resolve/refs/pr/12/config.json");
  EXPECT_EQ(r.revision, "refs/pr/12");
  EXPECT_EQ(r.path, "config.json");
  r = MustParse("GET", "/gpt2/resolve/main/config.json");
  EXPECT_EQ(r.repo.id, "gpt2");
  // Legacy datasets have no namespace ("squad"), like the Hub's own URLs.
  r = MustParse("GET", "/datasets/squad/resolve/main/x");
  EXPECT_EQ(r.repo.type, RepoType::kDataset);
  EXPECT_EQ(r.repo.id, "squad");
}

TEST(HubRouteTest, RejectsTraversalAndBadEncodings) {
  for (const char* target : {
           "/acme/tiny/resolve/main/../x", "/acme/tiny/resolve/main/%2e%2e/x",
           "/acme/tiny/resolve/main/a%2Fb", "/acme/tiny/resolve/main//x",
           "/acme/tiny/resolve/main/a%5Cb", "/acme/tiny/resolve/main/a%00b",
           "/acme/tiny/resolve/main/%zz", "/acme/tiny/resolve/main/%4",
           "/acme/tiny/resolve/main/%C0%AE", "/acme/tiny/resolve/%2e%2e/x",
           "/api/models/acme/tiny/revision/..", "/api/models/acme/tiny/revision/%2Fabs",
           "/api/models/ac%2fme/revision/main", "/api/models/../x/revision/main",
           "/api/models/acme/tiny/tree/main/%2e%2e", "/acme/tiny/resolve/main/",
       }) {
    Result<HubRoute> r = ParseHubRoute("GET", target);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << target;
  }
  std::string long_path = "/acme/tiny/resolve/main/" + std::string(5000, 'a');
  EXPECT_EQ(ParseHubRoute("GET", long_path).status().code(), StatusCode::kInvalidArgument);
}

TEST(HubRouteTest, UnknownRoutesAreNotFound) {
  for (const char* target : {"/favicon.ico", "/api/whoami", "/api/kernels/a/b",
                             "/api/models/a/b/refs/x", "/api/models/a/b/discussions",
                             "/acme/tiny/blob/main/x"}) {
    EXPECT_EQ(ParseHubRoute("GET", target).status().code(), StatusCode::kNotFound) << target;
  }
  EXPECT_EQ(MustParse("GET", "/api/status").kind, RouteKind::kStatus);
  EXPECT_EQ(MustParse("GET", "/api/admin/storage").kind, RouteKind::kAdminStorage);
  EXPECT_EQ(MustParse("GET", "/api/whoami-v2").kind, RouteKind::kWhoAmI);
  EXPECT_EQ(ParseHubRoute("POST", "/api/whoami-v2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseHubRoute("POST", "/api/admin/storage").status().code(), StatusCode::kNotFound);
}

TEST(HubRouteTest, SpacesRefsCommitsAndListings) {
  HubRoute space = MustParse("GET", "/api/spaces/acme/tiny-space");
  EXPECT_EQ(space.kind, RouteKind::kRepoInfo);
  EXPECT_EQ(space.repo.type, RepoType::kSpace);
  HubRoute space_file = MustParse("HEAD", "/spaces/acme/tiny-space/resolve/main/app.py");
  EXPECT_EQ(space_file.kind, RouteKind::kResolve);
  EXPECT_EQ(space_file.repo, (RepoKey{RepoType::kSpace, "acme/tiny-space"}));
  EXPECT_EQ(space_file.path, "app.py");

  HubRoute refs = MustParse("GET", "/api/datasets/acme/tiny-dataset/refs?include_prs=1");
  EXPECT_EQ(refs.kind, RouteKind::kRefs);
  EXPECT_EQ(refs.repo, (RepoKey{RepoType::kDataset, "acme/tiny-dataset"}));
  EXPECT_TRUE(refs.QueryBool("include_prs"));
  EXPECT_EQ(MustParse("GET", "/api/models/gpt2/refs").repo.id, "gpt2");
  EXPECT_EQ(ParseHubRoute("POST", "/api/models/acme/x/refs").status().code(),
            StatusCode::kNotFound);

  // Python encodes the revision, the JS client sends it raw.
  for (const char* target : {"/api/models/acme/x/commits/refs%2Fpr%2F1?expand%5B%5D=formatted",
                             "/api/models/acme/x/commits/refs/pr/1?expand[]=formatted"}) {
    HubRoute commits = MustParse("GET", target);
    EXPECT_EQ(commits.kind, RouteKind::kCommits) << target;
    EXPECT_EQ(commits.revision, "refs/pr/1") << target;
    EXPECT_EQ(commits.QueryValues("expand"), std::vector<std::string>{"formatted"}) << target;
  }
  EXPECT_EQ(ParseHubRoute("GET", "/api/models/acme/x/commits/..").status().code(),
            StatusCode::kInvalidArgument);

  for (RepoType type : {RepoType::kModel, RepoType::kDataset, RepoType::kSpace}) {
    const std::string target = "/api/" + std::string(RepoTypePlural(type)) + "?author=acme";
    HubRoute list = MustParse("GET", target);
    EXPECT_EQ(list.kind, RouteKind::kRepoList) << target;
    EXPECT_EQ(list.repo.type, type) << target;
    EXPECT_EQ(list.QueryValues("author"), std::vector<std::string>{"acme"});
  }
  EXPECT_EQ(MustParse("HEAD", "/api/models/").kind, RouteKind::kRepoList);
  EXPECT_EQ(ParseHubRoute("POST", "/api/models").status().code(), StatusCode::kNotFound);
}

TEST(HubRouteTest, OperationsAndUiRoutes) {
  EXPECT_EQ(MustParse("GET", "/metrics").kind, RouteKind::kMetrics);
  EXPECT_EQ(MustParse("GET", "/healthz").kind, RouteKind::kHealthz);
  EXPECT_EQ(MustParse("HEAD", "/readyz").kind, RouteKind::kReadyz);
  EXPECT_EQ(MustParse("GET", "/").kind, RouteKind::kUi);
  EXPECT_EQ(MustParse("GET", "/").path, "");
  HubRoute page = MustParse("GET", "/ui/repo/models/acme/a%3Cb?rev=main");
  EXPECT_EQ(page.kind, RouteKind::kUi);
  EXPECT_EQ(page.path, "repo/models/acme/a<b");
  EXPECT_EQ(page.query.find("rev")->second, "main");
  // A repo whose org is "ui" still resolves its files.
  HubRoute file = MustParse("GET", "/ui/models/resolve/main/config.json");
  EXPECT_EQ(file.kind, RouteKind::kResolve);
  EXPECT_EQ(file.repo.id, "ui/models");
  EXPECT_EQ(ParseHubRoute("POST", "/metrics").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseHubRoute("GET", "/ui/%zz").status().code(), StatusCode::kInvalidArgument);
}

TEST(HubRouteTest, XetRoutes) {
  HubRoute token = MustParse("GET", "/api/datasets/acme/data/xet-read-token/refs%2Fpr%2F1");
  EXPECT_EQ(token.kind, RouteKind::kXetReadToken);
  EXPECT_EQ(token.repo.type, RepoType::kDataset);
  EXPECT_EQ(token.repo.id, "acme/data");
  EXPECT_EQ(token.revision, "refs/pr/1");
  const std::string hash(64, 'A');
  HubRoute v1 = MustParse("GET", "/xet/v1/reconstructions/" + hash);
  EXPECT_EQ(v1.kind, RouteKind::kXetReconstruction);
  EXPECT_EQ(v1.api_version, 1);
  EXPECT_EQ(v1.path, std::string(64, 'a'));  // lower-cased
  EXPECT_EQ(MustParse("GET", "/xet/v2/reconstructions/" + hash).api_version, 2);
  HubRoute xorb = MustParse("GET", "/xet/xorbs/" + hash + "?range=0-9&exp=1&sig=ab");
  EXPECT_EQ(xorb.kind, RouteKind::kXetXorb);
  EXPECT_EQ(xorb.query.find("range")->second, "0-9");
  EXPECT_EQ(ParseHubRoute("GET", "/xet/v1/reconstructions/xyz").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHubRoute("GET", "/xet/v3/reconstructions/" + hash).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ParseHubRoute("POST", "/xet/xorbs/" + hash).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseHubRoute("GET", "/xet/v1/chunks/default/" + hash).status().code(),
            StatusCode::kNotFound);
}

TEST(HubRouteTest, PercentDecodeAndQuery) {
  EXPECT_EQ(*PercentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(*PercentDecode("a%20b+c", true), "a b c");
  EXPECT_FALSE(PercentDecode("%", false).ok());
  auto q = ParseQueryString("paths=a%2Fb&paths=c&expand=False&empty");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->count("paths"), 2u);
  EXPECT_EQ(q->find("empty")->second, "");
}

}  // namespace
}  // namespace hubmirror
