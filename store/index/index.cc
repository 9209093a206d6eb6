#include "store/index/index.h"


#include <string_view>
#include <utility>

#include "store/index/index_schema.h"
#include "store/sql/open_db.h"

namespace hubmirror {
// Row helpers shared with hosted_index.cc (declared in index_rows.h).
namespace index_rows {

// Informational timestamps (fetched_at, stored_at) come from the database's
// clock: nothing decides on them, so they need not go through the Env.
constexpr const char* kNowMicrosSql = sql::kNowMicros;
using sql::Stmt;
using sql::Transaction;


std::string ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
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
  o.xet_hash = st.Text(3);
  return o;
}

// Repo ids live in their own table so that the big tables key on an integer.
Result<std::optional<int64_t>> LookupRepoId(sql::Db* db, const RepoKey& repo) {
  HM_ASSIGN_OR_RETURN(Stmt st,
                      db->Prepare("SELECT id FROM repos WHERE type = ?1 AND name = ?2"));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.Int(0));
}

Result<int64_t> EnsureRepoId(sql::Db* db, const RepoKey& repo) {
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare("INSERT INTO repos (type, name) VALUES (?1, ?2) "
                                               "ON CONFLICT (type, name) DO NOTHING"));
    st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
    HM_RETURN_IF_ERROR(st.Run());
  }
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, LookupRepoId(db, repo));
  if (!id) return Status::Internal("index: repo row vanished after insert");
  return *id;
}

// Inserts or updates entries of one commit; the caller holds a transaction.
Status UpsertEntries(sql::Db* db, int64_t repo_id, const std::string& commit,
                     const std::vector<EntryRecord>& entries) {
  // A listing without lastCommit must not erase one learned earlier.
  HM_ASSIGN_OR_RETURN(
      Stmt st,
      db->Prepare("INSERT INTO entries (repo_id, commit_sha, path, parent, is_dir, size, oid, "
                    "is_lfs, lfs_sha256, lfs_pointer_size, last_commit_json) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                    "ON CONFLICT (repo_id, commit_sha, path) DO UPDATE SET "
                    "parent = excluded.parent, is_dir = excluded.is_dir, "
                    "size = excluded.size, oid = excluded.oid, is_lfs = excluded.is_lfs, "
                    "lfs_sha256 = excluded.lfs_sha256, "
                    "lfs_pointer_size = excluded.lfs_pointer_size, "
                    "last_commit_json = CASE WHEN excluded.last_commit_json = '' "
                    "THEN entries.last_commit_json ELSE excluded.last_commit_json END"));
  for (const EntryRecord& e : entries) {
    st.Reset();
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
  return Status::Ok();
}

// Marks a commit's tree as fully listed, creating the commit row if needed
// (a tree can be listed before the repo info); the caller holds a transaction.
Status MarkTreeComplete(sql::Db* db, int64_t repo_id, const std::string& commit) {
  HM_ASSIGN_OR_RETURN(Stmt st,
                      db->Prepare("INSERT INTO commits (repo_id, commit_sha, tree_complete) "
                                    "VALUES (?1, ?2, 1) ON CONFLICT (repo_id, commit_sha) "
                                    "DO UPDATE SET tree_complete = 1"));
  st.Bind(1, repo_id).Bind(2, commit);
  return st.Run();
}

// Inserts or updates an object row; a known git sha1 or xet hash is never
// erased.
Status UpsertObject(sql::Db* db, const ObjectRecord& object) {
  std::string sql =
      "INSERT INTO objects (sha256, git_sha1, size, xet_hash, stored_at) VALUES (?1, ?2, ?3, ?4, " +
      std::string(kNowMicrosSql) +
      ") ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, "
      "git_sha1 = CASE WHEN excluded.git_sha1 = '' THEN objects.git_sha1 "
      "ELSE excluded.git_sha1 END, "
      "xet_hash = CASE WHEN excluded.xet_hash = '' THEN objects.xet_hash "
      "ELSE excluded.xet_hash END";
  HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare(sql));
  st.Bind(1, object.sha256)
      .Bind(2, object.git_sha1)
      .Bind(3, static_cast<int64_t>(object.size))
      .Bind(4, object.xet_hash);
  return st.Run();
}

