#include "store/xorb/catalog/xorb_catalog.h"


#include <algorithm>
#include <cstring>
#include <map>

#include "store/sql/open_db.h"
#include "store/xorb/catalog/catalog_columns.h"
#include "store/xorb/catalog/xorb_catalog_schema.h"
#include "store/xorb/catalog/file_row_cache.h"

namespace hubmirror {
namespace {

// Files whose rows and terms are kept in memory (a few hundred bytes each),
// and for how long (what another process on the store changed shows after).
constexpr size_t kCachedFiles = 4096;
constexpr int64_t kCachedFileMs = 1000;

using sql::Stmt;
using sql::Transaction;

using sql::kNowMicros;

using xorb_catalog::AsInt;
using xorb_catalog::HashColumn;

constexpr const char* kXorbColumns =
    "id, hash, num_chunks, raw_bytes, records_bytes, file_bytes, created_at";

XorbRow ReadXorb(const Stmt& st) {
  XorbRow row;
  row.id = st.Int(0);
  row.hash = HashColumn(st, 1);
  row.num_chunks = static_cast<uint32_t>(st.Int(2));
  row.raw_bytes = static_cast<uint64_t>(st.Int(3));
  row.records_bytes = static_cast<uint64_t>(st.Int(4));
  row.file_bytes = static_cast<uint64_t>(st.Int(5));
  row.created_at_micros = st.Int(6);
  return row;
}

constexpr const char* kFileColumns = "sha256, git_sha1, size, committed_at, xet_hash";

ChunkedObjectRow ReadFile(const Stmt& st) {
  ChunkedObjectRow row;
  row.sha256 = st.Text(0);
  row.git_sha1 = st.Text(1);
  row.size = static_cast<uint64_t>(st.Int(2));
  row.committed_at_micros = st.Int(3);
  row.xet_hash = st.Text(4);
  return row;
}

}  // namespace

Result<std::unique_ptr<XorbCatalog>> XorbCatalog::Open(const std::string& path) {
  sql::DbLocation where;
  where.sqlite_path = path;
  return Open(where);
}

Result<std::unique_ptr<XorbCatalog>> XorbCatalog::Open(sql::DbLocation where) {
  // FULL: a committed file row must survive a power loss like the xorbs it
  // names, which are fsynced before the commit.
  where.sqlite_pragmas = {"PRAGMA synchronous = FULL"};
  if (where.postgres_schema.empty()) where.postgres_schema = "hubmirror_catalog";
  HM_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> db, sql::OpenDb(where, XorbCatalogSchema()));
  return std::unique_ptr<XorbCatalog>(new XorbCatalog(std::move(db)));
}

XorbCatalog::XorbCatalog(std::unique_ptr<sql::Db> db)
    : db_(std::move(db)),
      file_cache_(std::make_unique<FileRowCache>(kCachedFiles, kCachedFileMs)) {}

XorbCatalog::~XorbCatalog() {
  find_chunk_.reset();  // handed back before the connection closes
}

Result<int64_t> XorbCatalog::AllocateXorbIds(int64_t n) {
  if (n <= 0) return Status::InvalidArgument("xorb ids: asked for " + std::to_string(n));
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("UPDATE counters SET value = value + ?1 WHERE "
                                                  "name = 'xorb_id' RETURNING value"));
  st.Bind(1, n);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Internal("xorb catalog: the id counter is missing");
  const int64_t last = st.Int(0);
  HM_ASSIGN_OR_RETURN(bool more, st.Step());
  (void)more;
  HM_RETURN_IF_ERROR(txn.Commit());
  return last - n + 1;
}

Result<int64_t> XorbCatalog::LastAllocatedXorbId() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT value FROM counters WHERE name = 'xorb_id'"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : int64_t{0};
}

