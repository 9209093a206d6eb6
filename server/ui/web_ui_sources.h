// WebUiSources: where the web UI gets figures that other parts of the server
// own (storage accounting, the cache hit ratio, per-repo access times, the
// state of the sync scheduler). Each provider is an optional std::function;
// an unset one is shown as "not available" and never fails a page. The
// providers are called from HTTP worker threads, concurrently, and must be
// thread-safe and quick (they run on every page view).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "server/sync/sync_run_summary.h"
#include "store/repo_key.h"
#include "store/status.h"
#include "store/upkeep/storage_usage.h"

namespace hubmirror {

struct WebUiSources {
  // Logical, deduplicated and stored bytes, in total and per repo.
  std::function<Result<StorageUsage>()> storage_usage;
  // Share of file downloads served from the store (0..1); nullopt = no data.
  std::function<std::optional<double>()> hit_ratio;
  // When a file of `repo` was last downloaded, in microseconds since the
  // epoch; nullopt = never or unknown.
  std::function<std::optional<int64_t>(const RepoKey& repo)> last_access_micros;
  // The sync scheduler's state; nullopt = no scheduler in this process.
  std::function<std::optional<SyncRunSummary>()> sync_status;
};

}  // namespace hubmirror
