// S3Storage against a real S3-compatible server: CTest s3_storage_on_moto
// starts moto and names it in HUBMIRROR_TEST_S3_ENDPOINT (skipped without).
#include "store/objstore/s3_storage.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

class S3StorageTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("HUBMIRROR_TEST_S3_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') GTEST_SKIP() << "run by s3_storage_on_moto";
    TempDirTest::SetUp();
    env_ = NewPosixEnv();
    S3Options o;
    o.endpoint = endpoint;
    o.bucket = "s3-storage-test";
    o.region = "us-east-1";
    o.prefix = "p/";
    o.credentials = {"test-key", "test-secret", ""};
    // Multipart from 6 MiB in parts of 5 MiB (S3's minimum part size).
    o.multipart_from_bytes = 6 << 20;
    o.part_bytes = 5 << 20;
    auto s3 = S3Storage::Open(env_.get(), o);
    ASSERT_OK(s3.status());
    s3_ = std::move(s3).value();
    ASSERT_OK(s3_->CheckBucket(/*create=*/true));
  }
  std::string WriteLocal(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<S3Storage> s3_;
};

TEST_F(S3StorageTest, PutThenRangesSizeAndDelete) {
  const std::string bytes = testing::RandomBytes(100000, 1);
  ASSERT_OK(s3_->PutFile("a/one.xorb", WriteLocal("one", bytes)));
  auto size = s3_->Size("a/one.xorb");
  ASSERT_OK(size.status());
  ASSERT_TRUE(size->has_value());
  EXPECT_EQ(**size, bytes.size());
  std::string got;
  ASSERT_OK(s3_->GetRange("a/one.xorb", 1000, 5000, &got));
  EXPECT_EQ(got, bytes.substr(1000, 5000));
  ASSERT_OK(s3_->GetRange("a/one.xorb", 99000, 5000, &got));  // shorter at the end
  EXPECT_EQ(got, bytes.substr(99000));
  ASSERT_OK(s3_->Delete("a/one.xorb"));
  EXPECT_FALSE(s3_->Size("a/one.xorb")->has_value());
  EXPECT_OK(s3_->Delete("a/one.xorb"));  // absent counts as deleted
  EXPECT_EQ(s3_->GetRange("a/one.xorb", 0, 10, &got).code(), StatusCode::kNotFound);
}

TEST_F(S3StorageTest, LargeObjectsGoUpInParts) {
  const std::string bytes = testing::RandomBytes((13 << 20) + 123, 2);  // 3 parts
  ASSERT_OK(s3_->PutFile("big.xorb", WriteLocal("big", bytes)));
  EXPECT_EQ(**s3_->Size("big.xorb"), bytes.size());
  std::string got;
  ASSERT_OK(s3_->GetRange("big.xorb", (5 << 20) - 10, 20, &got));  // across a part boundary
  EXPECT_EQ(got, bytes.substr((5 << 20) - 10, 20));
  ASSERT_OK(s3_->GetRange("big.xorb", 0, bytes.size(), &got));
  EXPECT_TRUE(got == bytes);
}

TEST_F(S3StorageTest, KeysWithCharactersThatNeedEncoding) {
  const std::string bytes = "hello";
  ASSERT_OK(s3_->PutFile("dir with space/a+b=c.xorb", WriteLocal("odd", bytes)));
  std::string got;
  ASSERT_OK(s3_->GetRange("dir with space/a+b=c.xorb", 0, 5, &got));
  EXPECT_EQ(got, bytes);
}

TEST_F(S3StorageTest, MissingLocalFileIsAnErrorAndNothingIsWritten) {
  EXPECT_FALSE(s3_->PutFile("never.xorb", dir_ + "/absent").ok());
  EXPECT_FALSE(s3_->Size("never.xorb")->has_value());
}

TEST(S3OptionsTest, MissingBucketOrCredentialsAreRefused) {
  S3Options o;
  o.endpoint = "http://127.0.0.1:1";
  EXPECT_EQ(ResolveS3Options(&o).code(), StatusCode::kInvalidArgument);
  o.bucket = "b";
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  Status no_keys = ResolveS3Options(&o);
  EXPECT_EQ(no_keys.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_keys.message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  o.credentials = {"k", "s", ""};
  o.endpoint = "ftp://x";
  EXPECT_EQ(ResolveS3Options(&o).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hubmirror
