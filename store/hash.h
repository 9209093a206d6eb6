// Streaming digests used for content identity.
//
// Sha256Hasher gives a file's identity in the store (and equals the Hub's LFS
// oid). GitBlobHasher gives the git blob id the Hub uses as the ETag of
// regular files: sha1("blob <size>\0" + bytes), so it needs the size first.
// Both are single-threaded value objects; Finish() may be called once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hubmirror {

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(const char* data, size_t n);
  // Lower-case hex, 64 characters.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class GitBlobHasher {
 public:
  explicit GitBlobHasher(uint64_t size);
  ~GitBlobHasher();
  GitBlobHasher(const GitBlobHasher&) = delete;
  GitBlobHasher& operator=(const GitBlobHasher&) = delete;

  void Update(const char* data, size_t n);
  // Lower-case hex, 40 characters.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);
std::string GitBlobSha1Hex(std::string_view data);
// The id of a git object: sha1("<type> <size>\0" + content), lower-case hex.
std::string GitObjectSha1Hex(std::string_view type, std::string_view content);
// True for exactly `digits` lower-case hex characters.
bool IsLowerHex(std::string_view s, size_t digits);

}  // namespace hubmirror
