// AWS Signature Version 4 for S3-compatible object storage: the
// Authorization header of one request, as AWS specifies it (canonical
// request, string to sign, derived key). Pure function of its inputs, so it
// is tested against AWS's published examples.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hubmirror {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" unless temporary credentials
};

struct SigV4Request {
  std::string method;          // "GET"
  std::string path;            // not yet encoded: "/bucket/key with space"
  // Query parameters, not yet encoded (order does not matter).
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign, any case; must include host and x-amz-date.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // hex, or "UNSIGNED-PAYLOAD"
  std::string amz_date;        // "20130524T000000Z"
  std::string region;          // "us-east-1"
  std::string service = "s3";
};

// The value of the Authorization header.
std::string SigV4Authorization(const SigV4Request& request, const AwsCredentials& credentials);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept,
// '/' kept when `keep_slash` (paths), everything else %XX (upper-case hex).
std::string AwsUriEncode(const std::string& text, bool keep_slash);

// The canonical request, exposed for tests and error messages.
std::string SigV4CanonicalRequest(const SigV4Request& request);

}  // namespace hubmirror
