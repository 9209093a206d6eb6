#include "fetcher/http_error.h"

#include <gtest/gtest.h>

#include "fetcher/curl_handle.h"

namespace hubmirror {
namespace {

Status Map(int status, std::string code = "", std::string message = "", std::string body = "") {
  return HttpErrorToStatus({status, code, message, body}, "GET https://hf.co/api/x");
}

TEST(HttpErrorTest, HubErrorCodes) {
  Status s = Map(404, "RepoNotFound", "Repository not found");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.hub_error(), HubError::kRepoNotFound);
  EXPECT_EQ(s.http_status(), 404);
  EXPECT_NE(s.message().find("GET https://hf.co/api/x"), std::string::npos);
  EXPECT_NE(s.message().find("Repository not found"), std::string::npos);

  s = Map(401, "RepoNotFound");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.http_status(), 401);
  EXPECT_EQ(Map(404, "RevisionNotFound").hub_error(), HubError::kRevisionNotFound);
  EXPECT_EQ(Map(404, "EntryNotFound").code(), StatusCode::kNotFound);
  EXPECT_EQ(Map(403, "GatedRepo").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Map(401, "GatedRepo").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Map(401, "GatedRepo").hub_error(), HubError::kGatedRepo);
  s = Map(403, "", "Access to this resource is disabled.");
  EXPECT_EQ(s.hub_error(), HubError::kDisabled);
  // Clients get the Hub's words unchanged; logs keep the request too.
  EXPECT_EQ(s.hub_message(), "Access to this resource is disabled.");
  EXPECT_NE(s.message().find("GET https://hf.co/api/x"), std::string::npos);
  EXPECT_EQ(Map(404, "RepoNotFound", "Repository not found").hub_message(),
            "Repository not found");
  EXPECT_EQ(Map(503).hub_message(), "");
}

TEST(HttpErrorTest, PlainStatuses) {
  EXPECT_EQ(Map(401).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Map(403).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Map(404).code(), StatusCode::kNotFound);
  EXPECT_EQ(Map(404).hub_error(), HubError::kNone);
  EXPECT_TRUE(Map(408).retryable());
  EXPECT_TRUE(Map(429).retryable());
  EXPECT_TRUE(Map(500).retryable());
  EXPECT_TRUE(Map(503).retryable());
  EXPECT_EQ(Map(400).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Map(416).code(), StatusCode::kInvalidArgument);
  EXPECT_NE(Map(400, "", "", R"({"error":"bad thing"})").message().find("bad thing"),
            std::string::npos);
}

TEST(HttpErrorTest, CurlCodes) {
  EXPECT_EQ(CurlCodeToStatus(CURLE_OPERATION_TIMEDOUT, "", "GET u").code(),
            StatusCode::kDeadlineExceeded);
  for (CURLcode c : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_RECV_ERROR,
                     CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING}) {
    EXPECT_EQ(CurlCodeToStatus(c, "", "GET u").code(), StatusCode::kUnavailable) << c;
  }
  Status s = CurlCodeToStatus(CURLE_UNSUPPORTED_PROTOCOL, "details here", "GET u");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("details here"), std::string::npos);
}

TEST(HttpErrorTest, DescribeRequestDropsQuery) {
  EXPECT_EQ(DescribeRequest("GET", "https://cdn/x?X-Amz-Signature=secret#f"), "GET https://cdn/x");
}

TEST(HttpErrorTest, RetryAfter) {
  EXPECT_EQ(ParseRetryAfterMs("3"), 3000);
  EXPECT_EQ(ParseRetryAfterMs(" 0 "), 0);
  EXPECT_EQ(ParseRetryAfterMs(""), -1);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
  EXPECT_EQ(ParseRetryAfterMs("-1"), -1);
}

TEST(UrlOriginTest, ComparesSchemeHostAndPort) {
  EXPECT_EQ(UrlOrigin("https://HF.co/api"), "https://hf.co:443");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:8080/x?y"), "http://127.0.0.1:8080");
  EXPECT_EQ(UrlOrigin("/relative"), std::nullopt);
  EXPECT_EQ(UrlOrigin("ftp://hf.co/x"), std::nullopt);
  EXPECT_TRUE(SameOrigin("https://hf.co/a", "https://hf.co:443/b"));
  EXPECT_FALSE(SameOrigin("https://hf.co/a", "http://hf.co/a"));
  EXPECT_FALSE(SameOrigin("http://127.0.0.1:1/a", "http://127.0.0.1:2/a"));
  EXPECT_FALSE(SameOrigin("https://cdn.hf.co/a", "https://hf.co/a"));
  EXPECT_FALSE(SameOrigin("https://hf.co@evil.com/a", "https://hf.co/a"));
}

}  // namespace
}  // namespace hubmirror
