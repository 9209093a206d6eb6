// ChunkCatalog: where the chunks of a chunked store live, in its own SQLite
// database (root/chunks/catalog.sqlite, WAL), separate from the repo index.
//
//   chunks         id (never reused) -> fingerprint (XXH3-128), pack, offset, stored size,
//                  raw size, compression. Fingerprints are NOT unique: xxHash
//                  is not collision-resistant, so two different chunks may
//                  share one; the store reuses a chunk only after comparing
//                  its bytes (see pack_object_store.h).
//   chunked_objects  sha256 -> size, git sha1 (what Commit() verified)
//   object_chunks  (object sha256, seq) -> chunk id: the object's bytes are
//                  the chunks' raw bytes in seq order.
//
// Garbage collection (retention.h) works from these tables: live chunks are
// those named by object_chunks; compaction copies a pack's live chunks into
// a new pack, repoints their rows in one transaction and deletes the old pack.
//
// Thread-safe: one connection, serialized by an internal mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/status.h"

struct sqlite3;

namespace hubmirror {

enum class ChunkCompression : int { kNone = 0, kZstd = 1 };

struct ChunkFingerprint {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const ChunkFingerprint&) const = default;
};

// Where a chunk's bytes are: pack file `pack`, [offset, offset+stored_size).
struct ChunkLocation {
  int64_t id = 0;  // catalog row id; 0 for a chunk not yet committed
  int64_t pack = 0;
  uint64_t offset = 0;
  uint64_t stored_size = 0;
  uint64_t raw_size = 0;
  ChunkCompression compression = ChunkCompression::kNone;
};

// A chunk a writer appended to a pack and now commits.
struct NewChunk {
  ChunkFingerprint fingerprint;
  ChunkLocation location;
};

// One element of an object's chunk list at commit: an existing chunk (by id,
// with the fingerprint and raw size of the bytes the writer compared) or the
// index into the NewChunk list of the same commit.
struct ChunkRef {
  bool is_new = false;
  int64_t id = 0;        // when !is_new
  size_t new_index = 0;  // when is_new
  ChunkFingerprint fingerprint;  // when !is_new
  uint64_t raw_size = 0;         // when !is_new
};

struct PackObjectRow {
  std::string sha256;
  std::string git_sha1;
  uint64_t size = 0;
  // When CommitObject published it (SQLite's clock, micros since the epoch;
  // 0 for objects committed before this was recorded). Read-only.
  int64_t committed_at_micros = 0;
};

// A chunk copied by compaction from one pack to another.
struct ChunkMove {
  int64_t id = 0;
  uint64_t old_offset = 0;
  uint64_t new_offset = 0;
};

class ChunkCatalog {
 public:
  static Result<std::unique_ptr<ChunkCatalog>> Open(const std::string& path);
  ~ChunkCatalog();
  ChunkCatalog(const ChunkCatalog&) = delete;
  ChunkCatalog& operator=(const ChunkCatalog&) = delete;

  // Committed chunks with this fingerprint (usually 0 or 1).
  Result<std::vector<ChunkLocation>> FindByFingerprint(const ChunkFingerprint& fp);
  Result<std::optional<PackObjectRow>> GetObject(const std::string& sha256);
  // The object's chunks in order (empty for an empty object).
  Result<std::vector<ChunkLocation>> ObjectChunks(const std::string& sha256);
  // In ONE transaction: inserts `fresh` chunks and, unless the object is
  // already present, the object and its chunk list. Returns false when the
  // object was already present (nothing inserted). The caller must have
  // made the packs holding `fresh` durable first. Unavailable when an
  // existing chunk of `refs` was removed meanwhile, or its row no longer has
  // the ref's fingerprint and raw size (nothing inserted).
  Result<bool> CommitObject(const PackObjectRow& object, const std::vector<NewChunk>& fresh,
                            const std::vector<ChunkRef>& refs);
  // Forgets an object and deletes the rows of its chunks no other object
  // references; returns those chunks (their pack bytes are now garbage that
  // the store may cut off a pack's tail). NotFound if absent.
  Result<std::vector<ChunkLocation>> RemoveObject(const std::string& sha256);
  // Largest pack id any chunk names (0 if none).
  Result<int64_t> MaxPackId();
  // Number of chunked objects and sum of stored sizes of all chunks.
  Result<std::pair<uint64_t, uint64_t>> Totals();

  // For garbage collection and compaction:
  // Every object, sorted by sha256.
  Result<std::vector<PackObjectRow>> ListObjects();
  // The chunks stored in `pack`, by offset.
  Result<std::vector<ChunkLocation>> PackChunks(int64_t pack);
  // Where the last chunk stored in `pack` ends (0 when it holds none).
  Result<uint64_t> PackEnd(int64_t pack);
  // In ONE transaction, repoints moved chunks from `from_pack` to `to_pack`
  // (a row already removed is skipped). Unavailable, with nothing changed,
  // if any chunk still names `from_pack` afterwards.
  Status RelocateChunks(int64_t from_pack, int64_t to_pack, const std::vector<ChunkMove>& moves);

 private:
  explicit ChunkCatalog(sqlite3* db);
  std::mutex mu_;
  sqlite3* db_;  // owned; guarded by mu_
};

}  // namespace hubmirror
