// CurlUpstream::Download: redirects, token isolation, resume, size checks.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

#include "tests/fetcher/upstream_test_fixture.h"

namespace hubmirror {
namespace testing_fetcher {
namespace {

TEST_F(CurlUpstreamTest, DownloadFollowsRedirectWithoutLeakingToken) {
  const std::string blob = MakeBlob(200'000);
  RedirectResolveToCdn("weights.bin", blob.size());
  ServeBlobOnCdn("weights.bin", blob);
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "weights.bin", 0, blob.size(), AppendTo(&got));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, blob);
  auto api_seen = api_.seen();
  auto cdn_seen = cdn_.seen();
  ASSERT_EQ(api_seen.size(), 1u);
  ASSERT_EQ(cdn_seen.size(), 1u);
  EXPECT_EQ(api_seen[0].authorization, "Bearer " + kToken);
  EXPECT_EQ(cdn_seen[0].authorization, "");
  EXPECT_EQ(cdn_seen[0].range, "");
}

TEST_F(CurlUpstreamTest, DownloadFromOffsetSendsRange) {
  const std::string blob = MakeBlob(10'000);
  RedirectResolveToCdn("w.bin", blob.size());
  ServeBlobOnCdn("w.bin", blob);
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "w.bin", 4000, blob.size(), AppendTo(&got));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, blob.substr(4000));
  ASSERT_EQ(cdn_.seen().size(), 1u);
  EXPECT_EQ(cdn_.seen()[0].range, "bytes=4000-");
  EXPECT_EQ(api_.seen()[0].range, "bytes=4000-");
}

TEST_F(CurlUpstreamTest, DownloadResumesAfterDroppedConnection) {
  const std::string blob = MakeBlob(300'000);
  const size_t kDropAfter = 100'000;
  auto cdn_calls = std::make_shared<std::atomic<int>>(0);
  RedirectResolveToCdn("big.bin", blob.size());
  cdn_.routes().Get(
      "/blobs/big.bin", [=, this](const httplib::Request& req, httplib::Response& res) {
        cdn_.Record(req);
        const bool drop = (*cdn_calls)++ == 0;
        res.set_content_provider(
            blob.size(), "application/octet-stream",
            [blob, drop, kDropAfter](size_t offset, size_t length, httplib::DataSink& sink) {
              if (drop && offset >= kDropAfter) return false;  // connection dies
              size_t n = std::min<size_t>(length, 10'000);
              if (drop) n = std::min(n, kDropAfter - offset);
              sink.write(blob.data() + offset, n);
              return true;
            });
      });
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "big.bin", 0, blob.size(), AppendTo(&got));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got.size(), blob.size());
  EXPECT_TRUE(got == blob);
  auto cdn_seen = cdn_.seen();
  ASSERT_EQ(cdn_seen.size(), 2u);
  EXPECT_EQ(cdn_seen[0].range, "");
  EXPECT_EQ(cdn_seen[1].range, "bytes=" + std::to_string(kDropAfter) + "-");
  // The resume starts over at the resolve URL (the CDN URL may have expired).
  EXPECT_EQ(api_.seen().size(), 2u);
}

TEST_F(CurlUpstreamTest, DownloadSkipsBytesWhenServerIgnoresRange) {
  const std::string blob = MakeBlob(50'000);
  api_.routes().Get("/org/name/resolve/" + kCommit + "/f.bin",
                    [=, this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.status = 200;  // chunked, ignoring Range
                      res.set_chunked_content_provider(
                          "application/octet-stream",
                          [blob](size_t offset, httplib::DataSink& sink) {
                            if (offset >= blob.size()) {
                              sink.done();
                              return true;
                            }
                            size_t n = std::min<size_t>(blob.size() - offset, 7000);
                            sink.write(blob.data() + offset, n);
                            return true;
                          });
                    });
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "f.bin", 12'345, blob.size(), AppendTo(&got));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(got == blob.substr(12'345));
  EXPECT_EQ(api_.seen()[0].range, "bytes=12345-");
}

