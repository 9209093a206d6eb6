#include "store/index/retention_db.h"

#include <sqlite3.h>

#include "store/sqlite_stmt.h"

namespace hubmirror {
namespace {

using sqlite::Stmt;
using sqlite::Transaction;

constexpr int kSchemaVersion = 1;
constexpr const char* kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE pins (
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  revision TEXT NOT NULL,
  PRIMARY KEY (type, name, revision)
) WITHOUT ROWID;
CREATE TABLE object_access (
  sha256 TEXT PRIMARY KEY,
  last_access INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE repo_access (
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  last_access INTEGER NOT NULL,
  PRIMARY KEY (type, name)
) WITHOUT ROWID;
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);


}  // namespace

Result<std::unique_ptr<RetentionDb>> RetentionDb::Open(const std::string& path) {
  HM_ASSIGN_OR_RETURN(sqlite::UniqueDb db,
                      sqlite::OpenWalDatabase(path, {"PRAGMA synchronous = NORMAL"}, kMigrations,
                                              kSchemaVersion, "retention database"));
  return std::unique_ptr<RetentionDb>(new RetentionDb(db.release()));
}

RetentionDb::~RetentionDb() { sqlite3_close_v2(db_); }

Status RetentionDb::AddPin(const Pin& pin) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "INSERT OR IGNORE INTO pins (type, name, revision) "
                                             "VALUES (?1, ?2, ?3)"));
  st.Bind(1, RepoTypeName(pin.repo.type)).Bind(2, pin.repo.id).Bind(3, pin.revision);
  return st.Run();
}

Result<bool> RetentionDb::RemovePin(const Pin& pin) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "DELETE FROM pins WHERE type = ?1 AND name = ?2 AND "
                                             "revision = ?3"));
  st.Bind(1, RepoTypeName(pin.repo.type)).Bind(2, pin.repo.id).Bind(3, pin.revision);
  HM_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(db_) > 0;
}

Result<std::vector<Pin>> RetentionDb::ListPins() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT type, name, revision FROM pins ORDER BY "
                                             "type DESC, name, revision"));
  std::vector<Pin> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Pin pin;
    pin.repo.type = RepoTypeFromName(st.Text(0));
    pin.repo.id = st.Text(1);
    pin.revision = st.Text(2);
    out.push_back(std::move(pin));
  }
  return out;
}

Status RetentionDb::RecordAccess(const std::vector<AccessEvent>& events) {
  if (events.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(Stmt object,
                      Stmt::Prepare(db_,
                                    "INSERT INTO object_access (sha256, last_access) VALUES (?1, "
                                    "?2) ON CONFLICT (sha256) DO UPDATE SET last_access = "
                                    "MAX(last_access, excluded.last_access)"));
  HM_ASSIGN_OR_RETURN(Stmt repo,
                      Stmt::Prepare(db_,
                                    "INSERT INTO repo_access (type, name, last_access) VALUES "
                                    "(?1, ?2, ?3) ON CONFLICT (type, name) DO UPDATE SET "
                                    "last_access = MAX(last_access, excluded.last_access)"));
  for (const AccessEvent& e : events) {
    if (!e.sha256.empty()) {
      object.Reset();
      object.Bind(1, e.sha256).Bind(2, e.at_micros);
      HM_RETURN_IF_ERROR(object.Run());
    }
    if (!e.repo.id.empty()) {
      repo.Reset();
      repo.Bind(1, RepoTypeName(e.repo.type)).Bind(2, e.repo.id).Bind(3, e.at_micros);
      HM_RETURN_IF_ERROR(repo.Run());
    }
  }
  return txn.Commit();
}

Result<std::map<std::string, int64_t>> RetentionDb::ObjectLastAccess() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, "SELECT sha256, last_access FROM object_access"));
  std::map<std::string, int64_t> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out[st.Text(0)] = st.Int(1);
  }
  return out;
}

Result<std::map<std::string, int64_t>> RetentionDb::RepoLastAccess() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st,
                      Stmt::Prepare(db_, "SELECT type, name, last_access FROM repo_access"));
  std::map<std::string, int64_t> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    RepoKey key;
    key.type = RepoTypeFromName(st.Text(0));
    key.id = st.Text(1);
    out[key.ToString()] = st.Int(2);
  }
  return out;
}

Status RetentionDb::ForgetObject(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, "DELETE FROM object_access WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  return st.Run();
}

}  // namespace hubmirror
