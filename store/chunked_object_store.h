// ChunkedObjectStore: the ObjectStore that serve, sync, import and the
// maintenance commands use, with what retention, accounting, verification
// and migration need beyond reading and writing objects.
//
// Its one implementation is the Xet-native store (store/xorb/
// xorb_object_store.h): files cut into Xet chunks kept in xorbs. This
// interface is what the rest of the code (upkeep/, server/, cli/) depends
// on, so the layout can change again without touching them.
//
// Thread safety: as ObjectStore.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/env.h"
#include "store/object_store.h"
#include "store/xet/xet_hash.h"

namespace hubmirror {

// One stored object, as retention sees it.
struct ChunkedObjectRow {
  std::string sha256;
  std::string git_sha1;
  uint64_t size = 0;
  // When it was committed (micros since the epoch; 0 when unknown, e.g.
  // objects of the oldest layout).
  int64_t committed_at_micros = 0;
  std::string xet_hash;  // "" for objects of an older layout
};

// What one object occupies: the stored units (chunks) it references, each
// with a store-wide key and its stored size, so that accounting can count
// a unit shared by several objects once.
struct ObjectFootprint {
  uint64_t size = 0;
  std::vector<std::pair<int64_t, uint64_t>> chunks;
  bool legacy_file = false;  // kept whole in the oldest layout (size = stored bytes)
};

struct CompactionReport {
  uint64_t xorbs_compacted = 0;  // rewritten or deleted (packs of the older layout too)
  uint64_t chunks_moved = 0;
  uint64_t bytes_before = 0;     // size of what was compacted
  uint64_t bytes_after = 0;      // live bytes it held (now elsewhere)
  uint64_t xorbs_busy = 0;       // skipped: a writer holds or references them
  uint64_t freed() const { return bytes_before - bytes_after; }
};

// Something on disk that no committed object needs: bytes an interrupted
// write left behind. `hubmirror verify` lists them as warnings.
struct StoreLeftover {
  std::string what;  // a path or a short description
  uint64_t bytes = 0;
};

// One term of a file's Xet reconstruction: chunks [chunk_start, chunk_end)
// of the xorb named `xorb`, `raw_size` bytes of the file.
struct XetTerm {
  XetHash xorb;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;
  uint64_t raw_size = 0;
  bool operator==(const XetTerm&) const = default;
};

// A term as a Xet client fetches it: the records of its chunks lie at bytes
// [record_start, record_end) of the stored xorb (OpenXorb).
struct XetServedTerm {
  XetTerm term;
  uint64_t record_start = 0;
  uint64_t record_end = 0;  // exclusive
};

// A stored file found by its Xet hash, with its reconstruction in file order.
struct XetServedFile {
  ChunkedObjectRow row;
  std::vector<XetServedTerm> terms;
};

// What a verified Xet transfer showed about chunk `index` of some
// upstream's xorb: the chunk's hash and raw size, and where its record lies
// in that xorb (so a later transfer can ask for just the chunks around it).
struct UpstreamXorbChunk {
  uint32_t index = 0;
  XetHash hash;
  uint32_t raw_size = 0;
  uint64_t record_offset = 0;
  uint32_t record_size = 0;  // header included
  bool operator==(const UpstreamXorbChunk&) const = default;
};

// What pulls over Xet saved, summed over the store's life.
struct XetPullFigures {
  uint64_t files = 0;          // files pulled over an upstream's Xet
  uint64_t fetched_bytes = 0;  // xorb bytes they cost on the wire
  uint64_t saved_bytes = 0;    // file bytes taken from stored chunks instead
};

// A node's cache of the bucket its xorbs live in (scale-out), since start.
struct BucketCacheFigures {
  uint64_t cached_bytes = 0;   // xorb bytes in the cache now
  uint64_t fetches = 0;        // xorbs fetched from the bucket
  uint64_t fetched_bytes = 0;  // their bytes
  uint64_t evictions = 0;      // xorbs dropped from the cache to stay in its size
};

// A stored xorb's serialized bytes (chunk records and footer), as a Xet
// client or another store receives them.
struct StoredXorb {
  std::shared_ptr<RandomAccessFile> file;
  uint64_t size = 0;
};

// How long a xorb no file names yet (just imported or uploaded, its file to
// follow) is kept by leftover sweeps and compaction.
inline constexpr int64_t kUnreferencedXorbGraceMicros = int64_t{3600} * 1000000;

// Where a long store operation (migration) reports what it does; any hook
// may be empty. Called from the operation's thread.
struct StoreProgress {
  std::function<void(uint64_t objects, uint64_t bytes)> planned;
  std::function<void(const std::string& sha256, uint64_t size)> started;
  std::function<void(const std::string& sha256, uint64_t n)> bytes;
  std::function<void(const std::string& sha256, const Status& status, bool already_done)>
      finished;
};

class ChunkedObjectStore : public ObjectStore {
 public:
  virtual Result<ObjectFootprint> Footprint(const std::string& sha256) = 0;
  // Every stored object (all layouts), sorted by sha256.
  virtual Result<std::vector<ChunkedObjectRow>> ListChunkedObjects() = 0;
  // The row of one object; NotFound when it is not stored.
  virtual Result<ChunkedObjectRow> GetObjectRow(const std::string& sha256) = 0;
  // Bytes the live chunks of every object occupy on disk (dead bytes
  // awaiting compaction not included). Scans the catalog: once per round.
  virtual Result<uint64_t> LiveStoredBytes() = 0;
  // Remove(), reporting how much LiveStoredBytes() dropped.
  virtual Result<uint64_t> RemoveReportingFreed(const std::string& sha256) = 0;
  // Rewrites xorbs (and packs of the older layout) with at least this
  // fraction of dead bytes, deletes those with none live (0 = any dead byte).
  virtual Result<CompactionReport> CompactPacks(double min_dead_fraction) = 0;
  // Releases cached read handles no reader uses, so that the disk space of
  // files deleted by compaction (here or in another process) is released.
  virtual void DropIdleReadHandles() = 0;
  // What interrupted writes left that no live writer (of any process) holds.
  // With `trim` (`serve` at start-up, `gc`) it is also removed.
  virtual Result<std::vector<StoreLeftover>> Leftovers(bool trim) = 0;
  // Where the store shares its xorbs (a bucket, scale-out): one problem per
  // catalogued xorb that is not there whole. Empty for a local store.
  virtual Result<std::vector<std::string>> CheckSharedXorbs() {
    return std::vector<std::string>();
  }
  // The bucket cache's figures; nullopt for a store without a bucket.
  virtual std::optional<BucketCacheFigures> BucketCache() { return std::nullopt; }

