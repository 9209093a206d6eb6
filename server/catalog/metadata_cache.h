// MetadataCache: the answers a busy mirror gives over and over, kept in
// memory so a cached HEAD or repo-info request touches no SQLite at all.
//
// What is cached is either immutable or carries its own freshness:
//   - refs: (repo, ref) -> commit with the time it was resolved; the caller
//     applies the same TTL as for the index, so nothing is served longer than
//     it would be from the index;
//   - commits known to the index, file entries and repo info of a commit:
//     immutable once recorded.
// Each map is bounded: past kMaxEntries it is simply emptied (a cache miss
// costs one index read). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "store/index/index.h"
#include "store/repo_key.h"

namespace hubmirror {

class MetadataCache {
 public:
  static constexpr size_t kMaxEntries = 100'000;

  std::optional<RefRecord> GetRef(const RepoKey& repo, const std::string& ref);
  void PutRef(const RepoKey& repo, const std::string& ref, const RefRecord& record);

  bool HasCommit(const RepoKey& repo, const std::string& commit);
  void PutCommit(const RepoKey& repo, const std::string& commit);

  std::optional<std::string> GetInfo(const RepoKey& repo, const std::string& commit);
  void PutInfo(const RepoKey& repo, const std::string& commit, const std::string& info_json);

  std::optional<EntryRecord> GetEntry(const RepoKey& repo, const std::string& commit,
                                      const std::string& path);
  void PutEntry(const RepoKey& repo, const std::string& commit, const EntryRecord& entry);

 private:
  template <typename Map, typename Value>
  void Insert(Map* map, std::string key, Value value);

  std::mutex mu_;
  std::unordered_map<std::string, RefRecord> refs_;       // guarded by mu_
  std::unordered_set<std::string> commits_;               // guarded by mu_
  std::unordered_map<std::string, std::string> infos_;    // guarded by mu_
  std::unordered_map<std::string, EntryRecord> entries_;  // guarded by mu_
};

}  // namespace hubmirror
