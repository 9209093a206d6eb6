// Storage accounting: what the mirrored repos would weigh without dedup, with
// file-level dedup, and what the chunked store actually keeps.
//
//   logical_bytes      sum of the sizes of every stored file of every known
//                      commit (what clients could download)
//   unique_file_bytes  sum of the sizes of the distinct objects among them
//                      (file-level dedup: the same bytes stored once)
//   stored_bytes       sum of the stored (compressed) sizes of the distinct
//                      chunks those objects reference, plus the size of any
//                      object still kept as a legacy one-file object
//   own_bytes          the part of stored_bytes no other repo references:
//                      what removing the repo would free; for a published
//                      fine-tune, the new bytes it added next to its base
//                      (in the total: every stored byte)
//
// Per repo, a chunk or object shared with another repo counts in each; the
// total counts it once. Files whose bytes were never stored are left out.
// Read-only; safe while the server writes (figures are a point-in-time view
// per query, not one snapshot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/index/index.h"
#include "store/repo_key.h"

namespace hubmirror {

struct UsageFigures {
  uint64_t files = 0;    // file entries counted in logical_bytes
  uint64_t objects = 0;  // distinct stored objects among them
  uint64_t logical_bytes = 0;
  uint64_t unique_file_bytes = 0;
  uint64_t stored_bytes = 0;
  uint64_t own_bytes = 0;
  // 1 - stored/logical, 0 when nothing is stored.
  double saving() const {
    return logical_bytes == 0 ? 0.0
                              : 1.0 - static_cast<double>(stored_bytes) / logical_bytes;
  }
};

struct RepoUsage {
  RepoKey repo;
  UsageFigures figures;
  bool published = false;  // a hosted repo ([publish]), pushed to this mirror
};

struct StorageUsage {
  std::vector<RepoUsage> repos;  // sorted as Index::ListRepos
  UsageFigures total;
  XetPullFigures xet_pull;       // what pulls over Xet saved, all time
};

Result<StorageUsage> ComputeStorageUsage(Index* index, ChunkedObjectStore* store);

// {"repos":[{"type":"model","id":"org/name","files":..,"logical_bytes":..,
//   "unique_file_bytes":..,"stored_bytes":..,"own_bytes":..,"saving":0.42,
//   "published":false}],"total":{...},
//  "xet_pull":{"files":..,"fetched_bytes":..,"saved_bytes":..}}
// (the body of GET /api/admin/storage).
std::string StorageUsageJson(const StorageUsage& usage);
// A human table for `hubmirror du`.
std::string StorageUsageTable(const StorageUsage& usage);

}  // namespace hubmirror
