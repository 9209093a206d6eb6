#include "store/index/retention_db.h"


#include "store/sql/open_db.h"

namespace hubmirror {
namespace {

using sql::Stmt;
using sql::Transaction;

constexpr int kSchemaVersion = 1;
constexpr const char* kSqliteMigrations[] = {
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
static_assert(sizeof(kSqliteMigrations) / sizeof(kSqliteMigrations[0]) == kSchemaVersion);

constexpr const char* kPostgresMigrations[] = {
    R"sql(
CREATE TABLE pins (
  type TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  revision TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (type, name, revision)
);
CREATE TABLE object_access (
  sha256 TEXT COLLATE "C" PRIMARY KEY,
  last_access BIGINT NOT NULL
);
CREATE TABLE repo_access (
  type TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  last_access BIGINT NOT NULL,
  PRIMARY KEY (type, name)
);
)sql",
};


}  // namespace

Result<std::unique_ptr<RetentionDb>> RetentionDb::Open(const std::string& path) {
  sql::DbLocation where;
  where.sqlite_path = path;
  return Open(where);
}

Result<std::unique_ptr<RetentionDb>> RetentionDb::Open(sql::DbLocation where) {
  where.sqlite_pragmas = {"PRAGMA synchronous = NORMAL"};
  if (where.postgres_schema.empty()) where.postgres_schema = "hubmirror_retention";
  static constexpr sql::Schema kSchema{
      "retention database", kSqliteMigrations, kSchemaVersion, kPostgresMigrations,
      sizeof(kPostgresMigrations) / sizeof(kPostgresMigrations[0])};
  HM_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> db, sql::OpenDb(where, kSchema));
  return std::unique_ptr<RetentionDb>(new RetentionDb(std::move(db)));
}

RetentionDb::~RetentionDb() = default;

Status RetentionDb::AddPin(const Pin& pin) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO pins (type, name, revision) VALUES "
                                             "(?1, ?2, ?3) ON CONFLICT DO NOTHING"));
  st.Bind(1, RepoTypeName(pin.repo.type)).Bind(2, pin.repo.id).Bind(3, pin.revision);
  return st.Run();
}

Result<bool> RetentionDb::RemovePin(const Pin& pin) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM pins WHERE type = ?1 AND name = ?2 AND "
                                             "revision = ?3"));
  st.Bind(1, RepoTypeName(pin.repo.type)).Bind(2, pin.repo.id).Bind(3, pin.revision);
  HM_RETURN_IF_ERROR(st.Run());
  return db_->Changes() > 0;
}

Result<std::vector<Pin>> RetentionDb::ListPins() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT type, name, revision FROM pins ORDER BY "
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
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(Stmt object,
                      db_->Prepare("INSERT INTO object_access (sha256, last_access) VALUES (?1, "
                                    "?2) ON CONFLICT (sha256) DO UPDATE SET last_access = "
                                    "CASE WHEN excluded.last_access > "
                                    "object_access.last_access THEN excluded.last_access "
                                    "ELSE object_access.last_access END"));
  HM_ASSIGN_OR_RETURN(Stmt repo,
                      db_->Prepare("INSERT INTO repo_access (type, name, last_access) VALUES "
                                    "(?1, ?2, ?3) ON CONFLICT (type, name) DO UPDATE SET "
                                    "last_access = CASE WHEN excluded.last_access > "
                                    "repo_access.last_access THEN excluded.last_access ELSE "
                                    "repo_access.last_access END"));
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
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT sha256, last_access FROM object_access"));
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
                      db_->Prepare("SELECT type, name, last_access FROM repo_access"));
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
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM object_access WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  return st.Run();
}

}  // namespace hubmirror