Result<std::optional<ChunkHit>> XorbCatalog::FindChunk(const XetHash& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!find_chunk_) {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT xorb_id, idx, raw_size FROM "
                                                    "xorb_chunks WHERE hash = ?1 ORDER BY "
                                                    "xorb_id LIMIT 1"));
    find_chunk_ = std::make_unique<Stmt>(std::move(st));
  }
  Stmt& st = *find_chunk_;
  st.Reset();
  st.BindBlob(1, hash.bytes.data(), hash.bytes.size());
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  std::optional<ChunkHit> hit;
  if (row) {
    hit = ChunkHit{st.Int(0), static_cast<uint32_t>(st.Int(1)), static_cast<uint32_t>(st.Int(2))};
  }
  st.Reset();  // ends the read transaction the statement holds
  return hit;
}

Result<std::optional<XorbRow>> XorbCatalog::GetXorb(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kXorbColumns +
                                                      " FROM xorbs WHERE id = ?1"));
  st.Bind(1, id);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<XorbRow>();
  return std::optional<XorbRow>(ReadXorb(st));
}

Result<std::optional<XorbRow>> XorbCatalog::FindXorbByHash(const XetHash& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kXorbColumns +
                                                      " FROM xorbs WHERE hash = ?1 ORDER BY id "
                                                      "LIMIT 1"));
  st.BindBlob(1, hash.bytes.data(), hash.bytes.size());
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<XorbRow>();
  return std::optional<XorbRow>(ReadXorb(st));
}

Status XorbCatalog::InsertXorb(const NewXorb& xorb) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_RETURN_IF_ERROR(InsertXorbLocked(xorb));
  return txn.Commit();
}

Result<std::vector<XorbChunk>> XorbCatalog::XorbChunks(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT idx, hash, raw_offset, raw_size, "
                                             "record_offset, stored_size, scheme FROM xorb_chunks "
                                             "WHERE xorb_id = ?1 ORDER BY idx"));
  st.Bind(1, id);
  std::vector<XorbChunk> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (st.Int(0) != static_cast<int64_t>(out.size())) {
      return Status::DataLoss("xorb catalog: chunk table of xorb " + std::to_string(id) +
                              " has a gap at index " + std::to_string(out.size()));
    }
    XorbChunk c;
    c.hash = HashColumn(st, 1);
    c.raw_offset = static_cast<uint64_t>(st.Int(2));
    c.raw_size = static_cast<uint32_t>(st.Int(3));
    c.record_offset = static_cast<uint64_t>(st.Int(4));
    c.stored_size = static_cast<uint32_t>(st.Int(5));
    c.scheme = static_cast<XetScheme>(st.Int(6));
    out.push_back(c);
  }
  return out;
}

Result<std::optional<ChunkedObjectRow>> XorbCatalog::GetFile(const std::string& sha256) {
  if (std::optional<ChunkedObjectRow> cached = file_cache_->Row(sha256)) return cached;
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kFileColumns +
                                                      " FROM files WHERE sha256 = ?1"));
  st.Bind(1, sha256);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ChunkedObjectRow>();
  ChunkedObjectRow file = ReadFile(st);
  file_cache_->PutRow(sha256, file);
  return std::optional<ChunkedObjectRow>(std::move(file));
}

Result<std::optional<ChunkedObjectRow>> XorbCatalog::FindFileByXetHash(
    const std::string& xet_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kFileColumns +
                                                      " FROM files WHERE xet_hash = ?1 "
                                                      "ORDER BY sha256 LIMIT 1"));
  st.Bind(1, xet_hash);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ChunkedObjectRow>();
  return std::optional<ChunkedObjectRow>(ReadFile(st));
}

Result<std::vector<FileTerm>> XorbCatalog::FileTerms(const std::string& sha256, bool fresh) {
  if (!fresh) {
    if (std::optional<std::vector<FileTerm>> cached = file_cache_->Terms(sha256)) return *cached;
  }
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT xorb_id, chunk_start, chunk_end, raw_size, "
                                             "file_offset FROM file_terms WHERE file = ?1 ORDER "
                                             "BY seq"));
  st.Bind(1, sha256);
  std::vector<FileTerm> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(FileTerm{st.Int(0), static_cast<uint32_t>(st.Int(1)),
                           static_cast<uint32_t>(st.Int(2)), static_cast<uint64_t>(st.Int(3)),
                           static_cast<uint64_t>(st.Int(4))});
  }
  file_cache_->PutTerms(sha256, out);
  return out;
}

