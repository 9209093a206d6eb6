// UploadSigner: self-authenticating URLs for LFS uploads. The LFS clients
// PUT bytes to the `href` of a batch answer with no Authorization header,
// so the URL itself must say who may upload what until when: it names the
// repo, the object (sha256 and size), the part (0 = the whole object) and
// an expiry, and carries an HMAC-SHA256 of all of them under the mirror's
// secret key (the one its Xet tokens use). Nothing is kept per upload.
// Thread-safe (immutable).
#pragma once

#include <cstdint>
#include <string>

#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct UploadGrant {
  RepoKey repo;
  std::string who;     // the token name (audit)
  std::string sha256;  // the object
  uint64_t size = 0;
  int part = 0;        // 1..N for a part of a multipart upload, 0 otherwise
  int64_t expires_at = 0;  // unix seconds
};

class UploadSigner {
 public:
  explicit UploadSigner(std::string key) : key_(std::move(key)) {}

  // The query string ("repo=..&type=..&who=..&oid=..&size=..&part=..&exp=..&sig=..").
  std::string Sign(const UploadGrant& grant) const;
  // The grant of a query this signer made; Unauthenticated (401) when the
  // signature does not match, InvalidArgument for a malformed query,
  // Unauthenticated once expired (`now_seconds` past expires_at).
  Result<UploadGrant> Verify(const std::string& query, int64_t now_seconds) const;

 private:
  std::string Mac(const UploadGrant& grant) const;
  const std::string key_;
};

}  // namespace hubmirror
