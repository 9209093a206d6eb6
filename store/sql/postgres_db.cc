// sql::Db over a PostgreSQL server (libpq), for several nodes sharing one
// index and catalog. Each Db is one connection whose search_path is the
// database's own schema; a lost connection is re-opened at the next call.
#include "store/sql/postgres_db.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/sql/open_db.h"

namespace hubmirror::sql {
namespace {

constexpr std::string_view kPostgresNowMicros =
    "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)";
constexpr Oid kByteaOid = 17;
constexpr Oid kBoolOid = 16;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using UniqueResult = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using UniqueConn = std::unique_ptr<PGconn, ConnDeleter>;

// Checks a finished command; OK statuses pass.
Status CheckResult(PGconn* conn, const PGresult* res, std::string_view what) {
  if (res == nullptr || PQstatus(conn) != CONNECTION_OK) {
    // The server went away (restart, failover, network): the next call
    // connects again.
    return Status::Unavailable("postgresql: " + std::string(what) + ": connection lost: " +
                               PQerrorMessage(conn));
  }
  ExecStatusType st = PQresultStatus(res);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
    return Status::Ok();
  }
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string msg = PQresultErrorMessage(res);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return PostgresError(state, std::string(what) + ": " + msg);
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

class PostgresDb;

class PostgresStmt final : public StmtImpl {
 public:
  PostgresStmt(PostgresDb* db, std::string sql) : db_(db), sql_(std::move(sql)) {}

  void BindText(int i, std::string_view text) override { Set(i, std::string(text), 0); }
  void BindBlob(int i, const void* data, size_t n) override {
    Set(i, std::string(static_cast<const char*>(data), n), 1);
  }
  void BindInt(int i, int64_t v) override { Set(i, std::to_string(v), 0); }
  Result<bool> Step() override;
  int64_t Int(int col) const override {
    if (PQgetisnull(res_.get(), row_, col)) return 0;
    const char* v = PQgetvalue(res_.get(), row_, col);
    if (PQftype(res_.get(), col) == kBoolOid) return v[0] == 't' ? 1 : 0;
    return std::strtoll(v, nullptr, 10);
  }
  std::string_view Blob(int col) const override {
    if (PQgetisnull(res_.get(), row_, col)) return {};
    const char* v = PQgetvalue(res_.get(), row_, col);
    size_t n = static_cast<size_t>(PQgetlength(res_.get(), row_, col));
    if (PQftype(res_.get(), col) != kByteaOid) return std::string_view(v, n);
    // Text-format bytea is "\x" + hex; decoded once per row and column.
    auto& slot = decoded_.try_emplace(col, -1, std::string()).first->second;
    if (slot.first != row_) {
      slot.first = row_;
      slot.second.clear();
      for (size_t k = 2; k + 1 < n; k += 2) {
        auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        slot.second.push_back(static_cast<char>(nib(v[k]) << 4 | nib(v[k + 1])));
      }
    }
    return slot.second;
  }
  void Reset() override {
    res_.reset();
    row_ = -1;
    values_.clear();
    formats_.clear();
    decoded_.clear();
  }

 private:
  void Set(int i, std::string v, int format) {
    if (static_cast<size_t>(i) > values_.size()) {
      values_.resize(i);
      formats_.resize(i, 0);
    }
    values_[i - 1] = std::move(v);
    formats_[i - 1] = format;
  }

  PostgresDb* db_;
  const std::string sql_;  // translated
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  UniqueResult res_;
  int row_ = -1;
  mutable std::map<int, std::pair<int, std::string>> decoded_;
};

class PostgresDb final : public Db {
 public:
  PostgresDb(std::string conninfo, std::string schema)
      : conninfo_(std::move(conninfo)), schema_(std::move(schema)),
        where_("postgresql schema " + schema_) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& where() const override { return where_; }

  Status Connect() {
    conn_.reset(PQconnectdb(conninfo_.c_str()));
    if (conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
      std::string msg = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      conn_.reset();
      return Status::Unavailable("postgresql: cannot connect (" + msg +
                                 "); check [store] postgres in the config");
    }
    // Warnings (e.g. "schema already exists") are not the server log's.
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    return RunOnce("SET search_path TO " + QuoteIdent(schema_) +
                   "; SET lock_timeout = '20s'; SET client_min_messages = warning");
  }

