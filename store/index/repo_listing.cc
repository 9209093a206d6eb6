#include "store/index/repo_listing.h"

#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "store/human_format.h"

namespace hubmirror {

Result<std::vector<RepoListing>> ListStoredRepos(Index* index, ChunkedObjectStore* store,
                                                 RetentionDb* retention) {
  HM_ASSIGN_OR_RETURN(StorageUsage usage, ComputeStorageUsage(index, store));
  std::map<std::string, UsageFigures> usage_by_repo;
  for (const RepoUsage& r : usage.repos) usage_by_repo[r.repo.ToString()] = r.figures;
  std::map<std::string, std::vector<std::string>> pins_by_repo;
  std::map<std::string, int64_t> last_access;
  if (retention != nullptr) {
    HM_ASSIGN_OR_RETURN(std::vector<Pin> pins, retention->ListPins());
    for (const Pin& pin : pins) pins_by_repo[pin.repo.ToString()].push_back(pin.revision);
    HM_ASSIGN_OR_RETURN(last_access, retention->RepoLastAccess());
  }

  HM_ASSIGN_OR_RETURN(std::vector<RepoKey> repos, index->ListRepos());
  std::vector<RepoListing> out;
  for (const RepoKey& repo : repos) {
    RepoListing listing;
    listing.repo = repo;
    const std::string key = repo.ToString();
    HM_ASSIGN_OR_RETURN(listing.refs, index->ListRefs(repo));
    HM_ASSIGN_OR_RETURN(std::vector<RepoFileObject> files, index->ListRepoFileObjects(repo));
    std::map<std::string, bool> stored;  // one store lookup per distinct object
    for (const RepoFileObject& f : files) {
      ++listing.files;
      if (f.sha256.empty()) continue;
      auto it = stored.find(f.sha256);
      if (it == stored.end()) it = stored.emplace(f.sha256, store->Contains(f.sha256)).first;
      if (it->second) ++listing.files_stored;
    }
    if (auto u = usage_by_repo.find(key); u != usage_by_repo.end()) listing.usage = u->second;
    if (auto p = pins_by_repo.find(key); p != pins_by_repo.end()) listing.pins = p->second;
    if (auto a = last_access.find(key); a != last_access.end()) listing.last_access_micros = a->second;
    out.push_back(std::move(listing));
  }
  return out;
}

std::string RepoListingJson(const std::vector<RepoListing>& repos) {
  nlohmann::json list = nlohmann::json::array();
  for (const RepoListing& r : repos) {
    nlohmann::json refs = nlohmann::json::object();
    for (const NamedRef& ref : r.refs) refs[ref.name] = ref.record.commit;
    list.push_back({{"type", RepoTypeName(r.repo.type)},
                    {"id", r.repo.id},
                    {"refs", refs},
                    {"files", r.files},
                    {"files_stored", r.files_stored},
                    {"logical_bytes", r.usage.logical_bytes},
                    {"stored_bytes", r.usage.stored_bytes},
                    {"pinned", r.pins},
                    {"last_access", r.last_access_micros == 0
                                        ? nlohmann::json(nullptr)
                                        : nlohmann::json(FormatUtcSeconds(r.last_access_micros))}});
  }
  return nlohmann::json{{"repos", list}}.dump(2, ' ', false,
                                              nlohmann::json::error_handler_t::replace);
}

std::string RepoListingTable(const std::vector<RepoListing>& repos, int64_t now_micros) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-44s %-24s %11s %12s %12s %-8s %s\n", "repo", "revisions",
                "files", "size", "stored", "pinned", "last access");
  out += line;
  for (const RepoListing& r : repos) {
    std::string revisions;
    for (const NamedRef& ref : r.refs) {
      if (!revisions.empty()) revisions += ",";
      revisions += ref.name + "@" + ref.record.commit.substr(0, 7);
    }
    if (revisions.empty()) revisions = "-";
    std::string pinned = r.pins.empty() ? "no" : "yes";
    std::string access = "never";
    if (r.last_access_micros != 0) {
      const int64_t ago = (now_micros - r.last_access_micros) / 1'000'000;
      access = FormatUtcSeconds(r.last_access_micros) + " (" +
               (ago < 120 ? std::to_string(ago) + " s" : ago < 7200 ? std::to_string(ago / 60) + " min"
                            : ago < 172800 ? std::to_string(ago / 3600) + " h"
                                           : std::to_string(ago / 86400) + " d") +
               " ago)";
    }
    const std::string files = std::to_string(r.files_stored) + "/" + std::to_string(r.files);
    std::snprintf(line, sizeof(line), "%-44s %-24s %11s %12s %12s %-8s %s\n",
                  r.repo.DisplayId().c_str(),
                  revisions.c_str(), files.c_str(), FormatByteSize(r.usage.logical_bytes).c_str(),
                  FormatByteSize(r.usage.stored_bytes).c_str(), pinned.c_str(), access.c_str());
    out += line;
  }
  return out;
}

}  // namespace hubmirror
