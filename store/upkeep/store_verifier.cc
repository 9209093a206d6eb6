#include "store/upkeep/store_verifier.h"

#include <memory>

#include "store/legacy/chunk_pack.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

constexpr size_t kReadBytes = 1 << 20;

// Re-hashes one object; "" when it is sound, else what is wrong.
std::string CheckObject(ObjectStore* store, const ObjectRecord& object, std::vector<char>* buf,
                        uint64_t* bytes_read) {
  Result<std::unique_ptr<ObjectReader>> reader = store->Open(object.sha256);
  if (!reader.ok()) return "cannot open: " + reader.status().ToString();
  if ((*reader)->size() != object.size) {
    return "size " + std::to_string((*reader)->size()) + ", index says " +
           std::to_string(object.size);
  }
  Sha256Hasher sha256;
  GitBlobHasher git_sha1(object.size);
  uint64_t offset = 0;
  while (offset < object.size) {
    Result<size_t> got = (*reader)->ReadAt(offset, buf->data(), buf->size());
    if (!got.ok()) return "read failed at byte " + std::to_string(offset) + ": " +
                          got.status().ToString();
    if (*got == 0) return "ends at byte " + std::to_string(offset);
    sha256.Update(buf->data(), *got);
    git_sha1.Update(buf->data(), *got);
    offset += *got;
  }
  *bytes_read += offset;
  const std::string actual = sha256.FinishHex();
  if (actual != object.sha256) return "bytes hash to " + actual;
  if (!object.git_sha1.empty()) {
    const std::string actual_git = git_sha1.FinishHex();
    if (actual_git != object.git_sha1) {
      return "git blob id is " + actual_git + ", index says " + object.git_sha1;
    }
  }
  return "";
}

}  // namespace

Result<VerifyReport> VerifyStore(Index* index, ChunkedObjectStore* store) {
  VerifyReport report;
  std::vector<char> buf(kReadBytes);
  HM_ASSIGN_OR_RETURN(std::vector<ObjectRecord> objects, index->ListObjects());
  for (const ObjectRecord& object : objects) {
    ++report.objects_checked;
    std::string problem = CheckObject(store, object, &buf, &report.bytes_checked);
    if (!problem.empty()) report.problems.push_back("object " + object.sha256 + ": " + problem);
  }
  HM_ASSIGN_OR_RETURN(std::vector<RepoKey> repos, index->ListRepos());
  for (const RepoKey& repo : repos) {
    HM_ASSIGN_OR_RETURN(std::vector<NamedRef> refs, index->ListRefs(repo));
    for (const NamedRef& ref : refs) {
      ++report.refs_checked;
      HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> commit,
                          index->GetCommit(repo, ref.record.commit));
      if (!commit) {
        report.problems.push_back(repo.ToString() + "@" + ref.name + " names commit " +
                                  ref.record.commit + ", which the index does not hold");
      }
    }
  }
  Result<std::vector<PackTail>> tails = store->UnreferencedPackTails(/*trim=*/false);
  if (!tails.ok()) {
    report.warnings.push_back("cannot check pack tails: " + tails.status().ToString());
  } else {
    for (const PackTail& tail : *tails) {
      report.warnings.push_back(
          "pack " + PackSet::PackName(tail.pack) + ": " + std::to_string(tail.bytes()) +
          " bytes past its last committed chunk (left by an interrupted write; the next "
          "`hubmirror serve` start or `hubmirror gc` reclaims them)");
    }
  }
  return report;
}

}  // namespace hubmirror
