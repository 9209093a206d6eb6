#include "store/legacy/chunk_catalog.h"

#include <sqlite3.h>

#include <utility>

#include "store/sqlite_stmt.h"

namespace hubmirror {
namespace {

using sqlite::Exec;
using sqlite::SqliteError;
using sqlite::Stmt;
using sqlite::Transaction;

// Bump and append a step to change the schema; a newer database is refused.
constexpr int kSchemaVersion = 3;
constexpr const char* kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE chunks (
  id INTEGER PRIMARY KEY,
  fp_high INTEGER NOT NULL,
  fp_low INTEGER NOT NULL,
  pack INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  stored_size INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  compression INTEGER NOT NULL
);
CREATE INDEX chunks_by_fingerprint ON chunks (fp_high, fp_low);
CREATE INDEX chunks_by_pack ON chunks (pack, offset);
CREATE TABLE chunked_objects (
  sha256 TEXT PRIMARY KEY,
  git_sha1 TEXT NOT NULL,
  size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE object_chunks (
  object TEXT NOT NULL,
  seq INTEGER NOT NULL,
  chunk_id INTEGER NOT NULL REFERENCES chunks(id),
  PRIMARY KEY (object, seq)
) WITHOUT ROWID;
CREATE INDEX object_chunks_by_chunk ON object_chunks (chunk_id);
)sql",
    // 1 -> 2: when each object was committed (0 for older rows), so that gc
    // can spare objects too new to be referenced by the index yet.
    R"sql(
ALTER TABLE chunked_objects ADD COLUMN committed_at INTEGER NOT NULL DEFAULT 0;
)sql",
    // 2 -> 3: chunk ids are never reused (AUTOINCREMENT; sqlite_sequence
    // starts at the highest id present). A writer that compared chunk K
    // commits a reference to K later; had K been removed meanwhile, a plain
    // rowid table hands K to the next new chunk (any process), and the
    // object would read back that chunk's bytes.
    R"sql(
CREATE TABLE chunks_v3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  fp_high INTEGER NOT NULL,
  fp_low INTEGER NOT NULL,
  pack INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  stored_size INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  compression INTEGER NOT NULL
);
INSERT INTO chunks_v3 (id, fp_high, fp_low, pack, offset, stored_size, raw_size, compression)
  SELECT id, fp_high, fp_low, pack, offset, stored_size, raw_size, compression FROM chunks;
DROP TABLE chunks;
ALTER TABLE chunks_v3 RENAME TO chunks;
CREATE INDEX chunks_by_fingerprint ON chunks (fp_high, fp_low);
CREATE INDEX chunks_by_pack ON chunks (pack, offset);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);



int64_t AsInt(uint64_t v) { return static_cast<int64_t>(v); }

constexpr const char* kLocationColumns =
    "c.id, c.pack, c.offset, c.stored_size, c.raw_size, c.compression";

ChunkLocation ReadLocation(const Stmt& st) {
  ChunkLocation loc;
  loc.id = st.Int(0);
  loc.pack = st.Int(1);
  loc.offset = static_cast<uint64_t>(st.Int(2));
  loc.stored_size = static_cast<uint64_t>(st.Int(3));
  loc.raw_size = static_cast<uint64_t>(st.Int(4));
  loc.compression = static_cast<ChunkCompression>(st.Int(5));
  return loc;
}

// Every row of a query selecting kLocationColumns.
Result<std::vector<ChunkLocation>> ReadLocations(Stmt& st) {
  std::vector<ChunkLocation> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadLocation(st));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ChunkCatalog>> ChunkCatalog::Open(const std::string& path) {
  // FULL: a committed object row must survive a power loss just like the
  // rename of a file object does.
  HM_ASSIGN_OR_RETURN(sqlite::UniqueDb db,
                      sqlite::OpenWalDatabase(path, {"PRAGMA synchronous = FULL"}, kMigrations,
                                              kSchemaVersion, "chunk catalog"));
  return std::unique_ptr<ChunkCatalog>(new ChunkCatalog(db.release()));
}

ChunkCatalog::ChunkCatalog(sqlite3* db) : db_(db) {}
ChunkCatalog::~ChunkCatalog() { sqlite3_close_v2(db_); }

Result<std::vector<ChunkLocation>> ChunkCatalog::FindByFingerprint(const ChunkFingerprint& fp) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kLocationColumns +
                                                      " FROM chunks c WHERE c.fp_high = ?1 AND "
                                                      "c.fp_low = ?2 ORDER BY c.id"));
  st.Bind(1, AsInt(fp.high)).Bind(2, AsInt(fp.low));
  return ReadLocations(st);
}

Result<std::optional<PackObjectRow>> ChunkCatalog::GetObject(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, "SELECT git_sha1, size FROM chunked_objects WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<PackObjectRow>();
  return std::optional<PackObjectRow>(
      PackObjectRow{sha256, st.Text(0), static_cast<uint64_t>(st.Int(1))});
}

