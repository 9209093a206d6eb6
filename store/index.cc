#include "store/index.h"

#include <sqlite3.h>

#include <string_view>
#include <utility>

namespace hubmirror {
namespace {

// Bump and append a step to kMigrations to change the schema; a database
// written by a newer version is refused rather than misread.
constexpr int kSchemaVersion = 1;

constexpr const char* kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE repos (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  UNIQUE (type, name)
);
CREATE TABLE refs (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  ref TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  resolved_at INTEGER NOT NULL,
  PRIMARY KEY (repo_id, ref)
) WITHOUT ROWID;
CREATE TABLE commits (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  commit_sha TEXT NOT NULL,
  info_json TEXT NOT NULL DEFAULT '',
  tree_complete INTEGER NOT NULL DEFAULT 0,
  fetched_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, commit_sha)
) WITHOUT ROWID;
CREATE TABLE entries (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  commit_sha TEXT NOT NULL,
  path TEXT NOT NULL,
  parent TEXT NOT NULL,
  is_dir INTEGER NOT NULL,
  size INTEGER NOT NULL,
  oid TEXT NOT NULL,
  is_lfs INTEGER NOT NULL,
  lfs_sha256 TEXT NOT NULL,
  lfs_pointer_size INTEGER NOT NULL,
  last_commit_json TEXT NOT NULL,
  PRIMARY KEY (repo_id, commit_sha, path)
) WITHOUT ROWID;
CREATE INDEX entries_by_parent ON entries (repo_id, commit_sha, parent, path);
CREATE TABLE objects (
  sha256 TEXT PRIMARY KEY,
  git_sha1 TEXT NOT NULL,
  size INTEGER NOT NULL,
  stored_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX objects_by_git_sha1 ON objects (git_sha1);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

// Informational timestamps (fetched_at, stored_at) come from SQLite's clock:
// nothing decides on them, so they need not go through the Env.
constexpr const char* kNowMicrosSql =
    "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)";

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
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
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}
  ~Stmt() { sqlite3_finalize(stmt_); }

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
  Stmt& Bind(int i, int64_t v) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
    return *this;
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
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int rc_ = SQLITE_OK;  // first bind error, reported by Step()
};

Status Exec(sqlite3* db, const char* sql) {
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

const char* RepoTypeName(RepoType t) { return t == RepoType::kDataset ? "dataset" : "model"; }

std::string ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

Status Migrate(sqlite3* db) {
  int version = 0;
  {
    HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, "PRAGMA user_version"));
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) version = static_cast<int>(st.Int(0));
  }
  if (version > kSchemaVersion) {
    return Status::FailedPrecondition("index: database schema version " + std::to_string(version) +
                                      " is newer than supported (" +
                                      std::to_string(kSchemaVersion) + ")");
  }
  while (version < kSchemaVersion) {
    Transaction txn(db);
    HM_RETURN_IF_ERROR(txn.Begin());
    HM_RETURN_IF_ERROR(Exec(db, kMigrations[version]));
    ++version;
    // PRAGMA takes no bound parameters; the value is our own integer.
    HM_RETURN_IF_ERROR(Exec(db, ("PRAGMA user_version = " + std::to_string(version)).c_str()));
    HM_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

constexpr const char* kEntryColumns =
    "path, is_dir, size, oid, is_lfs, lfs_sha256, lfs_pointer_size, last_commit_json";

EntryRecord ReadEntry(const Stmt& st) {
  EntryRecord e;
  e.path = st.Text(0);
  e.is_directory = st.Int(1) != 0;
  e.size = static_cast<uint64_t>(st.Int(2));
  e.oid = st.Text(3);
  e.is_lfs = st.Int(4) != 0;
  e.lfs_sha256 = st.Text(5);
  e.lfs_pointer_size = static_cast<uint64_t>(st.Int(6));
  e.last_commit_json = st.Text(7);
  return e;
}

ObjectRecord ReadObject(const Stmt& st) {
  ObjectRecord o;
  o.sha256 = st.Text(0);
  o.git_sha1 = st.Text(1);
  o.size = static_cast<uint64_t>(st.Int(2));
  return o;
}

// Repo ids live in their own table so that the big tables key on an integer.
Result<std::optional<int64_t>> LookupRepoId(sqlite3* db, const RepoKey& repo) {
  HM_ASSIGN_OR_RETURN(Stmt st,
                      Stmt::Prepare(db, "SELECT id FROM repos WHERE type = ?1 AND name = ?2"));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.Int(0));
}

