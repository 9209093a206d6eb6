// Retention: which stored objects may go, and making them go.
//
// Eviction (a size limit): when the live bytes of the store exceed
// `max_bytes`, the least recently served objects that no pin protects are
// removed until the live bytes are at most `low_water_bytes`; then the xorbs
// they leave dead bytes in are compacted, so the disk space is really
// returned. An object's last access is the later of its last time served
// (RetentionDb) and its commit. Index rows of evicted objects go, entries
// stay: the next request pulls the file through again.
//
// Garbage collection: objects that no file entry of any commit in the index
// references are removed (then xorbs compacted), except objects committed
// less than `min_age` ago, which a writer may be about to reference (a
// pull-through indexes its object just after committing it; an import
// commits objects before its index transaction).
//
// Both are safe while a server runs against the same store, in this process
// or another: readers keep their xorb files open (a removed object already
// being streamed completes), and xorbs a writer holds are never touched.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/index/index.h"
#include "store/index/retention_db.h"

namespace hubmirror {

struct EvictionOptions {
  uint64_t max_bytes = 0;        // 0 = no limit
  uint64_t low_water_bytes = 0;  // evict down to this (<= max_bytes)
  // Bound per call, so a server's eviction round stays short.
  size_t max_objects = 100000;
};

struct EvictionReport {
  uint64_t live_bytes_before = 0;
  uint64_t live_bytes_after = 0;
  std::vector<std::string> evicted;  // sha256s, in eviction order
  uint64_t evicted_bytes = 0;        // their logical sizes
  CompactionReport compaction;
};

struct GcOptions {
  int64_t now_micros = 0;
  int64_t min_age_micros = 3600'000'000;  // 1 hour
  bool dry_run = false;
};

struct GcReport {
  std::vector<ChunkedObjectRow> removed;  // or, with dry_run, that would be
  uint64_t removed_bytes = 0;             // their logical sizes
  uint64_t kept_too_young = 0;            // unreferenced but within min_age
  CompactionReport compaction;
};

// Objects the pins protect (see RetentionDb for what a pin covers), and
// every object of a repo published on the mirror (Index::ListHostedRepos).
Result<std::set<std::string>> PinnedObjects(Index* index, RetentionDb* retention);
// Objects any file entry of any commit in the index names.
Result<std::set<std::string>> ReferencedObjects(Index* index);

Result<EvictionReport> EvictToFit(Index* index, ChunkedObjectStore* store,
                                  RetentionDb* retention, const EvictionOptions& options);
Result<GcReport> CollectGarbage(Index* index, ChunkedObjectStore* store, RetentionDb* retention,
                                const GcOptions& options);

}  // namespace hubmirror