Result<std::vector<ChunkLocation>> ChunkCatalog::ObjectChunks(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kLocationColumns +
                                                      " FROM object_chunks oc JOIN chunks c ON "
                                                      "c.id = oc.chunk_id WHERE oc.object = ?1 "
                                                      "ORDER BY oc.seq"));
  st.Bind(1, sha256);
  return ReadLocations(st);
}

Result<bool> ChunkCatalog::CommitObject(const PackObjectRow& object,
                                        const std::vector<NewChunk>& fresh,
                                        const std::vector<ChunkRef>& refs) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  HM_RETURN_IF_ERROR(txn.Begin());
  {
    HM_ASSIGN_OR_RETURN(Stmt st,
                        Stmt::Prepare(db_, "SELECT 1 FROM chunked_objects WHERE sha256 = ?1"));
    st.Bind(1, object.sha256);
    HM_ASSIGN_OR_RETURN(bool present, st.Step());
    if (present) return false;  // the Transaction rolls back (nothing written)
  }
  {
    // A chunk found by fingerprint may have been removed since (Remove of
    // its last object): refuse rather than publish a dangling reference.
    // Ids are never reused, so a row with the id is the chunk compared; its
    // fingerprint and size are checked too, as the last line of defence
    // against an object naming bytes it was not hashed from.
    HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                               "SELECT fp_high, fp_low, raw_size FROM chunks "
                                               "WHERE id = ?1"));
    int64_t last_checked = 0;
    for (const ChunkRef& ref : refs) {
      if (ref.is_new || ref.id == last_checked) continue;
      st.Reset();
      st.Bind(1, ref.id);
      HM_ASSIGN_OR_RETURN(bool present, st.Step());
      if (!present || static_cast<uint64_t>(st.Int(0)) != ref.fingerprint.high ||
          static_cast<uint64_t>(st.Int(1)) != ref.fingerprint.low ||
          static_cast<uint64_t>(st.Int(2)) != ref.raw_size) {
        return Status::Unavailable("chunk catalog: a reused chunk was removed concurrently; "
                                   "write the object again");
      }
      last_checked = ref.id;
    }
  }
  std::vector<int64_t> fresh_ids;
  fresh_ids.reserve(fresh.size());
  {
    HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                               "INSERT INTO chunks (fp_high, fp_low, pack, "
                                               "offset, stored_size, raw_size, compression) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    for (const NewChunk& c : fresh) {
      st.Reset();
      st.Bind(1, AsInt(c.fingerprint.high))
          .Bind(2, AsInt(c.fingerprint.low))
          .Bind(3, c.location.pack)
          .Bind(4, AsInt(c.location.offset))
          .Bind(5, AsInt(c.location.stored_size))
          .Bind(6, AsInt(c.location.raw_size))
          .Bind(7, static_cast<int64_t>(c.location.compression));
      HM_RETURN_IF_ERROR(st.Run());
      fresh_ids.push_back(sqlite3_last_insert_rowid(db_));
    }
  }
  {
    HM_ASSIGN_OR_RETURN(
        Stmt st, Stmt::Prepare(db_, "INSERT INTO chunked_objects (sha256, git_sha1, size, "
                                    "committed_at) VALUES (?1, ?2, ?3, "
                                    "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS "
                                    "INTEGER))"));
    st.Bind(1, object.sha256).Bind(2, object.git_sha1).Bind(3, AsInt(object.size));
    HM_RETURN_IF_ERROR(st.Run());
  }
  {
    HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                               "INSERT INTO object_chunks (object, seq, "
                                               "chunk_id) VALUES (?1, ?2, ?3)"));
    int64_t seq = 0;
    for (const ChunkRef& ref : refs) {
      if (ref.is_new && ref.new_index >= fresh_ids.size()) {
        return Status::Internal("chunk catalog: chunk reference out of range");
      }
      st.Reset();
      st.Bind(1, object.sha256)
          .Bind(2, seq++)
          .Bind(3, ref.is_new ? fresh_ids[ref.new_index] : ref.id);
      HM_RETURN_IF_ERROR(st.Run());
    }
  }
  HM_RETURN_IF_ERROR(txn.Commit());
  return true;
}

