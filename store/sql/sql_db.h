// sql::Db: the seam between the store's databases (index, xorb catalog,
// retention) and the engine under them: the embedded SQLite file of a single
// node (sqlite_db.cc, the default) or a PostgreSQL server shared by several
// nodes (postgres_db.cc); open_db.h opens either.
//
// The store's SQL is written once, in the subset both engines read the same
// way: bound parameters as `?` or `?N`, upserts as `INSERT ... ON CONFLICT
// (...) DO UPDATE/NOTHING` with target columns qualified by their table,
// `RETURNING`, COALESCE, CASE, and integer flags compared (`is_lfs <> 0`),
// never used as booleans. The PostgreSQL connection rewrites the two
// spellings that differ (parameter markers and the clock, kNowMicros) when
// it first sees a statement. Schemas differ (types, WITHOUT ROWID, byte-wise
// text collation) and are given per dialect. CTest store_on_postgres runs the
// store's tests on PostgreSQL to hold the SQL to this.
//
// Write transactions are serialized per database on both engines: SQLite
// by BEGIN IMMEDIATE, PostgreSQL by a transaction-scoped advisory lock taken
// in Begin(). Code written for one writer at a time stays correct when
// several nodes write.
//
// Thread safety: a Db is one connection and is NOT thread-safe; its owner
// serializes calls (every database class here holds a mutex). A Stmt is used
// by one thread while its owner's lock is held. Statements are cached by
// text; preparing a text whose statement is in use gives a fresh one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "store/status.h"

namespace hubmirror::sql {

enum class Dialect { kSqlite, kPostgres };

// Microseconds since the epoch by the database's clock, for informational
// timestamps (both engines: PostgreSQL's connection rewrites it).
constexpr const char* kNowMicros =
    "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)";

// One prepared statement of some engine; owned by its Db's cache.
class StmtImpl {
 public:
  virtual ~StmtImpl() = default;
  // Handed out by Prepare and not yet reset: a second Prepare of the same
  // SQL meanwhile gets a statement of its own.
  bool in_use = false;
  virtual void BindText(int i, std::string_view text) = 0;
  virtual void BindBlob(int i, const void* data, size_t n) = 0;
  virtual void BindInt(int i, int64_t v) = 0;
  // True when a row is available, false when done.
  virtual Result<bool> Step() = 0;
  virtual int64_t Int(int col) const = 0;
  // The column's bytes (BLOB/BYTEA, or TEXT as stored); empty for NULL.
  virtual std::string_view Blob(int col) const = 0;
  // Ready for fresh bindings (and handed back to the cache).
  virtual void Reset() = 0;
};

// A handle on a cached statement (reset, bindings cleared, when it goes),
// or on one of its own when the cached one was in use. Binds are 1-based.
class Stmt {
 public:
  explicit Stmt(StmtImpl* impl, std::unique_ptr<StmtImpl> owned = nullptr)
      : impl_(impl), owned_(std::move(owned)) {
    impl_->in_use = true;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)), owned_(std::move(o.owned_)) {}
  ~Stmt() {
    if (impl_ != nullptr) {
      impl_->Reset();
      impl_->in_use = false;
    }
  }

  Stmt& Bind(int i, std::string_view text) {
    impl_->BindText(i, text);
    return *this;
  }
  Stmt& BindBlob(int i, const void* data, size_t n) {
    impl_->BindBlob(i, data, n);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    impl_->BindInt(i, v);
    return *this;
  }
  // Makes the statement runnable again with fresh bindings.
  void Reset() { impl_->Reset(); }
  Result<bool> Step() { return impl_->Step(); }
  Status Run() {
    HM_ASSIGN_OR_RETURN(bool row, Step());
    (void)row;
    return Status::Ok();
  }
  int64_t Int(int col) const { return impl_->Int(col); }
  std::string_view Blob(int col) const { return impl_->Blob(col); }
  std::string Text(int col) const { return std::string(impl_->Blob(col)); }

 private:
  StmtImpl* impl_;
  std::unique_ptr<StmtImpl> owned_;
};

class Db {
 public:
  virtual ~Db() = default;
  virtual Dialect dialect() const = 0;
  // A statement for `sql`, prepared once per connection and cached.
  virtual Result<Stmt> Prepare(const std::string& sql) = 0;
  // Runs one or more statements with no parameters (schema, pragmas).
  virtual Status Exec(const std::string& sql) = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE run on this connection.
  virtual int64_t Changes() = 0;
  // A write transaction: the database's writers queue here, so a failure
  // to get the turn comes now (Unavailable), not midway through.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  // Where the data lives, for messages ("index.sqlite", "postgresql://h/db").
  virtual const std::string& where() const = 0;
};

// Rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db* db) : db_(db) {}
  ~Transaction() {
    if (active_) (void)db_->Rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin() {
    HM_RETURN_IF_ERROR(db_->Begin());
    active_ = true;
    return Status::Ok();
  }
  Status Commit() {
    HM_RETURN_IF_ERROR(db_->Commit());
    active_ = false;
    return Status::Ok();
  }

 private:
  Db* db_;
  bool active_ = false;
};

// A database's schema as a list of steps, per dialect; step k brings
// version k to k+1. Both lists end at the same schema.
struct Schema {
  const char* name;  // "index", "xorb catalog": names the database in errors
  const char* const* sqlite_steps;
  int sqlite_count;
  const char* const* postgres_steps;
  int postgres_count;
};

}  // namespace hubmirror::sql
