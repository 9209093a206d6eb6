// The pack layout (releases before the Xet-native store, which
// store/xorb/xorb_object_store.h describes): a file is a list of
// content-defined chunks (FastCDC, chunker.h) named by XXH3-128 and kept in
// large append-only pack files. The Xet-native store keeps serving a store
// in this layout (and the older one-file-per-object layout, which this store
// reads through) until `hubmirror migrate` rewrites it; nothing new is
// written here by the server. The writer stays for that reason only: tests
// build stores "of the previous release" with it.
//
// Layout under `root`:
//   chunks/catalog.sqlite   chunk and object metadata (chunk_catalog.h)
//   chunks/packs/NNNNNNNN.pack
//                           chunk bytes back to back, no framing: a run of
//                           uncompressed chunks of one file is one contiguous
//                           byte range, served with one pread
//   tmp/*.tmp               raw bytes of objects being written (ReadWritten
//                           serves in-flight downloads from them); removed on
//                           commit/abort and by CleanTemporaryFiles()
//   tmp/resume-<sha256 or git-<sha1>>.partial
//                           the same for a resumable writer: kept when it is
//                           abandoned, continued by the next one. Every temp
//                           file is flock()ed by its writer, and
//                           CleanTemporaryFiles() skips locked ones, so a
//                           sync and a serve sharing a store never delete
//                           each other's in-flight files.
//   objects/sha256/ab/...   a store written before chunking: still served
//                           (read-only fallback; Remove works on it too)
//
// Writing: Append() copies into the temp file and into a chunking buffer;
// each complete chunk is fingerprinted (XXH3-128). A chunk whose fingerprint
// is already known is reused only if its stored bytes compare EQUAL (xxHash
// is not collision-resistant and upstream bytes are untrusted), else it is
// appended to the writer's pack (zstd level 1 when that saves >= 1/4). A
// writer holds one pack exclusively while it writes, so the new chunks of one
// file are contiguous. Commit() verifies size and digests, fsyncs the pack,
// then publishes chunk rows + the object's chunk list in one SQLite
// transaction (synchronous=FULL). On DataLoss, Reset() or an abandoned writer
// nothing is visible and the chunks it appended are cut off its pack again
// (the pack is exclusively its own). After a crash, chunks appended but not
// committed stay as unreferenced garbage past the last committed chunk;
// UnreferencedPackTails(trim) at the next start (or compaction) reclaims them. Remove() deletes the catalog rows of chunks no
// other object references and cuts them off a pack's tail when they are its
// last bytes and no writer holds the pack (an import rolling back, newest
// first); such a pack is never appended to again, so no offset a reader
// looked up comes to hold other bytes. Otherwise their bytes wait for
// compaction (packs are never rewritten in place).
//
// ObjectInfo::git_sha1 is computed only when the promise names one (or names
// no sha256): hashing LFS weights twice would halve the ingest rate, and the
// git id of an LFS file's content is never looked up.
//
// Thread safety: as ObjectStore. Readers keep their pack files open, so they
// survive the store and a future GC deleting packs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/legacy/chunk_catalog.h"
#include "store/legacy/pack_compaction.h"
#include "store/object_store.h"

namespace hubmirror {

struct PackStoreOptions {
  // Pack files roll over once they exceed this size.
  uint64_t pack_target_bytes = uint64_t{1} << 30;
  // Test hook: replaces XXH3-128 (to force fingerprint collisions).
  std::function<ChunkFingerprint(const char* data, size_t n)> fingerprint_for_test;
};

// What one object occupies.
struct PackFootprint {
  uint64_t size = 0;
  // Chunk ids with their stored sizes; empty for a legacy one-file object.
  std::vector<std::pair<int64_t, uint64_t>> chunks;
  bool legacy_file = false;
};

class PackObjectStore : public ObjectStore {
 public:
  virtual Result<PackFootprint> Footprint(const std::string& sha256) = 0;
  // Object sha256s still kept in the legacy objects/sha256/ layout.
  virtual Result<std::vector<std::string>> ListLegacyObjects() = 0;
  // Removes the legacy file of an object (after it was rewritten as chunks).
  virtual Status RemoveLegacyFile(const std::string& sha256) = 0;

  // Retention (retention.h):
  // Every chunked object with when it was committed, sorted by sha256.
  virtual Result<std::vector<PackObjectRow>> ListPackObjects() = 0;
  // Bytes the store's live chunks occupy in packs (dead bytes awaiting
  // compaction not included). Scans the catalog: call it once per round.
  virtual Result<uint64_t> LiveStoredBytes() = 0;
  // Remove(), reporting how much LiveStoredBytes() dropped: the stored size
  // of the chunks no other object shares (0 for a legacy one-file object,
  // which LiveStoredBytes() does not count).
  virtual Result<uint64_t> RemoveReportingFreed(const std::string& sha256) = 0;
  // Rewrites packs with at least this fraction of dead bytes (pack_compaction.h).
  virtual Result<PackCompactionReport> CompactPacks(double min_dead_fraction) = 0;
  // Releases cached read handles no reader uses (see PackSet).
  virtual void DropIdleReadHandles() = 0;
  // Pack bytes past the last committed chunk, in packs no writer holds
  // (pack_compaction.h), which writers killed mid-ingest leave behind:
  // `hubmirror verify` reports them; with `trim` (`serve`, at start-up
  // beside CleanTemporaryFiles) they are also cut off.
  virtual Result<std::vector<PackTail>> UnreferencedPackTails(bool trim) = 0;
};

Result<std::unique_ptr<PackObjectStore>> NewPackObjectStore(
    Env* env, const std::string& root, PackStoreOptions options = {});

}  // namespace hubmirror