Result<std::vector<ChunkedObjectRow>> XorbCatalog::ListFiles() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kFileColumns +
                                                      " FROM files ORDER BY sha256"));
  std::vector<ChunkedObjectRow> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadFile(st));
  }
  return out;
}

Result<std::vector<XorbRow>> XorbCatalog::ListXorbs() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kXorbColumns +
                                                      " FROM xorbs ORDER BY id"));
  std::vector<XorbRow> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadXorb(st));
  }
  return out;
}

Result<uint64_t> XorbCatalog::FileCount() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM files"));
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<uint64_t>(st.Int(0)) : uint64_t{0};
}

Status XorbCatalog::InsertXorbLocked(const NewXorb& xorb) {
  {
    HM_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare(std::string("INSERT INTO xorbs (") + kXorbColumns +
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, " + kNowMicros + ")"));
    st.Bind(1, xorb.row.id)
        .BindBlob(2, xorb.row.hash.bytes.data(), xorb.row.hash.bytes.size())
        .Bind(3, static_cast<int64_t>(xorb.chunks.size()))
        .Bind(4, AsInt(xorb.row.raw_bytes))
        .Bind(5, AsInt(xorb.row.records_bytes))
        .Bind(6, AsInt(xorb.row.file_bytes));
    HM_RETURN_IF_ERROR(st.Run());
  }
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO xorb_chunks (xorb_id, idx, hash, "
                                             "raw_offset, raw_size, record_offset, stored_size, "
                                             "scheme) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  int64_t idx = 0;
  for (const XorbChunk& c : xorb.chunks) {
    st.Reset();
    st.Bind(1, xorb.row.id)
        .Bind(2, idx++)
        .BindBlob(3, c.hash.bytes.data(), c.hash.bytes.size())
        .Bind(4, AsInt(c.raw_offset))
        .Bind(5, static_cast<int64_t>(c.raw_size))
        .Bind(6, AsInt(c.record_offset))
        .Bind(7, static_cast<int64_t>(c.stored_size))
        .Bind(8, static_cast<int64_t>(c.scheme));
    HM_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

Result<bool> XorbCatalog::CommitFile(const ChunkedObjectRow& file,
                                     const std::vector<NewXorb>& xorbs,
                                     const std::vector<FileTerm>& terms) {
  std::lock_guard<std::mutex> lock(mu_);
  file_cache_->Drop(file.sha256);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT 1 FROM files WHERE sha256 = ?1"));
    st.Bind(1, file.sha256);
    HM_ASSIGN_OR_RETURN(bool present, st.Step());
    if (present) return false;  // the Transaction rolls back (nothing written)
  }
  // Every term must land inside a xorb that exists once this commits: a new
  // one, or one with a row now (a deduplicated xorb may have been removed
  // since the writer looked it up).
  std::map<int64_t, uint32_t> chunk_counts;
  for (const NewXorb& x : xorbs) chunk_counts[x.row.id] = static_cast<uint32_t>(x.chunks.size());
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT num_chunks FROM xorbs WHERE id = ?1"));
    for (const FileTerm& t : terms) {
      auto known = chunk_counts.find(t.xorb_id);
      if (known == chunk_counts.end()) {
        st.Reset();
        st.Bind(1, t.xorb_id);
        HM_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) {
          return Status::Unavailable("xorb catalog: xorb " + std::to_string(t.xorb_id) +
                                     " was removed while a file deduplicated against it");
        }
        known = chunk_counts.emplace(t.xorb_id, static_cast<uint32_t>(st.Int(0))).first;
      }
      if (t.chunk_start >= t.chunk_end || t.chunk_end > known->second) {
        return Status::Internal("xorb catalog: a term's chunk range lies outside its xorb");
      }
    }
  }
  for (const NewXorb& x : xorbs) HM_RETURN_IF_ERROR(InsertXorbLocked(x));
  {
    HM_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare(std::string("INSERT INTO files (sha256, size, git_sha1, "
                                                "xet_hash, committed_at) VALUES (?1, ?2, ?3, ?4, ") +
                                        kNowMicros + ")"));
    st.Bind(1, file.sha256).Bind(2, AsInt(file.size)).Bind(3, file.git_sha1).Bind(4, file.xet_hash);
    HM_RETURN_IF_ERROR(st.Run());
  }
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO file_terms (file, seq, xorb_id, "
                                               "chunk_start, chunk_end, raw_size, file_offset) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    int64_t seq = 0;
    for (const FileTerm& t : terms) {
      st.Reset();
      st.Bind(1, file.sha256)
          .Bind(2, seq++)
          .Bind(3, t.xorb_id)
          .Bind(4, static_cast<int64_t>(t.chunk_start))
          .Bind(5, static_cast<int64_t>(t.chunk_end))
          .Bind(6, AsInt(t.raw_size))
          .Bind(7, AsInt(t.file_offset));
      HM_RETURN_IF_ERROR(st.Run());
    }
  }
  HM_RETURN_IF_ERROR(txn.Commit());
  return true;
}

