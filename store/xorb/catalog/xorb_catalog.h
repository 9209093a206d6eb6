// XorbCatalog: what the Xet-native store holds, in one SQLite database
// (root/xet/catalog.sqlite, WAL, synchronous=FULL).
//
//   xorbs        id -> xorb hash, chunk count, raw bytes, record bytes, file
//                size. Ids come from a counter that only grows (they name
//                the xorb's file, and a reader or a cache that looked an id up
//                must never find other bytes under it); a xorb is immutable.
//   xorb_chunks  (xorb, index) -> chunk hash, raw offset and size, record
//                offset, stored size, scheme; indexed by chunk hash for dedup.
//   files        sha256 -> size, git sha1, xet hash, commit time
//   file_terms   (file, seq) -> xorb, chunk range [start, end), raw bytes,
//                offset of the term in the file: the file's reconstruction.
//   upstream_chunks  (upstream xorb hash, index) -> chunk hash, raw size,
//                record offset and size: what Xet pulls learned about an
//                upstream's xorbs (hints only: a chunk is used only while a
//                xorb of this store holds its hash).
//
// A xorb row exists only for a xorb whose file is complete and durable; a
// term only names xorbs with rows; a file row only comes with its terms (one
// transaction each way). Garbage: a xorb no term names (after a file is
// removed), or the chunks of a xorb no term covers (compaction).
//
// Definitions: xorb_catalog.cc, and xorb_catalog_upstream.cc for what Xet
// pulls record (upstream_chunks, the pull totals in counters).
//
// Thread-safe: one connection, serialized by an internal mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/sql/open_db.h"
#include "store/status.h"
#include "store/xet/xet_hash.h"
#include "store/xet/xorb_format.h"

namespace hubmirror {
class FileRowCache;

struct XorbRow {
  int64_t id = 0;
  XetHash hash;
  uint32_t num_chunks = 0;
  uint64_t raw_bytes = 0;
  uint64_t records_bytes = 0;  // chunk records, footer excluded
  uint64_t file_bytes = 0;     // the whole file, footer included
  int64_t created_at_micros = 0;
};

// A xorb to publish with its chunk table (indices 0..n-1 in order).
struct NewXorb {
  XorbRow row;
  std::vector<XorbChunk> chunks;
};

// One term of a file's reconstruction.
struct FileTerm {
  int64_t xorb_id = 0;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;  // exclusive
  uint64_t raw_size = 0;
  uint64_t file_offset = 0;
  bool operator==(const FileTerm&) const = default;
};

// Where a stored chunk is.
struct ChunkHit {
  int64_t xorb_id = 0;
  uint32_t index = 0;
  uint32_t raw_size = 0;
};

// A term of some file naming a given xorb (compaction).
struct XorbReference {
  std::string file;
  int64_t seq = 0;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;
};

class XorbCatalog {
 public:
  static Result<std::unique_ptr<XorbCatalog>> Open(const std::string& path);
  // On a PostgreSQL schema ("hubmirror_catalog" by default) or a SQLite file.
  static Result<std::unique_ptr<XorbCatalog>> Open(sql::DbLocation where);
  ~XorbCatalog();
  XorbCatalog(const XorbCatalog&) = delete;
  XorbCatalog& operator=(const XorbCatalog&) = delete;

  // `n` fresh consecutive xorb ids (the first is returned), never handed out
  // before, in this process or any other sharing the catalog.
  Result<int64_t> AllocateXorbIds(int64_t n);
  // Largest id handed out so far (0 if none).
  Result<int64_t> LastAllocatedXorbId();

  // A stored chunk with this hash, if any (the oldest xorb holding it).
  Result<std::optional<ChunkHit>> FindChunk(const XetHash& hash);
  Result<std::optional<XorbRow>> GetXorb(int64_t id);
  // A xorb with this hash (the oldest, should there be two).
  Result<std::optional<XorbRow>> FindXorbByHash(const XetHash& hash);
  // Publishes a xorb no file names yet (its file durable under its final
  // name first); its created_at is SQLite's clock.
  Status InsertXorb(const NewXorb& xorb);
  // The xorb's chunk table, by index (empty when the xorb is unknown).
  Result<std::vector<XorbChunk>> XorbChunks(int64_t id);

