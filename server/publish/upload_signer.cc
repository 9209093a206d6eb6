#include "server/publish/upload_signer.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <charconv>

#include "server/hub_route.h"
#include "server/url_text.h"

namespace hubmirror {
namespace {

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string UploadSigner::Mac(const UploadGrant& g) const {
  const std::string message = "lfs-upload\n" + std::string(RepoTypeName(g.repo.type)) + "\n" +
                              g.repo.id + "\n" + g.who + "\n" + g.sha256 + "\n" +
                              std::to_string(g.size) + "\n" + std::to_string(g.part) + "\n" +
                              std::to_string(g.expires_at);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex.push_back(digits[mac[i] >> 4]);
    hex.push_back(digits[mac[i] & 15]);
  }
  return hex;
}

std::string UploadSigner::Sign(const UploadGrant& g) const {
  return "repo=" + UrlEncode(g.repo.id, false) + "&type=" + RepoTypeName(g.repo.type) +
         "&who=" + UrlEncode(g.who, false) + "&oid=" + g.sha256 +
         "&size=" + std::to_string(g.size) + "&part=" + std::to_string(g.part) +
         "&exp=" + std::to_string(g.expires_at) + "&sig=" + Mac(g);
}

Result<UploadGrant> UploadSigner::Verify(const std::string& query, int64_t now_seconds) const {
  HM_ASSIGN_OR_RETURN(auto params, ParseQueryString(query));
  const auto one = [&params](const char* key) -> std::string {
    auto it = params.find(key);
    return it == params.end() || params.count(key) != 1 ? std::string() : it->second;
  };
  UploadGrant g;
  g.repo.id = one("repo");
  const std::string type = one("type");
  g.who = one("who");
  g.sha256 = one("oid");
  const std::string sig = one("sig");
  if (!IsRepoTypeName(type) || g.repo.id.empty() || g.sha256.size() != 64 ||
      !ParseNumber(one("size"), &g.size) || !ParseNumber(one("part"), &g.part) ||
      !ParseNumber(one("exp"), &g.expires_at) || sig.empty()) {
    return Status::InvalidArgument("malformed upload URL: ask the LFS batch API for a new one");
  }
  g.repo.type = RepoTypeFromName(type);
  const std::string expected = Mac(g);
  if (sig.size() != expected.size() ||
      CRYPTO_memcmp(sig.data(), expected.data(), sig.size()) != 0) {
    return Status::Unauthenticated("the upload URL's signature does not match")
        .WithHubError(HubError::kNone, 401);
  }
  if (now_seconds > g.expires_at) {
    return Status::Unauthenticated("the upload URL expired: ask the LFS batch API for a new one")
        .WithHubError(HubError::kNone, 401);
  }
  return g;
}

}  // namespace hubmirror
