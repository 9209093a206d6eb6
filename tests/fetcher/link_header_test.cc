#include "fetcher/link_header.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

TEST(ParseNextLinkTest, SingleNextLink) {
  EXPECT_EQ(ParseNextLink(R"(<https://hf.co/api/models/a/b/tree/main?cursor=xyz>; rel="next")"),
            "https://hf.co/api/models/a/b/tree/main?cursor=xyz");
}

TEST(ParseNextLinkTest, PicksNextAmongSeveralLinks) {
  EXPECT_EQ(ParseNextLink(R"(<https://hf.co/p1>; rel="prev", <https://hf.co/p3>; rel="next")"),
            "https://hf.co/p3");
  EXPECT_EQ(ParseNextLink(R"(<https://hf.co/first>; rel="first",<http://hf.co/n>;rel="next")"),
            "http://hf.co/n");
}

TEST(ParseNextLinkTest, UnquotedRelAndExtraParams) {
  EXPECT_EQ(ParseNextLink("<https://hf.co/n?a=1&b=2>; title=\"x, y; z\"; rel=next; type=json"),
            "https://hf.co/n?a=1&b=2");
  EXPECT_EQ(ParseNextLink("  <https://hf.co/n>  ;  REL = \"prefetch next\"  "), "https://hf.co/n");
}

TEST(ParseNextLinkTest, NoNextLink) {
  EXPECT_EQ(ParseNextLink(""), std::nullopt);
  EXPECT_EQ(ParseNextLink(R"(<https://hf.co/p>; rel="prev")"), std::nullopt);
  EXPECT_EQ(ParseNextLink(R"(<https://hf.co/x>; rel="nextpage")"), std::nullopt);
  EXPECT_EQ(ParseNextLink(R"(<https://cas/x>; rel="xet-auth")"), std::nullopt);
}

TEST(ParseNextLinkTest, RejectsRelativeAndNonHttpTargets) {
  EXPECT_EQ(ParseNextLink(R"(</api/models/a/b/tree/main?cursor=1>; rel="next")"), std::nullopt);
  EXPECT_EQ(ParseNextLink(R"(<//hf.co/x>; rel="next")"), std::nullopt);
  EXPECT_EQ(ParseNextLink(R"(<ftp://hf.co/x>; rel="next")"), std::nullopt);
  EXPECT_EQ(ParseNextLink(R"(<https:///x>; rel="next")"), std::nullopt);
}

TEST(ParseNextLinkTest, MalformedHeadersGiveNothing) {
  EXPECT_EQ(ParseNextLink("https://hf.co/x; rel=next"), std::nullopt);
  EXPECT_EQ(ParseNextLink("<https://hf.co/x; rel=next"), std::nullopt);
  EXPECT_EQ(ParseNextLink("<https://hf.co/x>; rel=\"next"), std::nullopt);
  EXPECT_EQ(ParseNextLink("<https://hf.co/x> garbage; rel=next"), std::nullopt);
}

}  // namespace
}  // namespace hubmirror
