// Internal to the store: thin RAII wrappers over the SQLite C API, used by
// the store's databases (index, catalogs). Not part of the store's public
// surface; nothing outside store/ includes it.
//
// Every SQLite result code is translated to a Status here (habit: translate
// foreign errors once, at the boundary). Values are always bound, never
// spliced into SQL text.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "store/status.h"

namespace hubmirror::sqlite {

inline Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "index: " + std::string(what) + ": " +
                    (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    case SQLITE_FULL:
      return Status::ResourceExhausted(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::DataLoss(std::move(msg));
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(msg));
    case SQLITE_CANTOPEN:
      return Status::FailedPrecondition(std::move(msg));
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Status::InvalidArgument(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

// A prepared statement; values are bound, never spliced into the SQL.
class Stmt {
 public:
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept
      : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), rc_(o.rc_), cached_(o.cached_) {}
  ~Stmt() {
    if (!cached_) {
      sqlite3_finalize(stmt_);
    } else if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  static Result<Stmt> Prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, "prepare");
    return Stmt(db, stmt);
  }

  // Binds are 1-based, like sqlite3_bind_*. Text is copied (SQLITE_TRANSIENT)
  // so temporaries are safe.
  Stmt& Bind(int i, std::string_view text) {
    if (rc_ == SQLITE_OK) {
      rc_ =
          sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    return *this;
  }
  Stmt& BindBlob(int i, const void* data, size_t n) {
    if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_bind_blob(stmt_, i, data, static_cast<int>(n), SQLITE_TRANSIENT);
    }
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }

  // Makes the statement runnable again with fresh bindings (for loops that
  // insert many rows with one prepared statement).
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    rc_ = SQLITE_OK;
  }

  // True when a row is available, false when done.
  Result<bool> Step() {
    if (rc_ != SQLITE_OK) return SqliteError(db_, rc_, "bind");
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, rc, "step");
  }
  Status Run() {
    HM_ASSIGN_OR_RETURN(bool row, Step());
    (void)row;
    return Status::Ok();
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  // The column's bytes (a BLOB, or TEXT as stored); empty for NULL.
  std::string_view Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    if (p == nullptr) return {};
    return std::string_view(static_cast<const char*>(p),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  friend class StmtCache;
  Stmt(sqlite3* db, sqlite3_stmt* stmt, bool cached = false)
      : db_(db), stmt_(stmt), cached_(cached) {}

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int rc_ = SQLITE_OK;  // first bind error, reported by Step()
  // Owned by a StmtCache: reset, not finalized, when this Stmt goes.
  bool cached_ = false;
};

// Prepared statements kept by SQL text, so that a query run on every request
// is parsed once. A Stmt from Prepare() hands its statement back (reset,
// bindings cleared) when it goes; the same SQL must not be used twice at
// once. Not thread-safe: used under its owner's lock. The connection must be
// closed with sqlite3_close_v2 (which waits for these to be finalized).
class StmtCache {
 public:
  StmtCache() = default;
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  ~StmtCache() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
  }

  Result<Stmt> Prepare(sqlite3* db, const std::string& sql) {
    auto it = stmts_.find(sql);
    if (it == stmts_.end()) {
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return SqliteError(db, rc, "prepare");
      it = stmts_.emplace(sql, stmt).first;
    }
    return Stmt(db, it->second, /*cached=*/true);
  }

 private:
  std::map<std::string, sqlite3_stmt*> stmts_;
};

inline Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return SqliteError(nullptr, rc, std::string(sql).substr(0, 40) + "...: " + msg);
}

// Rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (active_) (void)Exec(db_, "ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // IMMEDIATE takes the write lock up front, so a busy database fails here
  // (after busy_timeout) instead of midway through.
  Status Begin() {
    HM_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    active_ = true;
    return Status::Ok();
  }
  Status Commit() {
    HM_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
    active_ = false;
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  bool active_ = false;
};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using UniqueDb = std::unique_ptr<sqlite3, DbCloser>;

// Brings the schema from PRAGMA user_version up to `count` by running
// migrations[version..count) one transaction each. A database newer than
// `count` is refused: `what` names it in the error.
inline Status Migrate(sqlite3* db, const char* const* migrations, int count,
                      std::string_view what) {
  int version = 0;
  {
    HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, "PRAGMA user_version"));
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) version = static_cast<int>(st.Int(0));
  }
  if (version > count) {
    return Status::FailedPrecondition(std::string(what) + ": database schema version " +
                                      std::to_string(version) + " is newer than supported (" +
                                      std::to_string(count) + ")");
  }
  while (version < count) {
    Transaction txn(db);
    HM_RETURN_IF_ERROR(txn.Begin());
    HM_RETURN_IF_ERROR(Exec(db, migrations[version]));
    ++version;
    // PRAGMA takes no bound parameters; the value is our own integer.
    HM_RETURN_IF_ERROR(Exec(db, ("PRAGMA user_version = " + std::to_string(version)).c_str()));
    HM_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

// Opens (creating) the database at `path` in WAL mode with a 5 s busy
// timeout, runs `pragmas` (e.g. the synchronous level), then Migrate().
inline Result<UniqueDb> OpenWalDatabase(const std::string& path,
                                        std::initializer_list<const char*> pragmas,
                                        const char* const* migrations, int count,
                                        std::string_view what) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // sqlite3_open_v2 hands out a handle even on failure; it must be closed.
  UniqueDb db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "open " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);
  HM_RETURN_IF_ERROR(Exec(db.get(), "PRAGMA journal_mode = WAL"));
  for (const char* pragma : pragmas) HM_RETURN_IF_ERROR(Exec(db.get(), pragma));
  HM_RETURN_IF_ERROR(Migrate(db.get(), migrations, count, what));
  return db;
}

}  // namespace hubmirror::sqlite
