#include "store/upkeep/store_verifier.h"

#include <memory>
#include <set>

#include "store/hash.h"
#include "store/xet/xet_chunker.h"
#include "store/xet/xet_hash.h"

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
  // The Xet file hash: the bytes cut into chunks again, as on ingest.
  const bool check_xet = !object.xet_hash.empty();
  XetChunker chunker;
  std::string chunk;
  std::vector<size_t> cuts;
  std::vector<XetNode> nodes;
  uint64_t offset = 0;
  while (offset < object.size) {
    Result<size_t> got = (*reader)->ReadAt(offset, buf->data(), buf->size());
    if (!got.ok()) return "read failed at byte " + std::to_string(offset) + ": " +
                          got.status().ToString();
    if (*got == 0) return "ends at byte " + std::to_string(offset);
    sha256.Update(buf->data(), *got);
    git_sha1.Update(buf->data(), *got);
    if (check_xet) {
      cuts.clear();
      chunker.Feed(reinterpret_cast<const uint8_t*>(buf->data()), *got, &cuts);
      size_t at = 0;
      for (size_t cut : cuts) {
        chunk.append(buf->data() + at, cut - at);
        nodes.push_back(XetNode{XetChunkHash(chunk.data(), chunk.size()), chunk.size()});
        chunk.clear();
        at = cut;
      }
      chunk.append(buf->data() + at, *got - at);
    }
    offset += *got;
  }
  if (!chunk.empty()) nodes.push_back(XetNode{XetChunkHash(chunk.data(), chunk.size()), chunk.size()});
  *bytes_read += offset;
  const std::string actual = sha256.FinishHex();
  if (actual != object.sha256) return "bytes hash to " + actual;
  if (check_xet) {
    const std::string actual_xet = XetFileHash(std::move(nodes)).ToHex();
    if (actual_xet != object.xet_hash) {
      return "Xet hash is " + actual_xet + ", index says " + object.xet_hash;
    }
  }
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
  // A published repo's bytes exist only here: every file its commits list
  // must be an object the index holds (and was checked above).
  std::set<std::string> indexed;
  for (const ObjectRecord& object : objects) indexed.insert(object.sha256);
  HM_ASSIGN_OR_RETURN(std::vector<HostedRepoRecord> hosted, index->ListHostedRepos());
  for (const HostedRepoRecord& h : hosted) {
    HM_ASSIGN_OR_RETURN(std::vector<RepoFileObject> files, index->ListRepoFileObjects(h.repo));
    for (const RepoFileObject& file : files) {
      if (!file.sha256.empty() && indexed.count(file.sha256) == 0) {
        report.problems.push_back("published " + h.repo.ToString() + " lists object " +
                                  file.sha256 + ", which the index does not hold");
      }
    }
  }
  // Scale-out: every catalogued xorb must be in the bucket, whole (reads
  // above may have been answered by this node's cache).
  HM_ASSIGN_OR_RETURN(std::vector<std::string> shared, store->CheckSharedXorbs());
  for (std::string& problem : shared) report.problems.push_back(std::move(problem));
  Result<std::vector<StoreLeftover>> leftovers = store->Leftovers(/*trim=*/false);
  if (!leftovers.ok()) {
    report.warnings.push_back("cannot look for leftovers: " + leftovers.status().ToString());
  } else {
    for (const StoreLeftover& leftover : *leftovers) {
      report.warnings.push_back(leftover.what + ": " + std::to_string(leftover.bytes) +
                                " bytes left by an interrupted write (the next `hubmirror "
                                "serve` start or `hubmirror gc` removes them)");
    }
  }
  return report;
}

}  // namespace hubmirror