// Writes one repo of a snapshot; the caller holds a transaction.
Status ImportRepo(sql::Db* db, const RepoSnapshot& snapshot) {
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db, snapshot.repo));
  for (const CommitSnapshot& c : snapshot.commits) {
    std::string sql =
        "INSERT INTO commits (repo_id, commit_sha, info_json, tree_complete, fetched_at) "
        "VALUES (?1, ?2, ?3, ?4, " +
        std::string(kNowMicrosSql) +
        ") ON CONFLICT (repo_id, commit_sha) DO UPDATE SET "
        "info_json = CASE WHEN excluded.info_json = '' THEN commits.info_json "
        "ELSE excluded.info_json END, "
        "tree_complete = CASE WHEN excluded.tree_complete > commits.tree_complete "
        "THEN excluded.tree_complete ELSE commits.tree_complete END";
    HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare(sql));
    st.Bind(1, repo_id)
        .Bind(2, c.commit)
        .Bind(3, c.record.info_json)
        .Bind(4, int64_t{c.record.tree_complete});
    HM_RETURN_IF_ERROR(st.Run());
    HM_RETURN_IF_ERROR(UpsertEntries(db, repo_id, c.commit, c.entries));
  }
  for (const NamedRef& ref : snapshot.refs) {
    HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare("INSERT INTO refs (repo_id, ref, commit_sha, "
                                               "resolved_at) VALUES (?1, ?2, ?3, ?4) "
                                               "ON CONFLICT (repo_id, ref) DO UPDATE SET "
                                               "commit_sha = excluded.commit_sha, "
                                               "resolved_at = excluded.resolved_at "
                                               "WHERE excluded.resolved_at >= refs.resolved_at"));
    st.Bind(1, repo_id)
        .Bind(2, ref.name)
        .Bind(3, ref.record.commit)
        .Bind(4, ref.record.resolved_at_micros);
    HM_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

}  // namespace index_rows

using namespace index_rows;  // NOLINT: the helpers are this file's own

Result<std::unique_ptr<Index>> Index::Open(const std::string& path) {
  sql::DbLocation where;
  where.sqlite_path = path;
  return Open(where);
}

Result<std::unique_ptr<Index>> Index::Open(sql::DbLocation where) {
  where.sqlite_pragmas = {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"};
  if (where.postgres_schema.empty()) where.postgres_schema = "hubmirror_index";
  HM_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> db, sql::OpenDb(where, IndexSchema()));
  return std::unique_ptr<Index>(new Index(std::move(db)));
}

Index::Index(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}

Index::~Index() = default;

Result<std::string> Index::SharedSetting(const std::string& name, const std::string& candidate) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO settings (name, value) VALUES (?1, ?2) "
                                              "ON CONFLICT DO NOTHING"));
    st.Bind(1, name).BindBlob(2, candidate.data(), candidate.size());
    HM_RETURN_IF_ERROR(st.Run());
  }
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT value FROM settings WHERE name = ?1"));
  st.Bind(1, name);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Internal("index: setting " + name + " vanished");
  return st.Text(0);
}

Status Index::PutRef(const RepoKey& repo, const std::string& ref, const std::string& commit,
                     int64_t resolved_at_micros) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_.get(), repo));
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO refs (repo_id, ref, commit_sha, "
                                             "resolved_at) VALUES (?1, ?2, ?3, ?4) "
                                             "ON CONFLICT (repo_id, ref) DO UPDATE SET "
                                             "commit_sha = excluded.commit_sha, "
                                             "resolved_at = excluded.resolved_at"));
  st.Bind(1, repo_id).Bind(2, ref).Bind(3, commit).Bind(4, resolved_at_micros);
  return st.Run();
}

Result<std::optional<RefRecord>> Index::GetRef(const RepoKey& repo, const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT r.commit_sha, r.resolved_at FROM refs r "
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
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, LookupRepoId(db_.get(), repo));
  return id.has_value();
}

Result<std::optional<RepoFileRef>> Index::FindRepoFileOf(const RepoKey& repo,
                                                        const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> repo_id, LookupRepoId(db_.get(), repo));
  if (!repo_id) return std::optional<RepoFileRef>();
  HM_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("SELECT e.commit_sha, e.path FROM entries e WHERE e.repo_id = ?1 "
                            "AND e.is_dir = 0 AND ((e.is_lfs <> 0 AND e.lfs_sha256 = ?2) OR "
                            "(e.is_lfs = 0 AND e.oid IN (SELECT git_sha1 FROM objects WHERE "
                            "sha256 = ?2))) LIMIT 1"));
  st.Bind(1, *repo_id).Bind(2, sha256);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<RepoFileRef>();
  return std::optional<RepoFileRef>(RepoFileRef{st.Text(0), st.Text(1)});
}

Status Index::PutCommit(const RepoKey& repo, const std::string& commit,
                        const std::string& info_json) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_.get(), repo));
  std::string sql =
      "INSERT INTO commits (repo_id, commit_sha, info_json, tree_complete, fetched_at) "
      "VALUES (?1, ?2, ?3, 0, " +
      std::string(kNowMicrosSql) +
      ") ON CONFLICT (repo_id, commit_sha) DO UPDATE SET "
      "info_json = excluded.info_json, fetched_at = excluded.fetched_at";
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
  st.Bind(1, repo_id).Bind(2, commit).Bind(3, info_json);
  return st.Run();
}

