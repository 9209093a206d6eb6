// Internal to the chunked store: compaction of pack files.
//
// Packs are append-only, so removing an object (eviction, gc) leaves its
// unshared chunks as dead bytes inside a pack. Compaction copies the live
// chunks of a pack with enough dead bytes verbatim into a fresh pack,
// fsyncs it, repoints their catalog rows in one transaction and deletes the
// old pack. Readers that opened the old pack keep their descriptor and read
// on undisturbed; new readers find the chunks at their new place.
//
// A pack being appended to is never touched: every writer holds an
// exclusive flock on its pack (chunk_pack.h), and compaction skips a pack
// whose lock it cannot take, in this process or any other.
#pragma once

#include <cstdint>

#include "store/legacy/chunk_catalog.h"
#include "store/legacy/chunk_pack.h"
#include "store/env.h"
#include "store/status.h"

namespace hubmirror {

struct PackCompactionReport {
  uint64_t packs_compacted = 0;  // rewritten or deleted
  uint64_t chunks_moved = 0;
  uint64_t bytes_before = 0;     // size of the packs compacted
  uint64_t bytes_after = 0;      // live bytes they held (now in new packs)
  uint64_t packs_busy = 0;       // skipped: a writer holds them
  uint64_t freed() const { return bytes_before - bytes_after; }
};

// Compacts every pack whose dead bytes are at least `min_dead_fraction` of
// its size (0 = any dead byte); a pack with no live chunk is deleted.
Result<PackCompactionReport> CompactPacks(Env* env, PackSet* packs, ChunkCatalog* catalog,
                                      double min_dead_fraction);

// Bytes of a pack past its last committed chunk: what a writer killed
// mid-ingest (SIGKILL, power loss) appended and never committed, or the
// chunks of removed objects at its end.
struct PackTail {
  int64_t pack = 0;
  uint64_t size = 0;            // of the pack file
  uint64_t referenced_end = 0;  // end of its last committed chunk
  uint64_t bytes() const { return size - referenced_end; }
};

// The packs with such a tail that no writer holds (every writer keeps its
// pack's flock until it closes it for good, so an unlocked pack is never
// appended to again). Read-only. With `trim`, the tails are also cut off
// (a pack left empty is deleted); a reader that looked up a removed
// object's chunks before may then read short, never other bytes. Meant for
// start-up, before any reader of this process exists.
Result<std::vector<PackTail>> ScanPackTails(Env* env, PackSet* packs, ChunkCatalog* catalog,
                                            bool trim);

}  // namespace hubmirror
