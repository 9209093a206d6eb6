// RepoListing: what a store holds per repo, for `hubmirror ls` and the web
// UI: its refs, how many of its files are stored, their sizes, whether it
// is pinned and when a file of it was last served.
//
// Read-only; safe while a server writes (a point-in-time view per query).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/index/index.h"
#include "store/index/retention_db.h"
#include "store/upkeep/storage_usage.h"

namespace hubmirror {

struct RepoListing {
  RepoKey repo;
  std::vector<NamedRef> refs;
  uint64_t files = 0;          // file entries over every known commit
  uint64_t files_stored = 0;   // of them, those whose bytes are stored
  UsageFigures usage;          // as `hubmirror du` (stored files only)
  std::vector<std::string> pins;  // pinned revisions; "" = the whole repo
  int64_t last_access_micros = 0; // 0 = never served since recorded
};

Result<std::vector<RepoListing>> ListStoredRepos(Index* index, ChunkedObjectStore* store,
                                                 RetentionDb* retention);

// {"repos":[{"type":"model","id":"org/name","refs":{"main":"<sha>"},
//   "files":3,"files_stored":2,"logical_bytes":..,"stored_bytes":..,
//   "pinned":["main"],"last_access":"2026-...Z" or null}]}
std::string RepoListingJson(const std::vector<RepoListing>& repos);
// A human table for `hubmirror ls`.
std::string RepoListingTable(const std::vector<RepoListing>& repos, int64_t now_micros);

}  // namespace hubmirror
