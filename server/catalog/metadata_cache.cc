#include "server/catalog/metadata_cache.h"

namespace hubmirror {
namespace {

std::string Key(const RepoKey& repo, const std::string& a) {
  std::string key = repo.ToString();
  key.push_back('\n');
  key += a;
  return key;
}

std::string Key(const RepoKey& repo, const std::string& a, const std::string& b) {
  std::string key = Key(repo, a);
  key.push_back('\n');
  key += b;
  return key;
}

}  // namespace

template <typename Map, typename Value>
void MetadataCache::Insert(Map* map, std::string key, Value value) {
  if (map->size() >= kMaxEntries) map->clear();
  (*map)[std::move(key)] = std::move(value);
}

std::optional<RefRecord> MetadataCache::GetRef(const RepoKey& repo, const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = refs_.find(Key(repo, ref));
  if (it == refs_.end()) return std::nullopt;
  return it->second;
}

void MetadataCache::PutRef(const RepoKey& repo, const std::string& ref, const RefRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  Insert(&refs_, Key(repo, ref), record);
}

bool MetadataCache::HasCommit(const RepoKey& repo, const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  return commits_.count(Key(repo, commit)) > 0;
}

void MetadataCache::PutCommit(const RepoKey& repo, const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (commits_.size() >= kMaxEntries) commits_.clear();
  commits_.insert(Key(repo, commit));
}

std::optional<std::string> MetadataCache::GetInfo(const RepoKey& repo, const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = infos_.find(Key(repo, commit));
  if (it == infos_.end()) return std::nullopt;
  return it->second;
}

void MetadataCache::PutInfo(const RepoKey& repo, const std::string& commit,
                            const std::string& info_json) {
  std::lock_guard<std::mutex> lock(mu_);
  Insert(&infos_, Key(repo, commit), info_json);
}

std::optional<EntryRecord> MetadataCache::GetEntry(const RepoKey& repo, const std::string& commit,
                                                   const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Key(repo, commit, path));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void MetadataCache::PutEntry(const RepoKey& repo, const std::string& commit,
                             const EntryRecord& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  Insert(&entries_, Key(repo, commit, entry.path), entry);
}

}  // namespace hubmirror
