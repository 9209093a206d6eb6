// ApiDocumentCache: the upstream's answers to read-only API questions the
// index does not model (a repo's refs with their kinds, its commit history,
// listings of repos), kept so that they can be answered again while the
// upstream is down or the mirror is offline. In its own SQLite database
// (root/api-cache.sqlite, WAL) beside the index: it is a cache, and losing
// it loses no stored byte (offline answers then come from the index alone).
//
//   documents  key -> body, next page, total count, when it was fetched
//
// Keys are the caller's (the route and its canonical query). The table is
// bounded: past kMaxDocuments rows the least recently fetched are dropped.
// Thread-safe: one connection, serialized by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/status.h"

struct sqlite3;

namespace hubmirror {

struct CachedDocument {
  std::string body;         // JSON, as it will be served
  std::string next;         // the next page's path and query on this mirror, or ""
  int64_t total_count = -1;  // X-Total-Count, or -1
  int64_t fetched_at_micros = 0;
};

class ApiDocumentCache {
 public:
  static constexpr int64_t kMaxDocuments = 20'000;

  // `max_documents` bounds the table (it may exceed it by a trim interval
  // of at most 256 puts).
  static Result<std::unique_ptr<ApiDocumentCache>> Open(const std::string& path,
                                                        int64_t max_documents = kMaxDocuments);
  ~ApiDocumentCache();
  ApiDocumentCache(const ApiDocumentCache&) = delete;
  ApiDocumentCache& operator=(const ApiDocumentCache&) = delete;

  Status Put(const std::string& key, const CachedDocument& document);
  Result<std::optional<CachedDocument>> Get(const std::string& key);

 private:
  ApiDocumentCache(sqlite3* db, int64_t max_documents)
      : db_(db), max_documents_(max_documents) {}
  std::mutex mu_;
  sqlite3* db_;  // owned; guarded by mu_
  const int64_t max_documents_;
  int64_t puts_since_trim_ = 0;  // guarded by mu_
};

}  // namespace hubmirror