Result<std::vector<ChunkLocation>> ChunkCatalog::RemoveObject(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(Stmt del, Stmt::Prepare(db_, "DELETE FROM chunked_objects WHERE sha256 = ?1"));
  del.Bind(1, sha256);
  HM_RETURN_IF_ERROR(del.Run());
  if (sqlite3_changes(db_) == 0) return Status::NotFound("object " + sha256 + " not stored");
  std::vector<int64_t> ids;
  {
    HM_ASSIGN_OR_RETURN(
        Stmt st, Stmt::Prepare(db_, "SELECT DISTINCT chunk_id FROM object_chunks WHERE object = ?1"));
    st.Bind(1, sha256);
    while (true) {
      HM_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ids.push_back(st.Int(0));
    }
  }
  HM_ASSIGN_OR_RETURN(Stmt list, Stmt::Prepare(db_, "DELETE FROM object_chunks WHERE object = ?1"));
  list.Bind(1, sha256);
  HM_RETURN_IF_ERROR(list.Run());
  std::vector<ChunkLocation> orphans;
  HM_ASSIGN_OR_RETURN(Stmt used,
                      Stmt::Prepare(db_, "SELECT 1 FROM object_chunks WHERE chunk_id = ?1 LIMIT 1"));
  HM_ASSIGN_OR_RETURN(Stmt get, Stmt::Prepare(db_, std::string("SELECT ") + kLocationColumns +
                                                       " FROM chunks c WHERE c.id = ?1"));
  HM_ASSIGN_OR_RETURN(Stmt drop, Stmt::Prepare(db_, "DELETE FROM chunks WHERE id = ?1"));
  for (int64_t id : ids) {
    used.Reset();
    used.Bind(1, id);
    HM_ASSIGN_OR_RETURN(bool still_used, used.Step());
    if (still_used) continue;
    get.Reset();
    get.Bind(1, id);
    HM_ASSIGN_OR_RETURN(bool row, get.Step());
    if (row) orphans.push_back(ReadLocation(get));
    drop.Reset();
    drop.Bind(1, id);
    HM_RETURN_IF_ERROR(drop.Run());
  }
  HM_RETURN_IF_ERROR(txn.Commit());
  return orphans;
}

Result<int64_t> ChunkCatalog::MaxPackId() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, "SELECT COALESCE(MAX(pack), 0) FROM chunks"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : int64_t{0};
}

Result<std::pair<uint64_t, uint64_t>> ChunkCatalog::Totals() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT (SELECT COUNT(*) FROM chunked_objects), "
                                             "(SELECT COALESCE(SUM(stored_size), 0) FROM chunks "
                                             "WHERE id IN (SELECT chunk_id FROM object_chunks))"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::pair<uint64_t, uint64_t>(0, 0);
  return std::pair<uint64_t, uint64_t>(static_cast<uint64_t>(st.Int(0)),
                                       static_cast<uint64_t>(st.Int(1)));
}

Result<std::vector<PackObjectRow>> ChunkCatalog::ListObjects() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT sha256, git_sha1, size, committed_at FROM "
                                             "chunked_objects ORDER BY sha256"));
  std::vector<PackObjectRow> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(PackObjectRow{st.Text(0), st.Text(1), static_cast<uint64_t>(st.Int(2)),
                                   st.Int(3)});
  }
  return out;
}

Result<std::vector<ChunkLocation>> ChunkCatalog::PackChunks(int64_t pack) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kLocationColumns +
                                                      " FROM chunks c WHERE c.pack = ?1 ORDER BY "
                                                      "c.offset"));
  st.Bind(1, pack);
  return ReadLocations(st);
}

Result<uint64_t> ChunkCatalog::PackEnd(int64_t pack) {
  std::lock_guard<std::mutex> lock(mu_);
  // Chunks of a pack never overlap: the one at the highest offset ends last.
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "SELECT offset + stored_size FROM chunks WHERE "
                                             "pack = ?1 ORDER BY offset DESC LIMIT 1"));
  st.Bind(1, pack);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<uint64_t>(st.Int(0)) : uint64_t{0};
}

Status ChunkCatalog::RelocateChunks(int64_t from_pack, int64_t to_pack,
                                    const std::vector<ChunkMove>& moves) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                             "UPDATE chunks SET pack = ?1, offset = ?2 WHERE id = "
                                             "?3 AND pack = ?4 AND offset = ?5"));
  for (const ChunkMove& move : moves) {
    st.Reset();
    st.Bind(1, to_pack)
        .Bind(2, AsInt(move.new_offset))
        .Bind(3, move.id)
        .Bind(4, from_pack)
        .Bind(5, AsInt(move.old_offset));
    HM_RETURN_IF_ERROR(st.Run());
  }
  // Anything still naming the old pack would dangle once it is deleted: a
  // chunk appended there after the caller listed the pack. Refuse.
  HM_ASSIGN_OR_RETURN(Stmt left, Stmt::Prepare(db_, "SELECT 1 FROM chunks WHERE pack = ?1 LIMIT 1"));
  left.Bind(1, from_pack);
  HM_ASSIGN_OR_RETURN(bool remaining, left.Step());
  if (remaining) {
    return Status::Unavailable("chunk catalog: pack " + std::to_string(from_pack) +
                               " gained chunks while being compacted");
  }
  return txn.Commit();
}

}  // namespace hubmirror