Result<std::vector<int64_t>> XorbCatalog::RemoveFile(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  file_cache_->Drop(sha256);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  {
    HM_ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM files WHERE sha256 = ?1"));
    del.Bind(1, sha256);
    HM_RETURN_IF_ERROR(del.Run());
    if (db_->Changes() == 0) return Status::NotFound("object " + sha256 + " not stored");
  }
  std::vector<int64_t> named;
  {
    HM_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare("SELECT DISTINCT xorb_id FROM file_terms WHERE file = ?1"));
    st.Bind(1, sha256);
    while (true) {
      HM_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      named.push_back(st.Int(0));
    }
  }
  {
    HM_ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM file_terms WHERE file = ?1"));
    del.Bind(1, sha256);
    HM_RETURN_IF_ERROR(del.Run());
  }
  std::vector<int64_t> orphans;
  HM_ASSIGN_OR_RETURN(Stmt used,
                      db_->Prepare("SELECT 1 FROM file_terms WHERE xorb_id = ?1 LIMIT 1"));
  for (int64_t id : named) {
    used.Reset();
    used.Bind(1, id);
    HM_ASSIGN_OR_RETURN(bool still_used, used.Step());
    if (!still_used) orphans.push_back(id);
  }
  HM_RETURN_IF_ERROR(txn.Commit());
  return orphans;
}

Result<bool> XorbCatalog::DeleteXorbIfUnreferenced(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  {
    HM_ASSIGN_OR_RETURN(Stmt used,
                        db_->Prepare("SELECT 1 FROM file_terms WHERE xorb_id = ?1 LIMIT 1"));
    used.Bind(1, id);
    HM_ASSIGN_OR_RETURN(bool still_used, used.Step());
    if (still_used) return false;
  }
  HM_ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM xorbs WHERE id = ?1"));
  del.Bind(1, id);
  HM_RETURN_IF_ERROR(del.Run());
  const bool existed = db_->Changes() > 0;
  HM_ASSIGN_OR_RETURN(Stmt chunks, db_->Prepare("DELETE FROM xorb_chunks WHERE xorb_id = ?1"));
  chunks.Bind(1, id);
  HM_RETURN_IF_ERROR(chunks.Run());
  if (existed) HM_RETURN_IF_ERROR(DoomLocked(id));
  HM_RETURN_IF_ERROR(txn.Commit());
  return existed;
}

Status XorbCatalog::DoomLocked(int64_t id) {
  if (!records_doomed_) return Status::Ok();
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("INSERT INTO doomed_xorbs (id, doomed_at) "
                                                        "VALUES (?1, ") +
                                            kNowMicros + ") ON CONFLICT DO NOTHING"));
  st.Bind(1, id);
  return st.Run();
}

Result<std::vector<int64_t>> XorbCatalog::DoomedXorbs(int64_t grace_micros) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT id FROM doomed_xorbs WHERE "
                                                        "doomed_at <= ") +
                                            kNowMicros + " - ?1 ORDER BY id"));
  st.Bind(1, grace_micros);
  std::vector<int64_t> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Int(0));
  }
  return out;
}

Status XorbCatalog::ForgetDoomedXorb(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM doomed_xorbs WHERE id = ?1"));
  st.Bind(1, id);
  return st.Run();
}

