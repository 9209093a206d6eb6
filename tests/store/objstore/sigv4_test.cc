// SigV4 against AWS's published examples: the S3 documentation's header
// examples (bucket "examplebucket", 2013-05-24) and the aws-sig-v4 test
// suite's get-vanilla (service "service", 2015-08-30).
#include "store/objstore/sigv4.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

const AwsCredentials kS3DocCredentials{"AKIAIOSFODNN7EXAMPLE",
                                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SigV4Test, S3DocGetObjectWithRange) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha256},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_sha256 = kEmptySha256;
  r.amz_date = "20130524T000000Z";
  r.region = "us-east-1";
  EXPECT_EQ(SigV4Authorization(r, kS3DocCredentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3DocPutObjectEncodesThePath) {
  SigV4Request r;
  r.method = "PUT";
  r.path = "/test$file.text";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256",
                "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}};
  r.payload_sha256 = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  r.amz_date = "20130524T000000Z";
  r.region = "us-east-1";
  EXPECT_NE(SigV4CanonicalRequest(r).find("\n/test%24file.text\n"), std::string::npos);
  EXPECT_EQ(SigV4Authorization(r, kS3DocCredentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, S3DocListObjectsSortsTheQuery) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // out of order on purpose
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-content-sha256", kEmptySha256}};
  r.payload_sha256 = kEmptySha256;
  r.amz_date = "20130524T000000Z";
  r.region = "us-east-1";
  EXPECT_EQ(SigV4Authorization(r, kS3DocCredentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, TestSuiteGetVanilla) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_sha256 = kEmptySha256;
  r.amz_date = "20150830T123600Z";
  r.region = "us-east-1";
  r.service = "service";
  const AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(SigV4CanonicalRequest(r),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(SigV4Authorization(r, creds),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
            "SignedHeaders=host;x-amz-date,"
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, UriEncodingKeepsUnreservedAndSlashesOnlyInPaths) {
  EXPECT_EQ(AwsUriEncode("a-b_c.d~e/f g+h=", true), "a-b_c.d~e/f%20g%2Bh%3D");
  EXPECT_EQ(AwsUriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(AwsUriEncode("\xc3\xa9", false), "%C3%A9");
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndNamesLowered) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.headers = {{"My-Header1", "  a   b  "}, {"host", "h"}};
  r.payload_sha256 = kEmptySha256;
  r.amz_date = "20150830T123600Z";
  r.region = "us-east-1";
  EXPECT_NE(SigV4CanonicalRequest(r).find("my-header1:a b\n"), std::string::npos);
}

}  // namespace
}  // namespace hubmirror
