// Signs and checks the CDN's presigned LFS URLs
// (/lfs/<sha256>?expires=<unix seconds>&sig=<hex>), like S3/CloudFront.
//
// The key is random per process, so URLs from another run are rejected.
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fakehub {

class UrlSigner {
 public:
  enum class Verdict { kValid, kBadSignature, kExpired };

  UrlSigner();

  std::string Sign(std::string_view sha256, int64_t expires) const;
  // Checks `sig` for (sha256, expires_text) and that it has not expired at
  // `now` (unix seconds).
  Verdict Check(std::string_view sha256, std::string_view expires_text, std::string_view sig,
                int64_t now) const;

 private:
  std::string key_;
};

}  // namespace fakehub