Result<int64_t> EnsureRepoId(sqlite3* db, const RepoKey& repo) {
  {
    HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db,
                                               "INSERT INTO repos (type, name) VALUES (?1, ?2) "
                                               "ON CONFLICT (type, name) DO NOTHING"));
    st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
    HM_RETURN_IF_ERROR(st.Run());
  }
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, LookupRepoId(db, repo));
  if (!id) return Status::Internal("index: repo row vanished after insert");
  return *id;
}

}  // namespace

Result<std::unique_ptr<Index>> Index::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // sqlite3_open_v2 hands out a handle even on failure; it must be closed.
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "open " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);
  HM_RETURN_IF_ERROR(Exec(db.get(), "PRAGMA journal_mode = WAL"));
  HM_RETURN_IF_ERROR(Exec(db.get(), "PRAGMA synchronous = NORMAL"));
  HM_RETURN_IF_ERROR(Exec(db.get(), "PRAGMA foreign_keys = ON"));
  HM_RETURN_IF_ERROR(Migrate(db.get()));
  return std::unique_ptr<Index>(new Index(db.release()));
}

Index::Index(sqlite3* db) : db_(db) {}

Index::~Index() { sqlite3_close_v2(db_); }

Status Index::PutRef(const RepoKey& repo, const std::string& ref, const std::string& commit,
                     int64_t resolved_at_micros) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_, repo));
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "INSERT INTO refs (repo_id, ref, commit_sha, "
                                             "resolved_at) VALUES (?1, ?2, ?3, ?4) "
                                             "ON CONFLICT (repo_id, ref) DO UPDATE SET "
                                             "commit_sha = excluded.commit_sha, "
                                             "resolved_at = excluded.resolved_at"));
  st.Bind(1, repo_id).Bind(2, ref).Bind(3, commit).Bind(4, resolved_at_micros);
  return st.Run();
}

Result<std::optional<RefRecord>> Index::GetRef(const RepoKey& repo, const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT r.commit_sha, r.resolved_at FROM refs r "
                                             "JOIN repos p ON p.id = r.repo_id "
                                             "WHERE p.type = ?1 AND p.name = ?2 AND r.ref = ?3"));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id).Bind(3, ref);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<RefRecord>();
  RefRecord r;
  r.commit = st.Text(0);
  r.resolved_at_micros = st.Int(1);
  return std::optional<RefRecord>(std::move(r));
}

Result<bool> Index::HasRepo(const RepoKey& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, LookupRepoId(db_, repo));
  return id.has_value();
}

Status Index::PutCommit(const RepoKey& repo, const std::string& commit,
                        const std::string& info_json) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_, repo));
  std::string sql =
      "INSERT INTO commits (repo_id, commit_sha, info_json, tree_complete, fetched_at) "
      "VALUES (?1, ?2, ?3, 0, " +
      std::string(kNowMicrosSql) +
      ") ON CONFLICT (repo_id, commit_sha) DO UPDATE SET "
      "info_json = excluded.info_json, fetched_at = excluded.fetched_at";
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, sql));
  st.Bind(1, repo_id).Bind(2, commit).Bind(3, info_json);
  return st.Run();
}

Result<std::optional<CommitRecord>> Index::GetCommit(const RepoKey& repo,
                                                     const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT c.info_json, c.tree_complete FROM commits c "
                                             "JOIN repos p ON p.id = c.repo_id "
                                             "WHERE p.type = ?1 AND p.name = ?2 "
                                             "AND c.commit_sha = ?3"));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id).Bind(3, commit);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<CommitRecord>();
  CommitRecord c;
  c.info_json = st.Text(0);
  c.tree_complete = st.Int(1) != 0;
  return std::optional<CommitRecord>(std::move(c));
}