  Result<std::optional<ChunkedObjectRow>> GetFile(const std::string& sha256);
  // The file whose Xet hash (hex rule) is `xet_hash`, if any.
  Result<std::optional<ChunkedObjectRow>> FindFileByXetHash(const std::string& xet_hash);
  // The file's terms in order (empty for an empty file or an unknown one).
  // With `fresh`, read from the database even when a cached copy is young
  // (a reader whose xorb moved asks again).
  Result<std::vector<FileTerm>> FileTerms(const std::string& sha256, bool fresh = false);
  // Every file, sorted by sha256.
  Result<std::vector<ChunkedObjectRow>> ListFiles();
  Result<std::vector<XorbRow>> ListXorbs();
  Result<uint64_t> FileCount();

  // In ONE transaction: the new xorbs with their chunks, then the file and
  // its terms. False (nothing written) when the file is present already.
  // Unavailable (nothing written) when a term names a xorb that has neither
  // a row nor a place in `xorbs` (removed since the writer looked it up), or
  // a chunk range outside it. The caller must have made every new xorb's
  // file durable under its final name first. `file.committed_at_micros` is
  // set from SQLite's clock.
  Result<bool> CommitFile(const ChunkedObjectRow& file, const std::vector<NewXorb>& xorbs,
                          const std::vector<FileTerm>& terms);
  // Forgets a file and its terms; returns the xorbs it named that no term
  // names any more (their rows stay: DeleteXorbIfUnreferenced). NotFound if absent.
  Result<std::vector<int64_t>> RemoveFile(const std::string& sha256);
  // Deletes a xorb's rows if no term names it; false (nothing changed) if
  // one does or the xorb is unknown.
  Result<bool> DeleteXorbIfUnreferenced(int64_t id);
  // Xorbs no term names (left by RemoveFile while a writer pinned them).
  Result<std::vector<int64_t>> UnreferencedXorbs();

  // With a bucket (scale-out), a xorb's rows go at once but its bucket
  // object only after a grace period: a reader on another node that resolved
  // the xorb before may still fetch it. When set, DeleteXorbIfUnreferenced
  // and ReplaceXorb record each xorb whose rows they delete in doomed_xorbs,
  // in the same transaction.
  void set_records_doomed_xorbs(bool on) { records_doomed_ = on; }
  // Doomed xorbs whose rows went at least `grace_micros` ago (database clock).
  Result<std::vector<int64_t>> DoomedXorbs(int64_t grace_micros);
  // Forgets a doomed xorb once its bucket object is deleted.
  Status ForgetDoomedXorb(int64_t id);

  // Rows of upstream_chunks for `xorb` in [start, end) whose chunk hash some
  // stored xorb holds, by index.
  Result<std::vector<UpstreamXorbChunk>> KnownUpstreamChunks(const XetHash& xorb, uint32_t start,
                                                              uint32_t end);
  // Upserts rows of upstream_chunks, in one transaction.
  Status RememberUpstreamChunks(const XetHash& xorb, const std::vector<UpstreamXorbChunk>& chunks);
  // Adds one verified Xet pull's figures to the running totals (counters).
  Status AddXetPull(const XetPullFigures& figures);
  Result<XetPullFigures> XetPullTotals();

  // The terms naming a xorb.
  Result<std::vector<XorbReference>> ReferencesTo(int64_t xorb_id);
  // For every xorb some term names, the chunk ranges covered, merged and
  // sorted: what is live. Xorbs in ascending id order.
  Result<std::vector<std::pair<int64_t, std::vector<std::pair<uint32_t, uint32_t>>>>> LiveRanges();
  // In ONE transaction (compaction): publishes `replacement`, repoints every
  // term naming `old_id` through `remap` (old chunk index -> new index, -1
  // for a chunk the replacement does not hold) and deletes the old xorb's
  // rows. Unavailable, with nothing changed, if a term covers a dropped
  // chunk or would not stay contiguous.
  Status ReplaceXorb(int64_t old_id, const NewXorb& replacement, const std::vector<int64_t>& remap);

 private:
  explicit XorbCatalog(std::unique_ptr<sql::Db> db);
  Status InsertXorbLocked(const NewXorb& xorb);
  // Records a xorb whose rows this transaction deletes (records_doomed_).
  Status DoomLocked(int64_t id);

  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;  // guarded by mu_
  bool records_doomed_ = false;  // set before use
  // Held once: the ingest hot path (one lookup per chunk).
  std::unique_ptr<sql::Stmt> find_chunk_;  // guarded by mu_
  // Files' rows and terms; filled and dropped under mu_, read without it.
  std::unique_ptr<FileRowCache> file_cache_;
};

}  // namespace hubmirror
