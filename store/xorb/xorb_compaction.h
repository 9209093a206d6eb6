// Internal to the Xet-native store: what removing files leaves behind, and
// giving that space back.
//
// Removing a file (eviction, gc) drops its terms; a xorb no term names any
// more is deleted at once when nobody holds its file (xorb_files.h), else
// by the next sweep. A xorb other files still name keeps the chunks only
// the removed file used as dead bytes; compaction copies its live chunk
// records verbatim into a new xorb (new id, new hash), repoints the terms
// in one catalog transaction and deletes the old file. Readers that opened
// the old file read on through their descriptor; new readers (and readers
// whose xorb vanished before they resolved it) find the terms' new home.
//
// Every deletion takes the xorb file's exclusive lock without waiting, so a
// xorb a writer has pinned for deduplication is skipped (counted busy).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/xorb/xorb_bytes.h"
#include "store/xorb/catalog/xorb_catalog.h"
#include "store/xorb/xorb_files.h"

namespace hubmirror {

// The pieces of the store compaction works on; all must outlive the call.
struct XorbSpace {
  Env* env = nullptr;
  XorbCatalog* catalog = nullptr;
  XorbFiles* files = nullptr;
  XorbTableCache* tables = nullptr;
  std::string temp_stem;  // for rewritten xorbs: "<temp_stem>.<id>.xorb"
  // Unreferenced xorbs created after this (micros since the epoch) are
  // spared: a file naming them may be about to be committed.
  int64_t spare_unreferenced_after_micros = 0;
};

// Live record bytes of chunk `ranges` (merged, sorted) of a xorb.
uint64_t LiveRecordBytes(const XorbTable& table,
                         const std::vector<std::pair<uint32_t, uint32_t>>& ranges);

// Deletes a xorb no term names (rows and file). False when a writer holds
// it or a term names it again.
Result<bool> DeleteUnreferencedXorb(const XorbSpace& space, int64_t id);

// Compacts every xorb whose dead record bytes are at least
// `min_dead_fraction` of its records (0: any dead byte), and deletes xorbs
// with none live.
Result<CompactionReport> CompactXorbs(const XorbSpace& space, double min_dead_fraction);

// Xorb files on disk without catalog rows, and xorbs no term names, that
// no writer holds; with `trim` they are deleted.
Result<std::vector<StoreLeftover>> XorbLeftovers(const XorbSpace& space, bool trim);

}  // namespace hubmirror
