#include "tests/fakehub/url_signer.h"

#include <charconv>

#include "tests/fakehub/digest.h"

namespace fakehub {

UrlSigner::UrlSigner() : key_(RandomBytes(32)) {}

std::string UrlSigner::Sign(std::string_view sha256, int64_t expires) const {
  return HmacSha256Hex(key_, std::string(sha256) + "\n" + std::to_string(expires));
}

UrlSigner::Verdict UrlSigner::Check(std::string_view sha256, std::string_view expires_text,
                                    std::string_view sig, int64_t now) const {
  int64_t expires = 0;
  auto [ptr, ec] =
      std::from_chars(expires_text.data(), expires_text.data() + expires_text.size(), expires);
  if (expires_text.empty() || ec != std::errc() ||
      ptr != expires_text.data() + expires_text.size()) {
    return Verdict::kBadSignature;
  }
  if (!ConstantTimeEquals(Sign(sha256, expires), sig)) return Verdict::kBadSignature;
  return expires < now ? Verdict::kExpired : Verdict::kValid;
}

}  // namespace fakehub
