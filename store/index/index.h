// Index: what the mirror knows about repos, in one SQLite database (WAL).
//
//   refs     (repo, ref) -> commit, with when it was resolved upstream
//   commits  (repo, commit) -> the upstream's repo-info JSON at that commit,
//            and whether the full file tree of the commit is known
//   entries  (repo, commit, path) -> file or directory metadata
//   objects  sha256 -> size, git blob sha1, xet hash: what the ObjectStore holds
//
// Entries describe files by their upstream identity (git oid, LFS sha256); the
// objects table links a regular file's git oid to the sha256 of its bytes once
// they are stored, so the same bytes in any repo or revision map to one object.
//
// Thread-safe: one connection, serialized by an internal mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/repo_key.h"
#include "store/sql/open_db.h"
#include "store/status.h"


namespace hubmirror {

struct RefRecord {
  std::string commit;
  int64_t resolved_at_micros = 0;
};

struct CommitRecord {
  std::string info_json;  // sanitized upstream repo info at this commit
  bool tree_complete = false;
};

// One file or directory of a commit, as the Hub describes it in tree and
// paths-info listings.
struct EntryRecord {
  std::string path;
  bool is_directory = false;
  uint64_t size = 0;
  std::string oid;         // git blob sha1 (file) or tree sha1 (directory)
  bool is_lfs = false;
  std::string lfs_sha256;  // set when is_lfs
  uint64_t lfs_pointer_size = 0;
  // Optional upstream "lastCommit" object ({id,title,date}) as JSON, or "".
  std::string last_commit_json;

  bool operator==(const EntryRecord&) const = default;
};

struct ObjectRecord {
  std::string sha256;
  std::string git_sha1;
  uint64_t size = 0;
  // The Xet file hash (hex rule) of the stored bytes; "" until known.
  std::string xet_hash;
};

// A file entry of some commit of a repo and the object holding its bytes:
// the LFS sha256, or for a regular file the sha256 its git id maps to in the
// objects table ("" when its bytes were never stored).
struct RepoFileObject {
  uint64_t size = 0;
  std::string sha256;
};

// Where in a repo a file is: a commit and a path.
struct RepoFileRef {
  std::string commit;
  std::string path;
};

// A ref by name, as listed by ListRefs and carried by a snapshot.
struct NamedRef {
  std::string name;  // branch, tag or "refs/pr/N"
  RefRecord record;
};

// One commit with its complete file list, as carried by a snapshot.
struct CommitSnapshot {
  std::string commit;
  CommitRecord record;
  std::vector<EntryRecord> entries;
};

// What a snapshot knows about one repo.
struct RepoSnapshot {
  RepoKey repo;
  std::vector<NamedRef> refs;
  std::vector<CommitSnapshot> commits;
};

// A repo published on this mirror: never asked upstream, its bytes never
// evicted (store/upkeep/retention.h).
struct HostedRepoRecord {
  RepoKey repo;
  bool is_private = false;
  std::string created_by;  // the token name that created it
  int64_t created_at_micros = 0;
};

// A commit made on this mirror (its id is git's own, over these fields).
struct HostedCommitRecord {
  std::string commit;
  std::string parent;  // "" for a repo's first commit
  std::string tree;
  std::string author;  // token name
  std::string summary;
  std::string description;
  int64_t at_micros = 0;
};

// A branch or tag of a hosted repo.
struct HostedRef {
  std::string name;
  bool is_tag = false;
  std::string commit;
};

class Index {
 public:
  // Opens (creating if needed) the database at `path`.
  static Result<std::unique_ptr<Index>> Open(const std::string& path);
  // Opens the index where `where` says (a SQLite file, or a PostgreSQL
  // schema shared by the nodes of a cluster; "hubmirror_index" by default).
  static Result<std::unique_ptr<Index>> Open(sql::DbLocation where);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  Status PutRef(const RepoKey& repo, const std::string& ref, const std::string& commit,
                int64_t resolved_at_micros);
  Result<std::optional<RefRecord>> GetRef(const RepoKey& repo, const std::string& ref);
  // Whether anything (a ref or a commit) is known about the repo.
  Result<bool> HasRepo(const RepoKey& repo);

  // Inserts or replaces the info JSON; keeps tree_complete.
  Status PutCommit(const RepoKey& repo, const std::string& commit, const std::string& info_json);
  Result<std::optional<CommitRecord>> GetCommit(const RepoKey& repo, const std::string& commit);

  // Upserts entries of a commit in one transaction. With tree_complete the
  // commit is marked as fully listed (a missing path then means "not there").
  Status PutEntries(const RepoKey& repo, const std::string& commit,
                    const std::vector<EntryRecord>& entries, bool tree_complete);
  Result<std::optional<EntryRecord>> GetEntry(const RepoKey& repo, const std::string& commit,
                                              const std::string& path);
  // Entries under `dir` ("" = root): direct children, or all descendants when
  // recursive. Sorted by path.
  Result<std::vector<EntryRecord>> ListEntries(const RepoKey& repo, const std::string& commit,
                                               const std::string& dir, bool recursive);