Status Index::PutEntries(const RepoKey& repo, const std::string& commit,
                         const std::vector<EntryRecord>& entries, bool tree_complete) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_, repo));
  for (const EntryRecord& e : entries) {
    // A listing without lastCommit must not erase one learned earlier.
    HM_ASSIGN_OR_RETURN(
        Stmt st,
        Stmt::Prepare(db_,
                      "INSERT INTO entries (repo_id, commit_sha, path, parent, is_dir, size, oid, "
                      "is_lfs, lfs_sha256, lfs_pointer_size, last_commit_json) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                      "ON CONFLICT (repo_id, commit_sha, path) DO UPDATE SET "
                      "parent = excluded.parent, is_dir = excluded.is_dir, "
                      "size = excluded.size, oid = excluded.oid, is_lfs = excluded.is_lfs, "
                      "lfs_sha256 = excluded.lfs_sha256, "
                      "lfs_pointer_size = excluded.lfs_pointer_size, "
                      "last_commit_json = CASE WHEN excluded.last_commit_json = '' "
                      "THEN entries.last_commit_json ELSE excluded.last_commit_json END"));
    st.Bind(1, repo_id)
        .Bind(2, commit)
        .Bind(3, e.path)
        .Bind(4, ParentOf(e.path))
        .Bind(5, int64_t{e.is_directory})
        .Bind(6, static_cast<int64_t>(e.size))
        .Bind(7, e.oid)
        .Bind(8, int64_t{e.is_lfs})
        .Bind(9, e.lfs_sha256)
        .Bind(10, static_cast<int64_t>(e.lfs_pointer_size))
        .Bind(11, e.last_commit_json);
    HM_RETURN_IF_ERROR(st.Run());
  }
  if (tree_complete) {
    // The commit row may not exist yet (tree listed before repo info).
    HM_ASSIGN_OR_RETURN(Stmt st,
                        Stmt::Prepare(db_,
                                      "INSERT INTO commits (repo_id, commit_sha, tree_complete) "
                                      "VALUES (?1, ?2, 1) ON CONFLICT (repo_id, commit_sha) "
                                      "DO UPDATE SET tree_complete = 1"));
    st.Bind(1, repo_id).Bind(2, commit);
    HM_RETURN_IF_ERROR(st.Run());
  }
  return txn.Commit();
}

Result<std::optional<EntryRecord>> Index::GetEntry(const RepoKey& repo, const std::string& commit,
                                                   const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> repo_id, LookupRepoId(db_, repo));
  if (!repo_id) return std::optional<EntryRecord>();
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kEntryColumns +
                                                      " FROM entries WHERE repo_id = ?1 AND "
                                                      "commit_sha = ?2 AND path = ?3"));
  st.Bind(1, *repo_id).Bind(2, commit).Bind(3, path);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<EntryRecord>();
  return std::optional<EntryRecord>(ReadEntry(st));
}

Result<std::vector<EntryRecord>> Index::ListEntries(const RepoKey& repo, const std::string& commit,
                                                    const std::string& dir, bool recursive) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EntryRecord> out;
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> repo_id, LookupRepoId(db_, repo));
  if (!repo_id) return out;
  std::string sql = std::string("SELECT ") + kEntryColumns +
                    " FROM entries WHERE repo_id = ?1 AND commit_sha = ?2";
  if (!recursive) {
    sql += " AND parent = ?3";
  } else if (!dir.empty()) {
    // Everything strictly under "dir/": a range on the primary key, with no
    // LIKE wildcards to escape. '0' is the byte after '/'.
    sql += " AND path > ?3 AND path < ?4";
  }
  sql += " ORDER BY path";
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, sql));
  st.Bind(1, *repo_id).Bind(2, commit);
  if (!recursive) {
    st.Bind(3, dir);
  } else if (!dir.empty()) {
    st.Bind(3, dir + "/").Bind(4, dir + "0");
  }
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadEntry(st));
  }
  return out;
}

Status Index::PutObject(const ObjectRecord& object) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = "INSERT INTO objects (sha256, git_sha1, size, stored_at) VALUES (?1, ?2, ?3, " +
                    std::string(kNowMicrosSql) +
                    ") ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, "
                    "git_sha1 = CASE WHEN excluded.git_sha1 = '' THEN objects.git_sha1 "
                    "ELSE excluded.git_sha1 END";
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, sql));
  st.Bind(1, object.sha256).Bind(2, object.git_sha1).Bind(3, static_cast<int64_t>(object.size));
  return st.Run();
}

Result<std::optional<ObjectRecord>> Index::GetObject(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, "SELECT sha256, git_sha1, size FROM objects WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ObjectRecord>();
  return std::optional<ObjectRecord>(ReadObject(st));
}

Result<std::optional<ObjectRecord>> Index::FindObjectByGitSha1(const std::string& git_sha1) {
  std::lock_guard<std::mutex> lock(mu_);
  // Objects stored without a known git id have git_sha1 = ''; never match them.
  if (git_sha1.empty()) return std::optional<ObjectRecord>();
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT sha256, git_sha1, size FROM objects "
                                             "WHERE git_sha1 = ?1 LIMIT 1"));
  st.Bind(1, git_sha1);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ObjectRecord>();
  return std::optional<ObjectRecord>(ReadObject(st));
}

Result<std::pair<uint64_t, uint64_t>> Index::ObjectTotals() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st,
                      Stmt::Prepare(db_, "SELECT count(*), coalesce(sum(size), 0) FROM objects"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::pair<uint64_t, uint64_t>(0, 0);
  return std::pair<uint64_t, uint64_t>(static_cast<uint64_t>(st.Int(0)),
                                       static_cast<uint64_t>(st.Int(1)));
}

}  // namespace hubmirror
