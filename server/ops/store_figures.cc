#include "server/ops/store_figures.h"

#include <cmath>

namespace hubmirror {

Result<StorageUsage> StoreFigures::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = env_->MonotonicMicros();
  // A new or removed object changes the figures at once: the object totals
  // are one cheap query, the full accounting walks every entry.
  HM_ASSIGN_OR_RETURN(auto totals, index_->ObjectTotals());
  if (!valid_ || now - computed_at_ > ttl_micros_ || totals != totals_) {
    HM_ASSIGN_OR_RETURN(usage_, ComputeStorageUsage(index_, store_));
    valid_ = true;
    computed_at_ = now;
    totals_ = totals;
  }
  return usage_;
}

void RegisterStoreGauges(MetricsRegistry* registry, StoreFigures* figures) {
  auto figure = [figures](uint64_t UsageFigures::*field) {
    return [figures, field] {
      Result<StorageUsage> usage = figures->Get();
      return usage.ok() ? static_cast<double>(usage->total.*field) : std::nan("");
    };
  };
  registry->AddGaugeCallback("hubmirror_store_objects", "Distinct file contents stored.",
                             figure(&UsageFigures::objects));
  registry->AddGaugeCallback("hubmirror_store_files_bytes",
                             "Bytes of every stored file of every revision, before any dedup.",
                             figure(&UsageFigures::logical_bytes));
  registry->AddGaugeCallback("hubmirror_store_logical_bytes",
                             "Bytes of the distinct stored contents (after file-level dedup).",
                             figure(&UsageFigures::unique_file_bytes));
  registry->AddGaugeCallback("hubmirror_store_physical_bytes",
                             "Bytes the stored chunks occupy (after chunk dedup and compression).",
                             figure(&UsageFigures::stored_bytes));
}

}  // namespace hubmirror
