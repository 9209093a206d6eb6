// sql::Db over an embedded SQLite file (WAL, 5 s busy timeout).
#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>

#include "store/sql/open_db.h"
#include "store/sqlite_stmt.h"

namespace hubmirror::sql {
namespace {

class SqliteStmt final : public StmtImpl {
 public:
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStmt() override { sqlite3_finalize(stmt_); }

  void BindText(int i, std::string_view text) override {
    if (rc_ == SQLITE_OK) {
      rc_ =
          sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
  }
  void BindBlob(int i, const void* data, size_t n) override {
    if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_bind_blob(stmt_, i, data, static_cast<int>(n), SQLITE_TRANSIENT);
    }
  }
  void BindInt(int i, int64_t v) override {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
  }
  Result<bool> Step() override {
    if (rc_ != SQLITE_OK) return sqlite::SqliteError(db_, rc_, "bind");
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite::SqliteError(db_, rc, "step");
  }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  std::string_view Blob(int col) const override {
    const void* p = sqlite3_column_blob(stmt_, col);
    if (p == nullptr) return {};
    return std::string_view(static_cast<const char*>(p),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    rc_ = SQLITE_OK;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;  // owned
  int rc_ = SQLITE_OK;  // first bind error, reported by Step()
};

class SqliteDb final : public Db {
 public:
  SqliteDb(sqlite::UniqueDb db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
  ~SqliteDb() override {
    stmts_.clear();  // finalized before the connection closes
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& where() const override { return path_; }

  Result<Stmt> Prepare(const std::string& sql) override {
    auto it = stmts_.find(sql);
    if (it != stmts_.end() && !it->second->in_use) return Stmt(it->second.get());
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite::SqliteError(db_.get(), rc, "prepare");
    auto impl = std::make_unique<SqliteStmt>(db_.get(), stmt);
    if (it != stmts_.end()) {
      StmtImpl* raw = impl.get();
      return Stmt(raw, std::move(impl));
    }
    return Stmt(stmts_.emplace(sql, std::move(impl)).first->second.get());
  }
  Status Exec(const std::string& sql) override { return sqlite::Exec(db_.get(), sql.c_str()); }
  int64_t Changes() override { return sqlite3_changes64(db_.get()); }
  // IMMEDIATE takes the write lock up front, so a busy database fails here
  // (after busy_timeout) instead of midway through.
  Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return Exec("COMMIT"); }
  Status Rollback() override { return Exec("ROLLBACK"); }

 private:
  sqlite::UniqueDb db_;
  const std::string path_;
  std::map<std::string, std::unique_ptr<SqliteStmt>> stmts_;
};

}  // namespace

Result<std::unique_ptr<Db>> OpenSqliteDb(const DbLocation& location, const Schema& schema) {
  std::vector<const char*> pragmas;
  for (const std::string& p : location.sqlite_pragmas) pragmas.push_back(p.c_str());
  sqlite3* raw = nullptr;
  const std::string& path = location.sqlite_path;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // sqlite3_open_v2 hands out a handle even on failure; it must be closed.
  sqlite::UniqueDb db(raw);
  if (rc != SQLITE_OK) return sqlite::SqliteError(db.get(), rc, "open " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);
  HM_RETURN_IF_ERROR(sqlite::Exec(db.get(), "PRAGMA journal_mode = WAL"));
  for (const char* pragma : pragmas) HM_RETURN_IF_ERROR(sqlite::Exec(db.get(), pragma));
  HM_RETURN_IF_ERROR(
      sqlite::Migrate(db.get(), schema.sqlite_steps, schema.sqlite_count, schema.name));
  return std::unique_ptr<Db>(new SqliteDb(std::move(db), path));
}

}  // namespace hubmirror::sql
