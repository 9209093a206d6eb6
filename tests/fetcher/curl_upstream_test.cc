// CurlUpstream metadata calls: GetRevision, ListTree, PathsInfo, HeadFile.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/fetcher/upstream_test_fixture.h"

namespace hubmirror {
namespace testing_fetcher {
namespace {

TEST_F(CurlUpstreamTest, GetRevisionSendsTokenAndStripsXet) {
  api_.routes().Get("/api/models/org/name/revision/main",
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      EXPECT_EQ(req.get_param_value("blobs"), "true");
                      res.set_content(R"({"id":"org/name","sha":")" + kCommit +
                                          R"(","xetEnabled":true,"siblings":[]})",
                                      "application/json");
                    });
  StartServers();
  auto r = Make()->GetRevision(kRepo, "main");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->commit, kCommit);
  EXPECT_EQ(r->info_json.find("xet"), std::string::npos);
  auto seen = api_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, "Bearer " + kToken);
  EXPECT_EQ(seen[0].user_agent, "hubmirror-test/1");
}

TEST_F(CurlUpstreamTest, NoAuthorizationWithoutToken) {
  api_.routes().Get("/api/datasets/org/name/revision/main", [this](const httplib::Request& req,
                                                                   httplib::Response& res) {
    api_.Record(req);
    res.set_content(R"({"id":"org/name","sha":")" + kCommit + R"("})", "application/json");
  });
  StartServers();
  UpstreamOptions o = Options();
  o.token.clear();
  auto r = NewCurlUpstream(o)->GetRevision({RepoType::kDataset, "org/name"}, "main");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(api_.seen().size(), 1u);
  EXPECT_EQ(api_.seen()[0].authorization, "");
}

TEST_F(CurlUpstreamTest, RevisionNotFoundIsNotRetried) {
  api_.routes().Get(R"(/api/models/org/name/revision/(.*))",
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.status = 404;
                      res.set_header("X-Error-Code", "RevisionNotFound");
                      res.set_header("X-Error-Message", "Invalid rev id: nope");
                      res.set_content(R"({"error":"Invalid rev id: nope"})", "application/json");
                    });
  StartServers();
  auto r = Make()->GetRevision(kRepo, "nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().hub_error(), HubError::kRevisionNotFound);
  EXPECT_EQ(r.status().http_status(), 404);
  EXPECT_NE(r.status().message().find(api_.url() + "/api/models/org/name/revision/nope"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find(kToken), std::string::npos);
  EXPECT_EQ(api_.seen().size(), 1u);
}

TEST_F(CurlUpstreamTest, RetriesUnavailableThenSucceeds) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  api_.routes().Get("/api/models/org/name/revision/main", [=, this](const httplib::Request& req,
                                                                    httplib::Response& res) {
    api_.Record(req);
    if ((*calls)++ == 0) {
      res.status = 503;
      res.set_header("Retry-After", "0");
      return;
    }
    res.set_content(R"({"id":"org/name","sha":")" + kCommit + R"("})", "application/json");
  });
  StartServers();
  auto r = Make()->GetRevision(kRepo, "main");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls->load(), 2);
}