Result<std::optional<CommitRecord>> Index::GetCommit(const RepoKey& repo,
                                                     const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT c.info_json, c.tree_complete FROM commits c "
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
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_.get(), repo));
  HM_RETURN_IF_ERROR(UpsertEntries(db_.get(), repo_id, commit, entries));
  if (tree_complete) HM_RETURN_IF_ERROR(MarkTreeComplete(db_.get(), repo_id, commit));
  return txn.Commit();
}

Result<std::optional<EntryRecord>> Index::GetEntry(const RepoKey& repo, const std::string& commit,
                                                   const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> repo_id, LookupRepoId(db_.get(), repo));
  if (!repo_id) return std::optional<EntryRecord>();
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kEntryColumns +
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
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> repo_id, LookupRepoId(db_.get(), repo));
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
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
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
  return UpsertObject(db_.get(), object);
}

Result<std::optional<ObjectRecord>> Index::GetObject(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("SELECT sha256, git_sha1, size, xet_hash FROM objects WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ObjectRecord>();
  return std::optional<ObjectRecord>(ReadObject(st));
}

Result<std::optional<ObjectRecord>> Index::FindObjectByGitSha1(const std::string& git_sha1) {
  std::lock_guard<std::mutex> lock(mu_);
  // Objects stored without a known git id have git_sha1 = ''; never match them.
  if (git_sha1.empty()) return std::optional<ObjectRecord>();
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT sha256, git_sha1, size, xet_hash FROM objects "
                                             "WHERE git_sha1 = ?1 LIMIT 1"));
  st.Bind(1, git_sha1);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ObjectRecord>();
  return std::optional<ObjectRecord>(ReadObject(st));
}

Result<std::pair<uint64_t, uint64_t>> Index::ObjectTotals() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT count(*), coalesce(sum(size), 0) FROM objects"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::pair<uint64_t, uint64_t>(0, 0);
  return std::pair<uint64_t, uint64_t>(static_cast<uint64_t>(st.Int(0)),
                                       static_cast<uint64_t>(st.Int(1)));
}

Result<std::vector<ObjectRecord>> Index::ListObjects() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("SELECT sha256, git_sha1, size, xet_hash FROM objects ORDER BY sha256"));
  std::vector<ObjectRecord> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadObject(st));
  }
  return out;
}

Result<std::vector<RepoKey>> Index::ListRepos() {
  std::lock_guard<std::mutex> lock(mu_);
  // 'dataset' < 'model': datasets sort first, then by id.
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT type, name FROM repos ORDER BY type, name"));
  std::vector<RepoKey> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(RepoKey{RepoTypeFromName(st.Text(0)),
                          st.Text(1)});
  }
  return out;
}

Result<std::vector<NamedRef>> Index::ListRefs(const RepoKey& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT r.ref, r.commit_sha, r.resolved_at "
                                             "FROM refs r JOIN repos p ON p.id = r.repo_id "
                                             "WHERE p.type = ?1 AND p.name = ?2 ORDER BY r.ref"));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
  std::vector<NamedRef> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(NamedRef{st.Text(0), RefRecord{st.Text(1), st.Int(2)}});
  }
  return out;
}

Result<std::vector<RepoFileObject>> Index::ListRepoFileObjects(const RepoKey& repo) {
  return ListFileObjects(repo, /*commit=*/"");
}

Result<std::vector<RepoFileObject>> Index::ListCommitFileObjects(const RepoKey& repo,
                                                                 const std::string& commit) {
  return ListFileObjects(repo, commit);
}

Result<std::vector<RepoFileObject>> Index::ListFileObjects(const RepoKey& repo,
                                                           const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  // A regular file's sha256 is known only once its bytes were stored (found
  // by git blob id); until then it is "".
  // Two statements rather than "?3 = '' OR ...", which would keep SQLite
  // from using the (repo, commit) index.
  std::string sql =
      "SELECT e.size, CASE WHEN e.is_lfs <> 0 THEN e.lfs_sha256 "
      "ELSE COALESCE((SELECT o.sha256 FROM objects o WHERE o.git_sha1 = e.oid LIMIT 1), '') END "
      "FROM entries e JOIN repos p ON p.id = e.repo_id "
      "WHERE p.type = ?1 AND p.name = ?2 AND e.is_dir = 0";
  if (!commit.empty()) sql += " AND e.commit_sha = ?3";
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
  if (!commit.empty()) st.Bind(3, commit);
  std::vector<RepoFileObject> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(RepoFileObject{static_cast<uint64_t>(st.Int(0)), st.Text(1)});
  }
  return out;
}

Status Index::RemoveObject(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM objects WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  return st.Run();
}

Status Index::ImportSnapshot(const std::vector<RepoSnapshot>& repos,
                             const std::vector<ObjectRecord>& objects) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  for (const ObjectRecord& object : objects) HM_RETURN_IF_ERROR(UpsertObject(db_.get(), object));
  for (const RepoSnapshot& repo : repos) HM_RETURN_IF_ERROR(ImportRepo(db_.get(), repo));
  return txn.Commit();
}

}  // namespace hubmirror
