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

#include "store/chunk_catalog.h"
#include "store/chunk_pack.h"
#include "store/env.h"
#include "store/status.h"

namespace hubmirror {

struct CompactionReport {
  uint64_t packs_compacted = 0;  // rewritten or deleted
  uint64_t chunks_moved = 0;
  uint64_t bytes_before = 0;     // size of the packs compacted
  uint64_t bytes_after = 0;      // live bytes they held (now in new packs)
  uint64_t packs_busy = 0;       // skipped: a writer holds them
  uint64_t freed() const { return bytes_before - bytes_after; }
};

// Compacts every pack whose dead bytes are at least `min_dead_fraction` of
// its size (0 = any dead byte); a pack with no live chunk is deleted.
Result<CompactionReport> CompactPacks(Env* env, PackSet* packs, ChunkCatalog* catalog,
                                      double min_dead_fraction);

}  // namespace hubmirror