Result<std::vector<int64_t>> XorbCatalog::UnreferencedXorbs() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id FROM xorbs x WHERE NOT EXISTS (SELECT 1 "
                                             "FROM file_terms t WHERE t.xorb_id = x.id) ORDER "
                                             "BY id"));
  std::vector<int64_t> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Int(0));
  }
  return out;
}

Result<std::vector<XorbReference>> XorbCatalog::ReferencesTo(int64_t xorb_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT file, seq, chunk_start, chunk_end FROM "
                                             "file_terms WHERE xorb_id = ?1"));
  st.Bind(1, xorb_id);
  std::vector<XorbReference> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(XorbReference{st.Text(0), st.Int(1), static_cast<uint32_t>(st.Int(2)),
                                static_cast<uint32_t>(st.Int(3))});
  }
  return out;
}

Result<std::vector<std::pair<int64_t, std::vector<std::pair<uint32_t, uint32_t>>>>>
XorbCatalog::LiveRanges() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT xorb_id, chunk_start, chunk_end FROM "
                                             "file_terms ORDER BY xorb_id, chunk_start"));
  std::vector<std::pair<int64_t, std::vector<std::pair<uint32_t, uint32_t>>>> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const int64_t id = st.Int(0);
    const auto start = static_cast<uint32_t>(st.Int(1));
    const auto end = static_cast<uint32_t>(st.Int(2));
    if (out.empty() || out.back().first != id) out.push_back({id, {}});
    auto& ranges = out.back().second;
    if (!ranges.empty() && start <= ranges.back().second) {
      ranges.back().second = std::max(ranges.back().second, end);
    } else {
      ranges.push_back({start, end});
    }
  }
  return out;
}

Status XorbCatalog::ReplaceXorb(int64_t old_id, const NewXorb& replacement,
                                const std::vector<int64_t>& remap) {
  std::lock_guard<std::mutex> lock(mu_);
  file_cache_->DropAll();  // terms of files that used the old xorb move
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  std::vector<XorbReference> refs;
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT file, seq, chunk_start, chunk_end FROM "
                                               "file_terms WHERE xorb_id = ?1"));
    st.Bind(1, old_id);
    while (true) {
      HM_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      refs.push_back(XorbReference{st.Text(0), st.Int(1), static_cast<uint32_t>(st.Int(2)),
                                   static_cast<uint32_t>(st.Int(3))});
    }
  }
  if (!refs.empty()) HM_RETURN_IF_ERROR(InsertXorbLocked(replacement));
  HM_ASSIGN_OR_RETURN(Stmt update, db_->Prepare("UPDATE file_terms SET xorb_id = ?1, chunk_start "
                                                 "= ?2, chunk_end = ?3 WHERE file = ?4 AND seq = "
                                                 "?5"));
  for (const XorbReference& ref : refs) {
    const int64_t first = ref.chunk_start < remap.size() ? remap[ref.chunk_start] : -1;
    const int64_t last = ref.chunk_end - 1 < remap.size() ? remap[ref.chunk_end - 1] : -1;
    if (first < 0 || last < 0 || last - first != ref.chunk_end - 1 - ref.chunk_start) {
      return Status::Unavailable("xorb catalog: xorb " + std::to_string(old_id) +
                                 " gained references while being compacted");
    }
    update.Reset();
    update.Bind(1, replacement.row.id)
        .Bind(2, first)
        .Bind(3, last + 1)
        .Bind(4, ref.file)
        .Bind(5, ref.seq);
    HM_RETURN_IF_ERROR(update.Run());
  }
  {
    HM_ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM xorbs WHERE id = ?1"));
    del.Bind(1, old_id);
    HM_RETURN_IF_ERROR(del.Run());
    HM_ASSIGN_OR_RETURN(Stmt chunks,
                        db_->Prepare("DELETE FROM xorb_chunks WHERE xorb_id = ?1"));
    chunks.Bind(1, old_id);
    HM_RETURN_IF_ERROR(chunks.Run());
  }
  HM_RETURN_IF_ERROR(DoomLocked(old_id));
  return txn.Commit();
}

}  // namespace hubmirror
