#include "store/entry_objects.h"

namespace hubmirror {

ObjectPromise PromiseForEntry(const EntryRecord& entry) {
  ObjectPromise promise;
  promise.size = entry.size;
  if (entry.is_lfs) {
    promise.sha256 = entry.lfs_sha256;
  } else {
    promise.git_sha1 = entry.oid;
  }
  return promise;
}

Result<std::optional<std::string>> FindStoredObject(Index* index, ObjectStore* store,
                                                    const EntryRecord& entry) {
  std::string sha256 = entry.lfs_sha256;
  if (!entry.is_lfs) {
    HM_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, index->FindObjectByGitSha1(entry.oid));
    if (object) sha256 = object->sha256;
  }
  if (sha256.empty() || !store->Contains(sha256)) return std::optional<std::string>();
  return std::optional<std::string>(sha256);
}

}  // namespace hubmirror