  Status PutObject(const ObjectRecord& object);
  // The value stored under `name`; when there is none yet, `candidate` is
  // stored and returned. Every node of a cluster gets the same value (the
  // first writer's), e.g. the key tokens are signed with.
  Result<std::string> SharedSetting(const std::string& name, const std::string& candidate);
  Result<std::optional<ObjectRecord>> GetObject(const std::string& sha256);
  Result<std::optional<ObjectRecord>> FindObjectByGitSha1(const std::string& git_sha1);
  // Number and total size of distinct stored objects.
  Result<std::pair<uint64_t, uint64_t>> ObjectTotals();
  // Every object row, sorted by sha256.
  Result<std::vector<ObjectRecord>> ListObjects();

  // Every repo with a row (a ref or a commit was recorded), sorted by type
  // then id.
  Result<std::vector<RepoKey>> ListRepos();
  // The refs of a repo, sorted by name; empty for an unknown repo.
  Result<std::vector<NamedRef>> ListRefs(const RepoKey& repo);

  // A file of some known commit of the repo whose bytes are the object
  // `sha256` (an LFS entry naming it, or a regular file whose git id maps to
  // it), if any: what lets a repo-bound Xet token read that object.
  Result<std::optional<RepoFileRef>> FindRepoFileOf(const RepoKey& repo, const std::string& sha256);
  // Every file entry of every known commit of the repo (storage accounting).
  Result<std::vector<RepoFileObject>> ListRepoFileObjects(const RepoKey& repo);
  // The same for one commit.
  Result<std::vector<RepoFileObject>> ListCommitFileObjects(const RepoKey& repo,
                                                            const std::string& commit);
  // Forgets an object row (its bytes were evicted or collected); entries stay,
  // so the file can be pulled again. No-op when absent.
  Status RemoveObject(const std::string& sha256);

  // Hosted repos (hosted_index.cc). Every write is one transaction.
  // AlreadyExists when the repo has any row (hosted or mirrored).
  Status CreateHostedRepo(const HostedRepoRecord& record);
  Result<std::optional<HostedRepoRecord>> GetHostedRepo(const RepoKey& repo);
  Result<std::vector<HostedRepoRecord>> ListHostedRepos();
  // NotFound when the repo is not hosted.
  Status SetHostedRepoPrivate(const RepoKey& repo, bool is_private);
  // Removes the repo with its refs, commits and entries (objects stay for
  // gc). NotFound when it is not hosted.
  Status DeleteHostedRepo(const RepoKey& repo);
  // Records `commit` (its tree complete: `entries` are every file and
  // folder) and moves branch `ref` to it, only if the branch still points
  // at `expected` ("" = the branch must not exist yet): FailedPrecondition
  // otherwise, and nothing is written. `info_json` is its repo info.
  Status CommitHosted(const RepoKey& repo, const std::string& ref, const std::string& expected,
                      const HostedCommitRecord& commit, const std::string& info_json,
                      const std::vector<EntryRecord>& entries);
  // Creates (AlreadyExists if the name is taken, unless `overwrite`) or
  // moves a branch or tag to a known commit of the repo.
  Status PutHostedRef(const RepoKey& repo, const HostedRef& ref, bool overwrite);
  // NotFound when there is no such branch (or tag).
  Status DeleteHostedRef(const RepoKey& repo, const std::string& name, bool is_tag);
  Result<std::vector<HostedRef>> ListHostedRefs(const RepoKey& repo);
  Result<std::optional<HostedCommitRecord>> GetHostedCommit(const RepoKey& repo,
                                                            const std::string& commit);

  // Writes a whole snapshot (an imported bundle) in ONE transaction: either
  // every row becomes visible or, on any error, none does.
  //   refs     upserted, except that a ref already resolved more recently
  //            (larger resolved_at_micros) than the snapshot's is kept
  //   commits  info_json replaced when the snapshot's is non-empty;
  //            tree_complete only ever goes from 0 to 1
  //   entries  upserted as PutEntries does
  //   objects  upserted as PutObject does
  // The caller must have stored every object first: rows promise bytes.
  Status ImportSnapshot(const std::vector<RepoSnapshot>& repos,
                        const std::vector<ObjectRecord>& objects);

 private:
  // Both of the above; commit "" = every commit.
  Result<std::vector<RepoFileObject>> ListFileObjects(const RepoKey& repo,
                                                      const std::string& commit);
  explicit Index(std::unique_ptr<sql::Db> db);
  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;  // guarded by mu_
};

}  // namespace hubmirror
