#include "store/upkeep/retention.h"

#include <algorithm>
#include <map>

#include "store/repo_key.h"

namespace hubmirror {
namespace {

void AddObjects(const std::vector<RepoFileObject>& files, std::set<std::string>* out) {
  for (const RepoFileObject& f : files) {
    if (!f.sha256.empty()) out->insert(f.sha256);
  }
}

// Removes one object: the index row first (a row promises bytes), then the
// bytes, then its access record. Returns the live stored bytes freed.
Result<uint64_t> RemoveStoredObject(Index* index, ChunkedObjectStore* store,
                                    RetentionDb* retention, const std::string& sha256) {
  HM_RETURN_IF_ERROR(index->RemoveObject(sha256));
  Result<uint64_t> freed = store->RemoveReportingFreed(sha256);
  if (!freed.ok() && !freed.status().IsNotFound()) return freed.status();
  HM_RETURN_IF_ERROR(retention->ForgetObject(sha256));
  return freed.ok() ? *freed : 0;
}

}  // namespace

Result<std::set<std::string>> PinnedObjects(Index* index, RetentionDb* retention) {
  std::set<std::string> pinned;
  // A published repo's bytes exist nowhere else: every revision is kept.
  HM_ASSIGN_OR_RETURN(std::vector<HostedRepoRecord> hosted, index->ListHostedRepos());
  for (const HostedRepoRecord& repo : hosted) {
    HM_ASSIGN_OR_RETURN(auto files, index->ListRepoFileObjects(repo.repo));
    AddObjects(files, &pinned);
  }
  HM_ASSIGN_OR_RETURN(std::vector<Pin> pins, retention->ListPins());
  for (const Pin& pin : pins) {
    if (pin.revision.empty()) {
      HM_ASSIGN_OR_RETURN(auto files, index->ListRepoFileObjects(pin.repo));
      AddObjects(files, &pinned);
      continue;
    }
    std::string commit;
    HM_ASSIGN_OR_RETURN(std::optional<RefRecord> ref, index->GetRef(pin.repo, pin.revision));
    if (ref) {
      commit = ref->commit;
    } else if (IsCommitSha(pin.revision)) {
      commit = pin.revision;
    } else {
      continue;  // a pin for something not synced yet
    }
    HM_ASSIGN_OR_RETURN(auto files, index->ListCommitFileObjects(pin.repo, commit));
    AddObjects(files, &pinned);
  }
  return pinned;
}

Result<std::set<std::string>> ReferencedObjects(Index* index) {
  std::set<std::string> referenced;
  HM_ASSIGN_OR_RETURN(std::vector<RepoKey> repos, index->ListRepos());
  for (const RepoKey& repo : repos) {
    HM_ASSIGN_OR_RETURN(auto files, index->ListRepoFileObjects(repo));
    AddObjects(files, &referenced);
  }
  return referenced;
}

Result<EvictionReport> EvictToFit(Index* index, ChunkedObjectStore* store,
                                  RetentionDb* retention, const EvictionOptions& options) {
  EvictionReport report;
  HM_ASSIGN_OR_RETURN(report.live_bytes_before, store->LiveStoredBytes());
  report.live_bytes_after = report.live_bytes_before;
  if (options.max_bytes == 0 || report.live_bytes_before <= options.max_bytes) return report;

  HM_ASSIGN_OR_RETURN(std::set<std::string> pinned, PinnedObjects(index, retention));
  HM_ASSIGN_OR_RETURN(auto last_access, retention->ObjectLastAccess());
  HM_ASSIGN_OR_RETURN(std::vector<ChunkedObjectRow> objects, store->ListChunkedObjects());
  struct Candidate {
    int64_t last_access;
    const ChunkedObjectRow* row;
  };
  std::vector<Candidate> candidates;
  for (const ChunkedObjectRow& row : objects) {
    if (pinned.count(row.sha256) != 0) continue;
    int64_t seen = row.committed_at_micros;
    auto it = last_access.find(row.sha256);
    if (it != last_access.end()) seen = std::max(seen, it->second);
    candidates.push_back(Candidate{seen, &row});
  }
  // Least recently served first; among equals, larger objects first (fewer
  // removals for the same space), then by sha256 for a stable order.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.last_access != b.last_access) return a.last_access < b.last_access;
    if (a.row->size != b.row->size) return a.row->size > b.row->size;
    return a.row->sha256 < b.row->sha256;
  });

  const uint64_t target = std::min(options.low_water_bytes, options.max_bytes);
  for (const Candidate& c : candidates) {
    if (report.live_bytes_after <= target || report.evicted.size() >= options.max_objects) break;
    // Counted down rather than re-measured: LiveStoredBytes() scans the
    // catalog, and a round may evict thousands of objects.
    HM_ASSIGN_OR_RETURN(uint64_t freed, RemoveStoredObject(index, store, retention, c.row->sha256));
    report.evicted.push_back(c.row->sha256);
    report.evicted_bytes += c.row->size;
    report.live_bytes_after -= std::min(freed, report.live_bytes_after);
  }
  if (!report.evicted.empty()) {
    HM_ASSIGN_OR_RETURN(report.compaction, store->CompactPacks(/*min_dead_fraction=*/0.0));
  }
  return report;
}

Result<GcReport> CollectGarbage(Index* index, ChunkedObjectStore* store, RetentionDb* retention,
                                const GcOptions& options) {
  GcReport report;
  HM_ASSIGN_OR_RETURN(std::set<std::string> referenced, ReferencedObjects(index));
  HM_ASSIGN_OR_RETURN(std::vector<ChunkedObjectRow> objects, store->ListChunkedObjects());
  for (const ChunkedObjectRow& row : objects) {
    if (referenced.count(row.sha256) != 0) continue;
    if (options.now_micros - row.committed_at_micros < options.min_age_micros) {
      ++report.kept_too_young;
      continue;
    }
    if (!options.dry_run) {
      HM_RETURN_IF_ERROR(RemoveStoredObject(index, store, retention, row.sha256).status());
    }
    report.removed_bytes += row.size;
    report.removed.push_back(row);
  }
  if (!options.dry_run) {
    HM_ASSIGN_OR_RETURN(report.compaction, store->CompactPacks(/*min_dead_fraction=*/0.0));
  }
  return report;
}

}  // namespace hubmirror