TEST_F(CurlUpstreamTest, GivesUpAfterMaxAttemptsAndCapsRetryAfter) {
  api_.routes().Get("/api/models/org/name/revision/main",
                    [=, this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.status = 429;
                      res.set_header("Retry-After", "3600");
                    });
  StartServers();
  auto start = std::chrono::steady_clock::now();
  auto r = Make()->GetRevision(kRepo, "main");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().retryable());
  EXPECT_EQ(api_.seen().size(), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(CurlUpstreamTest, ConnectionRefusedIsUnavailable) {
  StartServers();
  UpstreamOptions o = Options();
  o.endpoint = api_.url();
  api_.Stop();
  o.max_attempts = 2;
  auto r = NewCurlUpstream(o)->GetRevision(kRepo, "main");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST_F(CurlUpstreamTest, MetadataTimeoutIsDeadlineExceeded) {
  api_.routes().Get("/api/models/org/name/revision/main",
                    [=](const httplib::Request&, httplib::Response& res) {
                      std::this_thread::sleep_for(std::chrono::milliseconds(600));
                      res.set_content("{}", "application/json");
                    });
  StartServers();
  UpstreamOptions o = Options();
  o.metadata_timeout_ms = 100;
  o.max_attempts = 1;
  auto r = NewCurlUpstream(o)->GetRevision(kRepo, "main");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
}

TEST_F(CurlUpstreamTest, MalformedRevisionJsonIsInvalidArgument) {
  api_.routes().Get("/api/models/org/name/revision/main",
                    [=](const httplib::Request&, httplib::Response& res) {
                      res.set_content(R"({"id":"org/name","sha":null})", "application/json");
                    });
  StartServers();
  auto r = Make()->GetRevision(kRepo, "main");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // The client asked nothing wrong: the mirror answers it 502, not 400.
  EXPECT_EQ(r.status().http_status(), 502);
}

TEST_F(CurlUpstreamTest, ListTreeStopsAtANextLinkSeenBefore) {
  api_.routes().Get("/api/models/org/name/tree/" + kCommit,
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.set_content("[]", "application/json");
                      // Page 2 points back at page 1, forever.
                      std::string base = api_.url() + req.path + "?recursive=true";
                      res.set_header("Link", "<" + base + (req.has_param("cursor") ? "" : "&cursor=2") +
                                                 ">; rel=\"next\"");
                    });
  StartServers();
  auto r = Make()->ListTree(kRepo, kCommit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().http_status(), 502);
  EXPECT_LE(api_.seen().size(), 3u);
}

TEST_F(CurlUpstreamTest, AnUpstreamEchoingTheTokenInAnErrorIsRedacted) {
  api_.routes().Get("/api/models/org/name/revision/main",
                    [](const httplib::Request& req, httplib::Response& res) {
                      const std::string echo = "refused " + req.get_header_value("Authorization");
                      res.status = 404;
                      res.set_header("X-Error-Code", "RepoNotFound");
                      res.set_header("X-Error-Message", echo);
                      res.set_content(R"({"error":")" + echo + R"("})", "application/json");
                    });
  StartServers();
  auto r = Make()->GetRevision(kRepo, "main");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().hub_error(), HubError::kRepoNotFound);
  EXPECT_EQ(r.status().message().find(kToken), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().hub_message(), "refused Bearer <redacted>");
}

TEST_F(CurlUpstreamTest, ListTreeFollowsLinkPages) {
  api_.routes().Get("/api/models/org/name/tree/" + kCommit, [this](const httplib::Request& req,
                                                                   httplib::Response& res) {
    api_.Record(req);
    EXPECT_EQ(req.get_param_value("recursive"), "true");
    std::string cursor = req.get_param_value("cursor");
    std::string path = cursor.empty() ? "p1" : cursor == "c2" ? "p2" : "p3";
    res.set_content(
        R"([{"type":"file","oid":")" + kOid + R"(","size":1,"path":")" + path + R"("}])",
        "application/json");
    std::string base = api_.url() + req.path + "?recursive=true&cursor=";
    if (cursor.empty()) {
      res.set_header("Link", "<" + base + "c2>; rel=\"next\"");
    } else if (cursor == "c2") {
      res.set_header("Link", "<" + base + "c1>; rel=\"prev\", <" + base + "c3>; rel=next");
    }
  });
  StartServers();
  auto r = Make()->ListTree(kRepo, kCommit);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].path, "p1");
  EXPECT_EQ((*r)[1].path, "p2");
  EXPECT_EQ((*r)[2].path, "p3");
  auto seen = api_.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].cursor, "c2");
  EXPECT_EQ(seen[2].cursor, "c3");
  EXPECT_EQ(seen[2].authorization, "Bearer " + kToken);
}

