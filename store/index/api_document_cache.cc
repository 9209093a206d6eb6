#include "store/index/api_document_cache.h"

#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite_stmt.h"

namespace hubmirror {
namespace {

using sqlite::Stmt;

constexpr int kSchemaVersion = 1;
constexpr const char* kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE documents (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  next TEXT NOT NULL,
  total_count INTEGER NOT NULL,
  fetched_at INTEGER NOT NULL
);
CREATE INDEX documents_by_age ON documents (fetched_at);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

// Trimming scans the table; doing it on every Put would make each one O(n).
constexpr int64_t kMaxPutsBetweenTrims = 256;

}  // namespace

Result<std::unique_ptr<ApiDocumentCache>> ApiDocumentCache::Open(const std::string& path,
                                                                 int64_t max_documents) {
  if (max_documents < 1) return Status::InvalidArgument("max_documents must be >= 1");
  HM_ASSIGN_OR_RETURN(sqlite::UniqueDb db,
                      sqlite::OpenWalDatabase(path, {"PRAGMA synchronous = NORMAL"}, kMigrations,
                                              kSchemaVersion, "API document cache"));
  return std::unique_ptr<ApiDocumentCache>(new ApiDocumentCache(db.release(), max_documents));
}

ApiDocumentCache::~ApiDocumentCache() { sqlite3_close_v2(db_); }

Status ApiDocumentCache::Put(const std::string& key, const CachedDocument& document) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "INSERT OR REPLACE INTO documents (key, body, next, "
                                             "total_count, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  st.Bind(1, key)
      .Bind(2, document.body)
      .Bind(3, document.next)
      .Bind(4, document.total_count)
      .Bind(5, document.fetched_at_micros);
  HM_RETURN_IF_ERROR(st.Run());
  if (++puts_since_trim_ < std::min(kMaxPutsBetweenTrims, max_documents_)) return Status::Ok();
  puts_since_trim_ = 0;
  HM_ASSIGN_OR_RETURN(Stmt trim, Stmt::Prepare(db_,
                                               "DELETE FROM documents WHERE key IN (SELECT key "
                                               "FROM documents ORDER BY fetched_at DESC "
                                               "LIMIT -1 OFFSET ?1)"));
  trim.Bind(1, max_documents_);
  return trim.Run();
}

Result<std::optional<CachedDocument>> ApiDocumentCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT body, next, total_count, fetched_at FROM "
                                             "documents WHERE key = ?1"));
  st.Bind(1, key);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<CachedDocument>();
  CachedDocument doc;
  doc.body = st.Text(0);
  doc.next = st.Text(1);
  doc.total_count = st.Int(2);
  doc.fetched_at_micros = st.Int(3);
  return std::optional<CachedDocument>(std::move(doc));
}

}  // namespace hubmirror
