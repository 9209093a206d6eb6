#include "store/upkeep/storage_usage.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "store/human_format.h"

namespace hubmirror {
namespace {

// Footprints looked up once per object across all repos.
class FootprintCache {
 public:
  explicit FootprintCache(ChunkedObjectStore* store) : store_(store) {}
  // Null when the object is not stored.
  Result<const ObjectFootprint*> Get(const std::string& sha256) {
    auto it = cache_.find(sha256);
    if (it == cache_.end()) {
      auto fp = store_->Footprint(sha256);
      std::optional<ObjectFootprint> value;
      if (fp.ok()) {
        value = std::move(fp).value();
      } else if (!fp.status().IsNotFound() &&
                 fp.status().code() != StatusCode::kInvalidArgument) {
        return std::move(fp).status();
      }
      it = cache_.emplace(sha256, std::move(value)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

 private:
  ChunkedObjectStore* store_;
  std::unordered_map<std::string, std::optional<ObjectFootprint>> cache_;
};

// Adds objects to a figure, counting each object and chunk once.
class UsageAccumulator {
 public:
  void AddFile(const std::string& sha256, const ObjectFootprint& fp) {
    figures_.files++;
    figures_.logical_bytes += fp.size;
    if (!objects_.insert(sha256).second) return;
    figures_.objects++;
    figures_.unique_file_bytes += fp.size;
    if (fp.legacy_file) {
      figures_.stored_bytes += fp.size;
      legacy_.emplace_back(sha256, fp.size);
    }
    for (const auto& [id, stored] : fp.chunks) {
      if (chunks_.emplace(id, stored).second) figures_.stored_bytes += stored;
    }
  }
  // Counts this repo's distinct chunks and legacy objects into `refs`.
  void CountReferences(std::unordered_map<int64_t, int>* chunk_refs,
                       std::unordered_map<std::string, int>* legacy_refs) const {
    for (const auto& [id, stored] : chunks_) ++(*chunk_refs)[id];
    for (const auto& [sha256, size] : legacy_) ++(*legacy_refs)[sha256];
  }
  // Stored bytes no other repo references (counts from CountReferences).
  uint64_t OwnBytes(const std::unordered_map<int64_t, int>& chunk_refs,
                    const std::unordered_map<std::string, int>& legacy_refs) const {
    uint64_t own = 0;
    for (const auto& [id, stored] : chunks_) {
      if (chunk_refs.at(id) == 1) own += stored;
    }
    for (const auto& [sha256, size] : legacy_) {
      if (legacy_refs.at(sha256) == 1) own += size;
    }
    return own;
  }
  const UsageFigures& figures() const { return figures_; }

 private:
  UsageFigures figures_;
  std::unordered_set<std::string> objects_;
  std::unordered_map<int64_t, uint64_t> chunks_;           // distinct, with stored size
  std::vector<std::pair<std::string, uint64_t>> legacy_;  // distinct legacy objects, with size
};

nlohmann::json FiguresJson(const UsageFigures& f) {
  return {{"files", f.files},
          {"objects", f.objects},
          {"logical_bytes", f.logical_bytes},
          {"unique_file_bytes", f.unique_file_bytes},
          {"stored_bytes", f.stored_bytes},
          {"own_bytes", f.own_bytes},
          {"saving", f.saving()}};
}

std::string Row(const std::string& name, const UsageFigures& f) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%-48s %8" PRIu64 " %16" PRIu64 " %16" PRIu64 " %16" PRIu64
                " %16" PRIu64 " %6.1f%%\n",
                name.c_str(), f.files, f.logical_bytes, f.unique_file_bytes, f.stored_bytes,
                f.own_bytes, 100.0 * f.saving());
  return buf;
}

}  // namespace

Result<StorageUsage> ComputeStorageUsage(Index* index, ChunkedObjectStore* store) {
  StorageUsage usage;
  FootprintCache footprints(store);
  UsageAccumulator total;
  HM_ASSIGN_OR_RETURN(std::vector<RepoKey> repos, index->ListRepos());
  HM_ASSIGN_OR_RETURN(std::vector<HostedRepoRecord> hosted, index->ListHostedRepos());
  std::set<std::string> published;
  for (const HostedRepoRecord& h : hosted) published.insert(h.repo.ToString());
  std::vector<UsageAccumulator> per_repo;
  for (const RepoKey& repo : repos) {
    HM_ASSIGN_OR_RETURN(std::vector<RepoFileObject> files, index->ListRepoFileObjects(repo));
    UsageAccumulator acc;
    for (const RepoFileObject& file : files) {
      if (file.sha256.empty()) continue;
      HM_ASSIGN_OR_RETURN(const ObjectFootprint* fp, footprints.Get(file.sha256));
      if (fp == nullptr) continue;
      acc.AddFile(file.sha256, *fp);
      total.AddFile(file.sha256, *fp);
    }
    usage.repos.push_back(RepoUsage{repo, acc.figures(), published.count(repo.ToString()) != 0});
    per_repo.push_back(std::move(acc));
  }
  // What each repo alone holds: chunks (and legacy objects) no other repo
  // references. For a published fine-tune, the bytes it added to the store.
  std::unordered_map<int64_t, int> chunk_refs;
  std::unordered_map<std::string, int> legacy_refs;
  for (const UsageAccumulator& acc : per_repo) acc.CountReferences(&chunk_refs, &legacy_refs);
  for (size_t i = 0; i < per_repo.size(); ++i) {
    usage.repos[i].figures.own_bytes = per_repo[i].OwnBytes(chunk_refs, legacy_refs);
  }
  usage.total = total.figures();
  usage.total.own_bytes = usage.total.stored_bytes;
  HM_ASSIGN_OR_RETURN(usage.xet_pull, store->XetPullTotals());
  return usage;
}

std::string StorageUsageJson(const StorageUsage& usage) {
  nlohmann::json repos = nlohmann::json::array();
  for (const RepoUsage& r : usage.repos) {
    nlohmann::json j = FiguresJson(r.figures);
    j["type"] = RepoTypeName(r.repo.type);
    j["id"] = r.repo.id;
    j["published"] = r.published;
    repos.push_back(std::move(j));
  }
  return nlohmann::json{{"repos", std::move(repos)},
                        {"total", FiguresJson(usage.total)},
                        {"xet_pull",
                         {{"files", usage.xet_pull.files},
                          {"fetched_bytes", usage.xet_pull.fetched_bytes},
                          {"saved_bytes", usage.xet_pull.saved_bytes}}}}
      .dump();
}

std::string StorageUsageTable(const StorageUsage& usage) {
  char header[256];
  std::snprintf(header, sizeof(header), "%-48s %8s %16s %16s %16s %16s %7s\n", "repo", "files",
                "logical", "file-dedup", "stored", "own", "saving");
  std::string out = header;
  for (const RepoUsage& r : usage.repos) {
    out += Row(r.repo.DisplayId() + (r.published ? " (published)" : ""), r.figures);
  }
  out += Row("total", usage.total);
  if (usage.xet_pull.files > 0) {
    out += "pulled over Xet: " + std::to_string(usage.xet_pull.files) + " files, " +
           FormatByteSize(usage.xet_pull.fetched_bytes) + " fetched, " +
           FormatByteSize(usage.xet_pull.saved_bytes) +
           " taken from chunks already stored (upstream bytes saved)\n";
  }
  return out;
}

}  // namespace hubmirror
