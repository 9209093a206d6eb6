#include "server/xet/xet_signer.h"

#include <gtest/gtest.h>

#include "store/env.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

const std::string kKey(32, 'k');

XetReadGrant Grant(int64_t exp) {
  return XetReadGrant{RepoKey{RepoType::kDataset, "acme/data"}, "team", exp};
}

TEST(XetSignerTest, ReadTokenRoundTripsUntilItExpires) {
  XetSigner signer(kKey);
  const std::string token = signer.IssueReadToken(Grant(1000));
  Result<XetReadGrant> grant = signer.CheckReadToken(token, 999);
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->repo.type, RepoType::kDataset);
  EXPECT_EQ(grant->repo.id, "acme/data");
  EXPECT_EQ(grant->who, "team");
  EXPECT_EQ(grant->expires_at, 1000);
  EXPECT_EQ(signer.CheckReadToken(token, 1000).status().code(), StatusCode::kUnauthenticated);
}

TEST(XetSignerTest, RefusesTokensOfAnotherKeyAndAlteredTokens) {
  XetSigner signer(kKey);
  XetSigner other(std::string(32, 'o'));
  const std::string token = signer.IssueReadToken(Grant(1000));
  EXPECT_FALSE(other.CheckReadToken(token, 0).ok());
  // Every single-character change is refused (payload or MAC).
  for (size_t i = 0; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = altered[i] == 'a' ? 'b' : 'a';
    if (altered == token) continue;
    EXPECT_FALSE(signer.CheckReadToken(altered, 0).ok()) << i;
  }
  for (std::string_view junk : {"", "hmx1_", "hmx1_.", "hmx1_zz.00", "Bearer x", "hmx1_00.00"}) {
    EXPECT_FALSE(signer.CheckReadToken(junk, 0).ok()) << junk;
  }
}

TEST(XetSignerTest, WriteAndReadTokensAreNotInterchangeable) {
  XetSigner signer(kKey);
  const std::string write = signer.IssueWriteToken(Grant(1000));
  const std::string read = signer.IssueReadToken(Grant(1000));
  Result<XetReadGrant> grant = signer.CheckWriteToken(write, 999);
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->repo.id, "acme/data");
  EXPECT_EQ(grant->who, "team");
  EXPECT_FALSE(signer.CheckReadToken(write, 0).ok());
  EXPECT_FALSE(signer.CheckWriteToken(read, 0).ok());
  EXPECT_EQ(signer.CheckWriteToken(write, 1000).status().code(), StatusCode::kUnauthenticated);
}

TEST(XetSignerTest, RangeUrlsAuthorizeExactlyTheirXorbAndBytes) {
  XetSigner signer(kKey);
  const std::string xorb(64, 'a');
  const std::string query = signer.SignRange(xorb, 100, 199, 500);
  // range=100-199&exp=500&sig=...
  const std::string sig = query.substr(query.find("sig=") + 4);
  uint64_t first = 0;
  uint64_t last = 0;
  ASSERT_TRUE(signer.CheckRange(xorb, "100-199", "500", sig, 499, &first, &last).ok());
  EXPECT_EQ(first, 100u);
  EXPECT_EQ(last, 199u);
  EXPECT_EQ(signer.CheckRange(xorb, "100-199", "500", sig, 500, &first, &last).code(),
            StatusCode::kPermissionDenied);
  EXPECT_FALSE(signer.CheckRange(xorb, "100-299", "500", sig, 0, &first, &last).ok());
  EXPECT_FALSE(signer.CheckRange(xorb, "100-199", "600", sig, 0, &first, &last).ok());
  EXPECT_FALSE(signer.CheckRange(std::string(64, 'b'), "100-199", "500", sig, 0, &first, &last).ok());
}

TEST(XetSignerTest, KeyIsCreatedOnceThenKept) {
  std::unique_ptr<Env> env = NewPosixEnv();
  ScratchDir dir;
  const std::string path = dir.path() + "/xet-token.key";
  Result<std::string> first = LoadOrCreateXetKey(env.get(), path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 32u);
  Result<std::string> again = LoadOrCreateXetKey(env.get(), path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*first, *again);
  // A truncated key is refused, not used.
  ASSERT_TRUE(env->RemoveFile(path).ok());
  {
    auto file = env->NewWritableFile(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("short", 5).ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  EXPECT_EQ(LoadOrCreateXetKey(env.get(), path).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hubmirror
