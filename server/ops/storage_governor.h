// StorageGovernor: keeps a serving store within its size limit and records
// what was served when, on one background thread of `serve`.
//
// RecordDownload() (wired as HubServer's download listener) only appends to
// an in-memory batch; every `interval` the thread writes the batch to the
// RetentionDb in one transaction, then, when store.max_bytes is set and the
// live bytes exceed it, evicts least-recently-served unpinned objects down to
// the low-water mark and compacts packs (retention.h). A pull-through (a
// download of something not stored) wakes the thread early. Every eviction
// is logged with what it freed.
//
// It also keeps, in memory, when each repo was last served (seeded from the
// RetentionDb on first use), so pages that show it need no database read.
//
// Thread-safe. Start() once; Stop() (or the destructor) flushes the batch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/upkeep/retention.h"
#include "store/index/retention_db.h"

namespace hubmirror {

struct StorageGovernorOptions {
  uint64_t max_bytes = 0;  // 0 = no limit: only access times are recorded
  int low_water_percent = 90;
  int64_t interval_micros = 5'000'000;
};

class StorageGovernor {
 public:
  // Pointers must outlive the governor; `log` gets one line per eviction.
  StorageGovernor(StorageGovernorOptions options, Env* env, Index* index,
                  ChunkedObjectStore* store, RetentionDb* retention, FILE* log);
  ~StorageGovernor();
  StorageGovernor(const StorageGovernor&) = delete;
  StorageGovernor& operator=(const StorageGovernor&) = delete;

  void Start();
  void Stop();

  // A file of `repo` was served: the stored object `sha256`, or ("") a
  // pull-through, which also wakes the thread to check the limit soon.
  void RecordDownload(const RepoKey& repo, const std::string& sha256);

  // When a file of `repo` was last served (microseconds since the epoch),
  // including downloads not yet flushed; nullopt = never.
  std::optional<int64_t> RepoLastAccess(const RepoKey& repo);

  // One round, as the thread runs it: flush, then evict if over the limit.
  Result<EvictionReport> RunOnce();

 private:
  void Loop();

  const StorageGovernorOptions options_;
  Env* env_;
  Index* index_;
  ChunkedObjectStore* store_;
  RetentionDb* retention_;
  FILE* log_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<AccessEvent> pending_;  // guarded by mu_
  bool kicked_ = false;               // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool repo_access_loaded_ = false;   // guarded by mu_
  std::map<std::string, int64_t> repo_last_access_;  // RepoKey::ToString(); guarded by mu_
  std::mutex round_mu_;               // one round at a time
  std::thread thread_;
};

}  // namespace hubmirror