  // Re-opens a connection the server or network dropped.
  Status EnsureConnected() {
    if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK) return Status::Ok();
    if (in_transaction_) return Status::Unavailable("postgresql: connection lost in a transaction");
    return Connect();
  }

  Result<Stmt> Prepare(const std::string& sql) override {
    HM_RETURN_IF_ERROR(EnsureConnected());
    auto it = stmts_.find(sql);
    if (it != stmts_.end() && !it->second->in_use) return Stmt(it->second.get());
    auto impl = std::make_unique<PostgresStmt>(this, TranslateForPostgres(sql));
    if (it != stmts_.end()) {
      StmtImpl* raw = impl.get();
      return Stmt(raw, std::move(impl));
    }
    return Stmt(stmts_.emplace(sql, std::move(impl)).first->second.get());
  }
  Status Exec(const std::string& sql) override {
    HM_RETURN_IF_ERROR(EnsureConnected());
    return Run(TranslateForPostgres(sql));
  }
  int64_t Changes() override { return changes_; }
  Status Begin() override {
    HM_RETURN_IF_ERROR(EnsureConnected());
    HM_RETURN_IF_ERROR(Run("BEGIN"));
    // From here a lost connection is the transaction's end, never retried.
    in_transaction_ = true;
    // The writers' turn; not had within lock_timeout, the transaction ends
    // here and the caller gets Unavailable.
    Status locked = RunOnce("SELECT pg_advisory_xact_lock(" + std::to_string(kWriterLockClass) +
                            ", " + std::to_string(AdvisoryKey(schema_)) + ")");
    if (!locked.ok()) {
      (void)Rollback();
      return locked;
    }
    return Status::Ok();
  }
  // COMMIT is never retried: a COMMIT lost with its connection may have
  // landed, and one sent on a new connection would report a success it did
  // not make.
  Status Commit() override {
    Status status = RunOnce("COMMIT");
    in_transaction_ = false;
    return status;
  }
  Status Rollback() override {
    Status status = conn_ == nullptr ? Status::Ok() : RunOnce("ROLLBACK");
    in_transaction_ = false;
    return status;
  }

  PGconn* conn() { return conn_.get(); }
  void set_changes(int64_t n) { changes_ = n; }

  // Runs parameterless SQL (several statements allowed); outside a
  // transaction once more on a new connection when the old one was lost.
  Status Run(const std::string& sql) {
    Status status = RunOnce(sql);
    if (!status.ok() && ReconnectAfterLoss()) status = RunOnce(sql);
    return status;
  }
  Status RunOnce(const std::string& sql) {
    UniqueResult res(PQexec(conn_.get(), sql.c_str()));
    return CheckResult(conn_.get(), res.get(), sql.substr(0, 60));
  }

  // After a statement failed: when it failed because the connection was
  // lost (the server restarted, a failover, a network cut) and no
  // transaction was open, connects again and says so, and the statement is
  // run once more. Outside transactions the store only runs statements that
  // may run twice (upserts, deletes, reads). Inside a transaction the loss
  // is the caller's error: the transaction is gone.
  bool ReconnectAfterLoss() {
    if (conn_ == nullptr || PQstatus(conn_.get()) == CONNECTION_OK || in_transaction_) {
      return false;
    }
    return Connect().ok();
  }

