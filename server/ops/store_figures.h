// StoreFigures: what the store holds (objects, logical and physical bytes),
// computed from the index and the xorb catalog and kept for a few seconds
// (or until an object is added or removed), so that /metrics scrapes and UI
// page views do not each walk every entry.
//
// Thread-safe; concurrent callers within the TTL share one computation.
#pragma once

#include <cstdint>
#include <mutex>

#include "server/ops/metrics.h"
#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/status.h"
#include "store/upkeep/storage_usage.h"

namespace hubmirror {

class StoreFigures {
 public:
  StoreFigures(Index* index, ChunkedObjectStore* store, Env* env, int64_t ttl_micros = 10'000'000)
      : index_(index), store_(store), env_(env), ttl_micros_(ttl_micros) {}

  // The latest usage, recomputed when older than the TTL.
  Result<StorageUsage> Get();

 private:
  Index* index_;
  ChunkedObjectStore* store_;
  Env* env_;
  const int64_t ttl_micros_;
  std::mutex mu_;
  bool valid_ = false;           // guarded by mu_
  int64_t computed_at_ = 0;      // guarded by mu_ (monotonic)
  StorageUsage usage_;           // guarded by mu_
  std::pair<uint64_t, uint64_t> totals_;  // index object totals at computation; guarded by mu_
};

// hubmirror_store_objects, hubmirror_store_logical_bytes (distinct objects'
// sizes, i.e. after file-level dedup), hubmirror_store_files_bytes (every
// stored file of every revision, before dedup) and
// hubmirror_store_physical_bytes (what the chunks occupy after chunk-level
// dedup and compression). NaN when the figures cannot be read.
void RegisterStoreGauges(MetricsRegistry* registry, StoreFigures* figures);

}  // namespace hubmirror
