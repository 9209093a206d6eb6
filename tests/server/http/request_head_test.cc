#include "server/http/request_head.h"

#include <gtest/gtest.h>

#include <string>

namespace hubmirror {
namespace {

RequestLimits Limits() { return RequestLimits{}; }

// The http_status of a refused head ("" parses -> 0).
int RefusalOf(const std::string& head, RequestLimits limits = Limits()) {
  Result<RequestHead> parsed = ParseRequestHead(head, limits);
  return parsed.ok() ? 0 : parsed.status().http_status();
}

TEST(RequestHeadTest, ParsesRequestLineHeadersAndFraming) {
  Result<RequestHead> head = ParseRequestHead(
      "GET /api/models/a/b?expand=x HTTP/1.1\r\nHost: h\r\nx-custom:  v a l  \r\n"
      "Content-Length: 5\r\n\r\n",
      Limits());
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->request.method, "GET");
  EXPECT_EQ(head->request.target, "/api/models/a/b?expand=x");
  EXPECT_EQ(head->request.path, "/api/models/a/b");
  EXPECT_EQ(head->request.get_header_value("X-Custom"), "v a l");
  EXPECT_TRUE(head->request.has_header("host"));
  EXPECT_EQ(head->framing, BodyFraming::kLength);
  EXPECT_EQ(head->content_length, 5u);
  EXPECT_TRUE(head->keep_alive);
}

TEST(RequestHeadTest, KeepAliveFollowsVersionAndConnectionHeader) {
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", Limits())->keep_alive);
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.0\r\n\r\n", Limits())->keep_alive);
  EXPECT_TRUE(
      ParseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Limits())->keep_alive);
  EXPECT_FALSE(
      ParseRequestHead("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n", Limits())->keep_alive);
}

TEST(RequestHeadTest, AcceptsBareLineFeedsAndLeadingEmptyLines) {
  Result<RequestHead> head = ParseRequestHead("\r\n\nHEAD /x HTTP/1.1\nA: 1\n\n", Limits());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->request.method, "HEAD");
  EXPECT_EQ(head->request.get_header_value("a"), "1");
}

TEST(RequestHeadTest, RefusesWhatCouldBeReadTwoWays) {
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"), 0);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nContent-Length: +3\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nA: x\x01y\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(RequestHeadTest, RefusesMalformedRequestLines) {
  EXPECT_EQ(RefusalOf("GET /\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET  / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1 x\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("G(T / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(RefusalOf("GET / FTP/1.0\r\n\r\n"), 400);
  EXPECT_EQ(RefusalOf("GET /a\x7f HTTP/1.1\r\n\r\n"), 400);
}

TEST(RequestHeadTest, EnforcesLimits) {
  RequestLimits limits;
  limits.max_header_count = 3;
  limits.max_body_bytes = 10;
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 0);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits), 431);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits), 413);
  EXPECT_EQ(RefusalOf("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n"), 414);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n"), 431);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nContent-Length: 1\r\nExpect: 101-foo\r\n\r\n"), 417);
  EXPECT_TRUE(ParseRequestHead("POST / HTTP/1.1\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
                               Limits())
                  ->expect_continue);
}

TEST(RequestHeadTest, FindsTheHeadEndByteByByteInLinearTime) {
  const std::string wire = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  const size_t first_end = wire.find("\r\n\r\n") + 4;
  size_t scanned = 0;
  for (size_t n = 1; n <= wire.size(); ++n) {
    Result<size_t> end = FindHeadEnd(std::string_view(wire).substr(0, n), scanned, Limits());
    ASSERT_TRUE(end.ok());
    if (n < first_end) {
      EXPECT_EQ(*end, 0u) << n;
    } else {
      EXPECT_EQ(*end, first_end) << n;
      break;
    }
    scanned = n;
  }
  EXPECT_EQ(*FindHeadEnd("A\n\nB", 0, Limits()), 3u);
}

TEST(RequestHeadTest, AnUnendingHeadIsRefusedAtTheLimit) {
  RequestLimits limits;
  limits.max_head_bytes = 1024;
  std::string wire = "GET / HTTP/1.1\r\n";
  while (wire.size() <= 1024) wire += "A: b\r\n";
  Result<size_t> end = FindHeadEnd(wire, 0, limits);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().http_status(), 431);
  // A complete head longer than the limit is refused too.
  EXPECT_FALSE(FindHeadEnd(wire + "\r\n", 0, limits).ok());
}

TEST(ChunkedBodyDecoderTest, DecodesAcrossEverySplit) {
  const std::string wire =
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (size_t split = 0; split <= wire.size(); ++split) {
    ChunkedBodyDecoder decoder(1 << 20);
    std::string body;
    std::string pending;
    for (std::string_view part : {std::string_view(wire).substr(0, split),
                                  std::string_view(wire).substr(split)}) {
      pending += part;
      Result<size_t> used = decoder.Feed(pending, &body);
      ASSERT_TRUE(used.ok()) << used.status().ToString();
      pending.erase(0, *used);
    }
    EXPECT_TRUE(decoder.done()) << split;
    EXPECT_EQ(body, "Wikipedia in\r\n\r\nchunks.") << split;
    EXPECT_EQ(pending, "NEXT") << split;
  }
}

TEST(ChunkedBodyDecoderTest, RefusesMalformedAndOversizeBodies) {
  std::string body;
  EXPECT_EQ(ChunkedBodyDecoder(100).Feed("zz\r\n", &body).status().http_status(), 400);
  EXPECT_EQ(ChunkedBodyDecoder(100).Feed("\r\n", &body).status().http_status(), 400);
  EXPECT_EQ(ChunkedBodyDecoder(100).Feed("3\r\nabcX", &body).status().http_status(), 400);
  EXPECT_EQ(ChunkedBodyDecoder(100).Feed("65\r\n", &body).status().http_status(), 413);
  EXPECT_EQ(ChunkedBodyDecoder(100).Feed("ffffffffffffffffff\r\n", &body).status().http_status(),
            400);
  ChunkedBodyDecoder decoder(5);
  ASSERT_TRUE(decoder.Feed("3\r\nabc\r\n", &body).ok());
  EXPECT_EQ(decoder.Feed("3\r\n", &body).status().http_status(), 413);
}

}  // namespace
}  // namespace hubmirror