 private:
  const std::string conninfo_;
  const std::string schema_;
  const std::string where_;
  UniqueConn conn_;
  bool in_transaction_ = false;
  int64_t changes_ = 0;
  std::map<std::string, std::unique_ptr<PostgresStmt>> stmts_;
};

Result<bool> PostgresStmt::Step() {
  if (res_ == nullptr) {
    std::vector<const char*> values(values_.size());
    std::vector<int> lengths(values_.size());
    for (size_t i = 0; i < values_.size(); ++i) {
      if (values_[i]) {
        values[i] = values_[i]->data();
        lengths[i] = static_cast<int>(values_[i]->size());
      }
    }
    auto run = [&] {
      res_.reset(PQexecParams(db_->conn(), sql_.c_str(), static_cast<int>(values.size()),
                              nullptr, values.data(), lengths.data(), formats_.data(), 0));
      return CheckResult(db_->conn(), res_.get(), sql_.substr(0, 60));
    };
    Status status = run();
    if (!status.ok() && db_->ReconnectAfterLoss()) status = run();
    HM_RETURN_IF_ERROR(status);
    const char* changed = PQcmdTuples(res_.get());
    if (changed != nullptr && *changed != '\0') db_->set_changes(std::atoll(changed));
    row_ = -1;
  }
  if (row_ + 1 < PQntuples(res_.get())) {
    ++row_;
    return true;
  }
  return false;
}

Status Migrate(PostgresDb* db, const std::string& schema, const Schema& steps) {
  // One transaction under the writers' lock: nodes starting together migrate once.
  sql::Transaction txn(db);
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_RETURN_IF_ERROR(db->Run("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema) +
                             "; CREATE TABLE IF NOT EXISTS schema_version "
                             "(version BIGINT NOT NULL)"));
  HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare("SELECT version FROM schema_version"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  int version = row ? static_cast<int>(st.Int(0)) : 0;
  if (!row) HM_RETURN_IF_ERROR(db->Run("INSERT INTO schema_version (version) VALUES (0)"));
  if (version > steps.postgres_count) {
    return Status::FailedPrecondition(std::string(steps.name) + " (" + db->where() +
                                      "): schema version " + std::to_string(version) +
                                      " is newer than supported (" +
                                      std::to_string(steps.postgres_count) + ")");
  }
  for (; version < steps.postgres_count; ++version) {
    HM_RETURN_IF_ERROR(db->Run(steps.postgres_steps[version]));
  }
  HM_RETURN_IF_ERROR(
      db->Run("UPDATE schema_version SET version = " + std::to_string(version)));
  return txn.Commit();
}

}  // namespace

std::string TranslateForPostgres(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next_param = 1;
  bool in_literal = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') in_literal = !in_literal;
    if (in_literal) {
      out += c;
      continue;
    }
    if (c == '?') {
      size_t j = i + 1;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
      out += '$';
      out += j > i + 1 ? std::string(sql.substr(i + 1, j - i - 1)) : std::to_string(next_param++);
      i = j - 1;
      continue;
    }
    if (sql.substr(i, std::string_view(kNowMicros).size()) == kNowMicros) {
      out += kPostgresNowMicros;
      i += std::string_view(kNowMicros).size() - 1;
      continue;
    }
    out += c;
  }
  return out;
}

Status PostgresError(const char* sqlstate, std::string message) {
  std::string msg = "postgresql: " + message;
  std::string_view s = sqlstate != nullptr ? sqlstate : "";
  std::string_view cls = s.substr(0, 2);
  if (cls == "08" || s == "40001" || s == "40P01" || s == "55P03" || s == "57P01" ||
      s == "57P03" || (cls == "53" && s != "53100")) {
    return Status::Unavailable(std::move(msg));
  }
  if (s == "53100") return Status::ResourceExhausted(std::move(msg));
  if (cls == "23" || cls == "22") return Status::InvalidArgument(std::move(msg));
  if (cls == "42" && s == "42501") return Status::PermissionDenied(std::move(msg));
  if (cls == "XX") return Status::DataLoss(std::move(msg));
  return Status::Internal(std::move(msg));
}

int32_t AdvisoryKey(std::string_view name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<int32_t>(h & 0x7fffffff);
}

Result<std::unique_ptr<Db>> OpenPostgresDb(const DbLocation& location, const Schema& schema) {
  for (char c : location.postgres_schema) {
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_') {
      return Status::InvalidArgument("postgresql schema name '" + location.postgres_schema +
                                     "': use lower-case letters, digits and _");
    }
  }
  auto db = std::make_unique<PostgresDb>(location.postgres, location.postgres_schema);
  HM_RETURN_IF_ERROR(db->Connect());
  HM_RETURN_IF_ERROR(Migrate(db.get(), location.postgres_schema, schema));
  return std::unique_ptr<Db>(std::move(db));
}

}  // namespace hubmirror::sql
