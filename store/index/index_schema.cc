// The index's schema on SQLite (with its history of migrations) and on
// PostgreSQL (the current schema in one step).
#include "store/index/index_schema.h"

namespace hubmirror {
namespace {

// Bump and append a step to kSqliteMigrations (and kPostgresMigrations) to change the schema; a database
// written by a newer version is refused rather than misread.
constexpr int kSchemaVersion = 4;

constexpr const char* kSqliteMigrations[] = {
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
    // 1 -> 2: the Xet file hash of each stored object ("" until known:
    // objects of older store layouts get it from `hubmirror migrate`).
    R"sql(
ALTER TABLE objects ADD COLUMN xet_hash TEXT NOT NULL DEFAULT '';
)sql",
    // 2 -> 3: repos published on this mirror, their commits, and the kind
    // of a ref where the mirror itself knows it ("branch"/"tag"; "" for
    // refs learned upstream).
    R"sql(
ALTER TABLE refs ADD COLUMN kind TEXT NOT NULL DEFAULT '';
CREATE TABLE hosted_repos (
  repo_id INTEGER PRIMARY KEY REFERENCES repos(id) ON DELETE CASCADE,
  private INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE hosted_commits (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  commit_sha TEXT NOT NULL,
  parent_sha TEXT NOT NULL,
  tree_sha TEXT NOT NULL,
  author TEXT NOT NULL,
  summary TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repo_id, commit_sha)
) WITHOUT ROWID;
)sql",
    // 3 -> 4: values every node of a cluster must agree on (the key Xet
    // tokens and upload URLs are signed with).
    R"sql(
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql",
};
static_assert(sizeof(kSqliteMigrations) / sizeof(kSqliteMigrations[0]) == kSchemaVersion);

// The same schema on PostgreSQL (one step: there is no older one to carry).
// Text compares bytewise (COLLATE "C"), as in SQLite: path ranges rely on it.
constexpr const char* kPostgresMigrations[] = {
    R"sql(
CREATE TABLE repos (
  id BIGSERIAL PRIMARY KEY,
  type TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  UNIQUE (type, name)
);
CREATE TABLE refs (
  repo_id BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  ref TEXT COLLATE "C" NOT NULL,
  commit_sha TEXT COLLATE "C" NOT NULL,
  resolved_at BIGINT NOT NULL,
  kind TEXT COLLATE "C" NOT NULL DEFAULT '',
  PRIMARY KEY (repo_id, ref)
);
CREATE TABLE commits (
  repo_id BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  commit_sha TEXT COLLATE "C" NOT NULL,
  info_json TEXT NOT NULL DEFAULT '',
  tree_complete BIGINT NOT NULL DEFAULT 0,
  fetched_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, commit_sha)
);
CREATE TABLE entries (
  repo_id BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  commit_sha TEXT COLLATE "C" NOT NULL,
  path TEXT COLLATE "C" NOT NULL,
  parent TEXT COLLATE "C" NOT NULL,
  is_dir BIGINT NOT NULL,
  size BIGINT NOT NULL,
  oid TEXT COLLATE "C" NOT NULL,
  is_lfs BIGINT NOT NULL,
  lfs_sha256 TEXT COLLATE "C" NOT NULL,
  lfs_pointer_size BIGINT NOT NULL,
  last_commit_json TEXT NOT NULL,
  PRIMARY KEY (repo_id, commit_sha, path)
);
CREATE INDEX entries_by_parent ON entries (repo_id, commit_sha, parent, path);
CREATE TABLE objects (
  sha256 TEXT COLLATE "C" PRIMARY KEY,
  git_sha1 TEXT COLLATE "C" NOT NULL,
  size BIGINT NOT NULL,
  stored_at BIGINT NOT NULL,
  xet_hash TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX objects_by_git_sha1 ON objects (git_sha1);
CREATE TABLE hosted_repos (
  repo_id BIGINT PRIMARY KEY REFERENCES repos(id) ON DELETE CASCADE,
  private BIGINT NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE hosted_commits (
  repo_id BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  commit_sha TEXT COLLATE "C" NOT NULL,
  parent_sha TEXT COLLATE "C" NOT NULL,
  tree_sha TEXT COLLATE "C" NOT NULL,
  author TEXT NOT NULL,
  summary TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (repo_id, commit_sha)
);
CREATE TABLE settings (
  name TEXT COLLATE "C" PRIMARY KEY,
  value BYTEA NOT NULL
);
)sql",
};

}  // namespace

const sql::Schema& IndexSchema() {
  static constexpr sql::Schema kSchema{
      "index", kSqliteMigrations, kSchemaVersion, kPostgresMigrations,
      sizeof(kPostgresMigrations) / sizeof(kPostgresMigrations[0])};
  return kSchema;
}

}  // namespace hubmirror
