// The store tests on the scale-out backends: with HUBMIRROR_TEST_POSTGRES
// set (a libpq connection string; CTest store_on_postgres starts a server),
// databases the tests open go to a PostgreSQL schema of their own instead
// of a SQLite file; with HUBMIRROR_TEST_BUCKET=memory, Xet-native stores keep
// their xorbs in an in-memory bucket with a 1 MiB cache, so that reads go
// through fetches and evictions. Unset: SQLite files and local xorbs.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/objstore/object_storage.h"
#include "store/sql/open_db.h"

namespace hubmirror::testing {

// Where a test database at `sqlite_path` lives: that file, or the same
// PostgreSQL schema every time for the same path (a reopened store sees
// what it wrote).
inline sql::DbLocation TestDb(const std::string& sqlite_path) {
  sql::DbLocation where;
  where.sqlite_path = sqlite_path;
  const char* pg = std::getenv("HUBMIRROR_TEST_POSTGRES");
  if (pg == nullptr || *pg == '\0') return where;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : sqlite_path) h = (h ^ c) * 1099511628211ull;
  char schema[32];
  std::snprintf(schema, sizeof(schema), "t_%016llx", static_cast<unsigned long long>(h));
  where.postgres = pg;
  where.postgres_schema = schema;
  return where;
}

inline bool TestOnPostgres() {
  const char* pg = std::getenv("HUBMIRROR_TEST_POSTGRES");
  return pg != nullptr && *pg != '\0';
}

// A bucket in memory, as S3 behaves (whole objects, ranged reads).
class MemoryObjectStorage final : public ObjectStorage {
 public:
  explicit MemoryObjectStorage(Env* env) : env_(env) {}
  Status PutFile(const std::string& key, const std::string& local_path) override {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, env_->NewRandomAccessFile(local_path));
    HM_ASSIGN_OR_RETURN(uint64_t size, f->Size());
    std::string bytes(size, '\0');
    for (uint64_t off = 0; off < size;) {
      HM_ASSIGN_OR_RETURN(size_t got, f->ReadAt(off, bytes.data() + off, size - off));
      if (got == 0) return Status::DataLoss("short read of " + local_path);
      off += got;
    }
    std::lock_guard<std::mutex> lock(mu_);
    objects_[key] = std::move(bytes);
    ++puts_;
    return Status::Ok();
  }
  Status GetRange(const std::string& key, uint64_t offset, uint64_t n, std::string* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("no object " + key);
    *out = offset < it->second.size() ? it->second.substr(offset, n) : std::string();
    ++gets_;
    return Status::Ok();
  }
  Result<std::optional<uint64_t>> Size(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return std::optional<uint64_t>();
    return std::optional<uint64_t>(it->second.size());
  }
  Status Delete(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(key);
    return Status::Ok();
  }
  const std::string& where() const override { return where_; }

  size_t object_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return objects_.size();
  }
  uint64_t gets() {
    std::lock_guard<std::mutex> lock(mu_);
    return gets_;
  }

 private:
  Env* const env_;
  const std::string where_ = "memory bucket";
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
  uint64_t puts_ = 0;
  uint64_t gets_ = 0;
};

inline bool TestOnBucket() {
  const char* b = std::getenv("HUBMIRROR_TEST_BUCKET");
  return b != nullptr && std::string(b) == "memory";
}

}  // namespace hubmirror::testing