  // Xet: the store's contents in the Hub's own units (bundles; serving and
  // accepting Xet).
  // The file's reconstruction; FailedPrecondition for an object still kept
  // in an older layout, NotFound when not stored.
  virtual Result<std::vector<XetTerm>> Reconstruction(const std::string& sha256) = 0;
  // The stored file whose Xet hash is `file_hash`, and where the records of
  // its terms lie (what a Xet client is sent); NotFound when none is.
  virtual Result<XetServedFile> FindXetFile(const XetHash& file_hash) = 0;
  // The same for the stored object `sha256`; NotFound when not stored.
  virtual Result<XetServedFile> XetFileOf(const std::string& sha256) = 0;
  virtual Result<StoredXorb> OpenXorb(const XetHash& hash) = 0;
  // Hashes of every stored xorb, sorted.
  virtual Result<std::vector<XetHash>> ListXorbs() = 0;
  // Stores a serialized xorb (records, with or without a footer) after
  // checking every chunk decodes and hashes right and the xorb's hash is
  // `hash` (InvalidArgument otherwise, nothing stored). False when one with
  // this hash is stored already. Until a file names it, a new xorb is spared
  // by sweeps for an hour (kUnreferencedXorbGraceMicros).
  virtual Result<bool> PutXorb(const XetHash& hash, std::string_view bytes) = 0;
  // Commits an object made of stored xorbs: reads it back through `terms`,
  // checks size and digests against `promise` (DataLoss otherwise, nothing
  // committed). An object already stored is left as it is.
  virtual Result<ObjectInfo> CommitReconstruction(const ObjectPromise& promise,
                                                  const std::vector<XetTerm>& terms) = 0;
  // Removes a xorb no file names (an import rolling back); OK when absent.
  virtual Status RemoveXorb(const XetHash& hash) = 0;

  // Pulling over Xet (fetcher/xet): which chunks of an upstream's xorb this
  // store holds, so that only the others cross the wire.
  // The remembered chunks of upstream xorb `xorb` in [start, end) whose
  // bytes are stored now, by index (other indices absent).
  virtual Result<std::vector<UpstreamXorbChunk>> KnownUpstreamChunks(const XetHash& xorb,
                                                                      uint32_t start,
                                                                      uint32_t end) = 0;
  // Remembers chunks of upstream xorb `xorb` (after their file verified).
  virtual Status RememberUpstreamChunks(const XetHash& xorb,
                                        const std::vector<UpstreamXorbChunk>& chunks) = 0;
  // The raw bytes of the stored chunk named `hash`; NotFound when none is.
  virtual Result<std::string> ReadChunk(const XetHash& hash) = 0;
  // The stored xorb holding chunk `hash` and that xorb's whole chunk table
  // in order (what a Xet client uploading the same bytes dedups against);
  // NotFound when no stored xorb holds it.
  virtual Result<std::pair<XetHash, std::vector<XetNode>>> XorbHoldingChunk(
      const XetHash& hash) = 0;
  // Adds a verified Xet pull to the store's totals (`hubmirror du`).
  virtual Status RecordXetPull(const XetPullFigures& figures) = 0;
  virtual Result<XetPullFigures> XetPullTotals() = 0;

  // Migration (`hubmirror migrate`):
  // Objects still kept in an older layout.
  virtual Result<std::vector<std::string>> ListLegacyObjects() = 0;
  // Rewrites every object of an older layout into the current one (each
  // verified against its sha256 on the way), then removes the old copy; a
  // layout left empty is deleted. Idempotent and safe to interrupt: an
  // object is removed from the old layout only once committed in the new.
  // Reports objects moved.
  virtual Result<uint64_t> MigrateLegacyObjects(const StoreProgress& progress = {}) = 0;
};

}  // namespace hubmirror
