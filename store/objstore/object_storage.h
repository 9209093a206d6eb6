// ObjectStorage: the seam to a bucket of immutable objects by key (an
// S3-compatible service in production: s3_storage.h). The store keeps
// sealed xorbs there when several nodes share one store (bucket_xorb_files.h).
//
// Contract, as S3 gives it: a PUT is atomic (a reader sees the whole object
// or none; a multipart upload appears only when completed), a key once
// written is never rewritten with other bytes (xorbs are named by id), and a
// deleted key may still be read for a moment by another node.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/status.h"

namespace hubmirror {

class ObjectStorage {
 public:
  virtual ~ObjectStorage() = default;
  // Uploads the local file as `key`, whole or not at all.
  virtual Status PutFile(const std::string& key, const std::string& local_path) = 0;
  // [offset, offset + n) of the object into `out` (shorter at its end).
  // NotFound when there is no such object.
  virtual Status GetRange(const std::string& key, uint64_t offset, uint64_t n,
                          std::string* out) = 0;
  // The object's size; nullopt when there is none.
  virtual Result<std::optional<uint64_t>> Size(const std::string& key) = 0;
  // Removes the object; an absent one counts as removed.
  virtual Status Delete(const std::string& key) = 0;
  // "s3://bucket/prefix at http://host:port", for messages.
  virtual const std::string& where() const = 0;
};

}  // namespace hubmirror