TEST_F(CurlUpstreamTest, DownloadRetriesResolveWhenCdnSaysForbidden) {
  const std::string blob = MakeBlob(1000);
  auto cdn_calls = std::make_shared<std::atomic<int>>(0);
  RedirectResolveToCdn("x.bin", blob.size());
  cdn_.routes().Get("/blobs/x.bin", [=, this](const httplib::Request& req, httplib::Response& res) {
    cdn_.Record(req);
    if ((*cdn_calls)++ == 0) {
      res.status = 403;
      res.set_content("Request has expired", "text/plain");
      return;
    }
    res.set_content(blob, "application/octet-stream");
  });
  StartServers();
  UpstreamOptions o = Options();
  o.max_attempts = 1;  // the 403 retry happens within one attempt
  std::string got;
  Status st = NewCurlUpstream(o)->Download(kRepo, kCommit, "x.bin", 0, blob.size(), AppendTo(&got));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, blob);
  EXPECT_EQ(api_.seen().size(), 2u);
}

TEST_F(CurlUpstreamTest, DownloadEntryNotFoundIsNotRetried) {
  api_.routes().Get(R"(/org/name/resolve/.*)",
                    [this](const httplib::Request& req, httplib::Response& res) {
                      api_.Record(req);
                      res.status = 404;
                      res.set_header("X-Error-Code", "EntryNotFound");
                    });
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "nope.bin", 0, 10, AppendTo(&got));
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.hub_error(), HubError::kEntryNotFound);
  EXPECT_EQ(api_.seen().size(), 1u);
  EXPECT_TRUE(got.empty());
}

TEST_F(CurlUpstreamTest, DownloadOfMoreBytesThanExpectedIsDataLoss) {
  const std::string blob = MakeBlob(5000);
  RedirectResolveToCdn("w.bin", blob.size());
  ServeBlobOnCdn("w.bin", blob);
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "w.bin", 0, 4000, AppendTo(&got));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
  EXPECT_LE(got.size(), 4000u);
  EXPECT_EQ(cdn_.seen().size(), 1u);  // not retried
}

TEST_F(CurlUpstreamTest, ChunkedBodyLongerThanExpectedIsDataLoss) {
  const std::string blob = MakeBlob(50'000);
  api_.routes().Get(
      "/org/name/resolve/" + kCommit + "/f.bin",
      [=, this](const httplib::Request& req, httplib::Response& res) {
        api_.Record(req);
        res.set_chunked_content_provider(
            "application/octet-stream", [blob](size_t offset, httplib::DataSink& sink) {
              if (offset >= blob.size()) {
                sink.done();
                return true;
              }
              sink.write(blob.data() + offset, std::min<size_t>(blob.size() - offset, 7000));
              return true;
            });
      });
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "f.bin", 0, 20'000, AppendTo(&got));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
  EXPECT_LE(got.size(), 20'000u);
  EXPECT_EQ(got, blob.substr(0, got.size()));
}

TEST_F(CurlUpstreamTest, ShortBodyFailsAfterAllAttempts) {
  const std::string blob = MakeBlob(1000);
  RedirectResolveToCdn("w.bin", 2000);
  ServeBlobOnCdn("w.bin", blob);
  StartServers();
  std::string got;
  Status st = Make()->Download(kRepo, kCommit, "w.bin", 0, 2000, AppendTo(&got));
  EXPECT_FALSE(st.ok());
  // Content-Length disagrees with the expected size: not worth retrying.
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
}

TEST_F(CurlUpstreamTest, SinkErrorAbortsTransfer) {
  const std::string blob = MakeBlob(500'000);
  RedirectResolveToCdn("w.bin", blob.size());
  ServeBlobOnCdn("w.bin", blob);
  StartServers();
  size_t received = 0;
  Status st = Make()->Download(kRepo, kCommit, "w.bin", 0, blob.size(), [&](const char*, size_t n) {
    received += n;
    return Status::ResourceExhausted("disk full");
  });
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(), "disk full");
  EXPECT_LT(received, blob.size());
  EXPECT_EQ(cdn_.seen().size(), 1u);
}

TEST_F(CurlUpstreamTest, RejectsUnsafeArguments) {
  StartServers();
  auto up = Make();
  EXPECT_EQ(up->GetRevision({RepoType::kModel, "../etc"}, "main").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(up->HeadFile(kRepo, kCommit, "../x").status().code(), StatusCode::kInvalidArgument);
  std::string got;
  EXPECT_EQ(up->Download(kRepo, kCommit, "a", 11, 10, AppendTo(&got)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(up->Download(kRepo, kCommit, "a", 10, 10, AppendTo(&got)).ok());
  EXPECT_TRUE(api_.seen().empty());
}

}  // namespace
}  // namespace testing_fetcher
}  // namespace hubmirror