TEST_F(CurlUpstreamTest, ListTreeRejectsNextLinkToAnotherHost) {
  api_.routes().Get("/api/models/org/name/tree/" + kCommit,
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.set_content("[]", "application/json");
                      res.set_header("Link", "<" + cdn_.url() + "/steal>; rel=\"next\"");
                    });
  cdn_.routes().Get("/steal", [this](const httplib::Request& req, httplib::Response& res) {
    cdn_.Record(req);
    res.set_content("[]", "application/json");
  });
  StartServers();
  auto r = Make()->ListTree(kRepo, kCommit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(cdn_.seen().empty());
}

TEST_F(CurlUpstreamTest, PathsInfoPostsForm) {
  api_.routes().Post("/api/models/org/name/paths-info/" + kCommit,
                     [this](const httplib::Request& req, httplib::Response& res) {
                       api_.Record(req);
                       res.set_content(R"([{"type":"file","oid":")" + kOid +
                                           R"(","size":3,"path":"a.txt","xetHash":"x"}])",
                                       "application/json");
                     });
  StartServers();
  auto r = Make()->PathsInfo(kRepo, kCommit, {"a.txt", "dir/b c&d.bin"}, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].path, "a.txt");
  auto seen = api_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, "paths=a.txt&paths=dir%2Fb%20c%26d.bin&expand=true");
  EXPECT_EQ(seen[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].authorization, "Bearer " + kToken);
}

TEST_F(CurlUpstreamTest, HeadFileReadsLinkedHeadersFromRedirect) {
  RedirectResolveToCdn("weights.bin", 123456);
  ServeBlobOnCdn("weights.bin", "never fetched");
  StartServers();
  auto r = Make()->HeadFile(kRepo, kCommit, "weights.bin");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_lfs);
  EXPECT_EQ(r->commit, kCommit);
  EXPECT_EQ(r->etag, kSha256);
  EXPECT_EQ(r->size, 123456u);
  auto seen = api_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "HEAD");
  EXPECT_TRUE(cdn_.seen().empty());
}

TEST_F(CurlUpstreamTest, HeadFileOfRegularFile) {
  api_.routes().Get("/org/name/resolve/" + kCommit + "/dir/config.json",
                    [](const httplib::Request&, httplib::Response& res) {
                      res.set_header("X-Repo-Commit", kCommit);
                      res.set_header("ETag", "W/\"" + kOid + "\"");
                      res.set_content("{\"a\":1}", "application/json");
                    });
  StartServers();
  auto r = Make()->HeadFile(kRepo, kCommit, "dir/config.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_lfs);
  EXPECT_EQ(r->etag, kOid);
  EXPECT_EQ(r->size, 7u);
}

TEST_F(CurlUpstreamTest, HeadFileFollowsRelativeRedirectOfRenamedRepo) {
  api_.routes().Get("/org/old/resolve/" + kCommit + "/a.txt",
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.status = 307;
                      res.set_header("Location", "/org/name/resolve/" + kCommit + "/a.txt");
                    });
  api_.routes().Get("/org/name/resolve/" + kCommit + "/a.txt",
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.set_header("X-Repo-Commit", kCommit);
                      res.set_header("ETag", "\"" + kOid + "\"");
                      res.set_content("abc", "text/plain");
                    });
  StartServers();
  auto r = Make()->HeadFile({RepoType::kModel, "org/old"}, kCommit, "a.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_lfs);
  EXPECT_EQ(r->size, 3u);
  auto seen = api_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].authorization, "Bearer " + kToken);
}

TEST_F(CurlUpstreamTest, HeadFileEntryNotFound) {
  api_.routes().Get(R"(/org/name/resolve/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_header("X-Error-Code", "EntryNotFound");
    res.set_header("X-Repo-Commit", kCommit);
  });
  StartServers();
  auto r = Make()->HeadFile(kRepo, kCommit, "missing.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().hub_error(), HubError::kEntryNotFound);
}

}  // namespace
}  // namespace testing_fetcher
}  // namespace hubmirror
