// The xorb catalog's schema on SQLite (with its history of migrations) and
// on PostgreSQL (the current schema in one step).
#include "store/xorb/catalog/xorb_catalog_schema.h"

namespace hubmirror {
namespace {

// Bump and append a step to change the schema; a newer database is refused.
constexpr int kSchemaVersion = 4;
constexpr const char* kSqliteMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('xorb_id', 0);
CREATE TABLE xorbs (
  id INTEGER PRIMARY KEY,
  hash BLOB NOT NULL,
  num_chunks INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  records_bytes INTEGER NOT NULL,
  file_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX xorbs_by_hash ON xorbs (hash);
CREATE TABLE xorb_chunks (
  xorb_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  raw_offset INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  record_offset INTEGER NOT NULL,
  stored_size INTEGER NOT NULL,
  scheme INTEGER NOT NULL,
  PRIMARY KEY (xorb_id, idx)
) WITHOUT ROWID;
CREATE INDEX xorb_chunks_by_hash ON xorb_chunks (hash);
CREATE TABLE files (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  git_sha1 TEXT NOT NULL,
  xet_hash TEXT NOT NULL,
  committed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE file_terms (
  file TEXT NOT NULL,
  seq INTEGER NOT NULL,
  xorb_id INTEGER NOT NULL,
  chunk_start INTEGER NOT NULL,
  chunk_end INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  file_offset INTEGER NOT NULL,
  PRIMARY KEY (file, seq)
) WITHOUT ROWID;
CREATE INDEX file_terms_by_xorb ON file_terms (xorb_id);
)sql",
    // 1 -> 2: files found by their Xet hash (serving Xet reconstructions).
    R"sql(
CREATE INDEX files_by_xet_hash ON files (xet_hash);
)sql",
    // 2 -> 3: what Xet pulls learned about upstream xorbs.
    R"sql(
CREATE TABLE upstream_chunks (
  xorb BLOB NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  raw_size INTEGER NOT NULL,
  record_offset INTEGER NOT NULL,
  record_size INTEGER NOT NULL,
  PRIMARY KEY (xorb, idx)
) WITHOUT ROWID;
)sql",
    // 3 -> 4: xorbs whose rows are gone but whose bucket object is kept for
    // a grace period (readers on other nodes may still fetch it).
    R"sql(
CREATE TABLE doomed_xorbs (
  id INTEGER PRIMARY KEY,
  doomed_at INTEGER NOT NULL
);
)sql",
};
static_assert(sizeof(kSqliteMigrations) / sizeof(kSqliteMigrations[0]) == kSchemaVersion);

// The same schema on PostgreSQL, shared by the nodes of a cluster.
constexpr const char* kPostgresMigrations[] = {
    R"sql(
CREATE TABLE counters (
  name TEXT COLLATE "C" PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('xorb_id', 0);
CREATE TABLE xorbs (
  id BIGINT PRIMARY KEY,
  hash BYTEA NOT NULL,
  num_chunks BIGINT NOT NULL,
  raw_bytes BIGINT NOT NULL,
  records_bytes BIGINT NOT NULL,
  file_bytes BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX xorbs_by_hash ON xorbs (hash);
CREATE TABLE xorb_chunks (
  xorb_id BIGINT NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  raw_offset BIGINT NOT NULL,
  raw_size BIGINT NOT NULL,
  record_offset BIGINT NOT NULL,
  stored_size BIGINT NOT NULL,
  scheme BIGINT NOT NULL,
  PRIMARY KEY (xorb_id, idx)
);
CREATE INDEX xorb_chunks_by_hash ON xorb_chunks (hash);
CREATE TABLE files (
  sha256 TEXT COLLATE "C" PRIMARY KEY,
  size BIGINT NOT NULL,
  git_sha1 TEXT COLLATE "C" NOT NULL,
  xet_hash TEXT COLLATE "C" NOT NULL,
  committed_at BIGINT NOT NULL
);
CREATE INDEX files_by_xet_hash ON files (xet_hash);
CREATE TABLE file_terms (
  file TEXT COLLATE "C" NOT NULL,
  seq BIGINT NOT NULL,
  xorb_id BIGINT NOT NULL,
  chunk_start BIGINT NOT NULL,
  chunk_end BIGINT NOT NULL,
  raw_size BIGINT NOT NULL,
  file_offset BIGINT NOT NULL,
  PRIMARY KEY (file, seq)
);
CREATE INDEX file_terms_by_xorb ON file_terms (xorb_id);
CREATE TABLE upstream_chunks (
  xorb BYTEA NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  raw_size BIGINT NOT NULL,
  record_offset BIGINT NOT NULL,
  record_size BIGINT NOT NULL,
  PRIMARY KEY (xorb, idx)
);
CREATE TABLE doomed_xorbs (
  id BIGINT PRIMARY KEY,
  doomed_at BIGINT NOT NULL
);
)sql",
};

}  // namespace

const sql::Schema& XorbCatalogSchema() {
  static constexpr sql::Schema kSchema{
      "xorb catalog", kSqliteMigrations, kSchemaVersion, kPostgresMigrations,
      sizeof(kPostgresMigrations) / sizeof(kPostgresMigrations[0])};
  return kSchema;
}

}  // namespace hubmirror
