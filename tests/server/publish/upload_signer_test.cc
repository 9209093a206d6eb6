#include "server/publish/upload_signer.h"

#include <gtest/gtest.h>

#include <string>

namespace hubmirror {
namespace {

UploadGrant Grant() {
  return UploadGrant{RepoKey{RepoType::kDataset, "acme-internal/data"}, "writer",
                     std::string(64, 'a'), 12345, 2, 1000};
}

TEST(UploadSignerTest, RoundTripsUntilItExpires) {
  UploadSigner signer(std::string(32, 'k'));
  const std::string query = signer.Sign(Grant());
  Result<UploadGrant> grant = signer.Verify(query, 999);
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->repo.type, RepoType::kDataset);
  EXPECT_EQ(grant->repo.id, "acme-internal/data");
  EXPECT_EQ(grant->who, "writer");
  EXPECT_EQ(grant->sha256, std::string(64, 'a'));
  EXPECT_EQ(grant->size, 12345u);
  EXPECT_EQ(grant->part, 2);
  EXPECT_TRUE(signer.Verify(query, 1000).ok());  // valid through its last second
  EXPECT_EQ(signer.Verify(query, 1001).status().code(), StatusCode::kUnauthenticated);
}

TEST(UploadSignerTest, AnyChangeOrAnotherKeyIsRefused) {
  UploadSigner signer(std::string(32, 'k'));
  const std::string query = signer.Sign(Grant());
  EXPECT_FALSE(UploadSigner(std::string(32, 'o')).Verify(query, 0).ok());
  for (size_t i = 0; i < query.size(); ++i) {
    std::string altered = query;
    altered[i] = altered[i] == '1' ? '2' : '1';
    if (altered == query) continue;
    EXPECT_FALSE(signer.Verify(altered, 0).ok()) << altered;
  }
  for (const std::string junk : {"", "sig=00", "repo=a&sig=", "&&&&"}) {
    EXPECT_FALSE(signer.Verify(junk, 0).ok()) << junk;
  }
}

}  // namespace
}  // namespace hubmirror
