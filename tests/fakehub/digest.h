// Digests the fake hub needs to give its fixtures Hub-like identities.
//
// These are an independent implementation (OpenSSL EVP) on purpose: the fake
// upstream must not share hashing code with the mirror it is testing.
#pragma once

#include <cstddef>
#include <string>
#include <optional>
#include <string_view>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

// Lower-case hex SHA-256 (64 characters); the Hub's LFS oid.
std::string Sha256Hex(std::string_view data);
// Lower-case hex SHA-1 (40 characters).
std::string Sha1Hex(std::string_view data);
// Git blob id: sha1("blob <size>\0" + data); the Hub's ETag of regular files.
std::string GitBlobSha1Hex(std::string_view data);
struct FileDigests {
  std::string sha256;
  std::string git_sha1;  // git blob id
};
// Both digests of `bytes`, read once in large chunks; nullopt on a read error.
std::optional<FileDigests> DigestContent(const BlobBytes& bytes);
// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// `n` bytes from the OpenSSL CSPRNG (aborts if it is not seeded).
std::string RandomBytes(size_t n);
// Constant-time comparison of two strings (false when lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace fakehub
