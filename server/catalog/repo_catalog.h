// RepoCatalog: the mirror's answers to metadata questions about repos.
//
// Which commit does a revision name? What is the repo info at that commit,
// its file tree, the entry of one path? The catalog answers from the Index
// and asks the Upstream only when it must:
//   - a full commit sha, once known, is never asked about again;
//   - a branch or tag is re-resolved once its resolution is older than the TTL;
//   - when the upstream is unreachable (or the server is offline) the last
//     known answer is served, marked stale.
// Everything learned upstream is written to the Index before it is returned,
// so it can be served later without the upstream.
//
// Repos in the namespaces the mirror owns (published ones) are answered
// from the Index alone, refs re-read on every question.
//
// Thread-safe (the Index and Upstream are).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fetcher/upstream.h"
#include "server/catalog/metadata_cache.h"
#include "server/options.h"
#include "server/catalog/single_flight.h"
#include "server/upstream/upstream_failure_hold.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/repo_key.h"

namespace hubmirror {

struct Resolution {
  std::string commit;
  // True when the upstream could not be asked and an expired answer was used.
  bool stale = false;
};

class RepoCatalog {
 public:
  // `upstream` is null when the server runs offline. All pointers must outlive
  // the catalog.
  RepoCatalog(const ServerOptions& options, Env* env, Index* index, Upstream* upstream);
  RepoCatalog(const RepoCatalog&) = delete;
  RepoCatalog& operator=(const RepoCatalog&) = delete;

  Result<Resolution> ResolveRevision(const RepoKey& repo, const std::string& revision);

  // Whether `repo` lies in a namespace the mirror owns ([publish]): such a
  // repo is answered from the index alone, never asked upstream.
  bool IsHosted(const RepoKey& repo) const;

  // The stored repo-info JSON of a resolved commit.
  Result<std::string> RepoInfoJson(const RepoKey& repo, const std::string& commit);

  // Entries under `dir` ("" = root), from the commit's complete tree (fetched
  // from upstream the first time). EntryNotFound when `dir` is not a folder.
  Result<std::vector<EntryRecord>> ListTree(const RepoKey& repo, const std::string& commit,
                                            const std::string& dir, bool recursive);

  // The entries of those `paths` that exist at `commit` (files or folders),
  // in the order asked. When the index does not know some of them and the
  // upstream cannot be asked, the upstream's error (offline: only what the
  // index knows).
  Result<std::vector<EntryRecord>> LookupEntries(const RepoKey& repo, const std::string& commit,
                                                 const std::vector<std::string>& paths);

  // The file at `path`: EntryNotFound when it is absent or a folder.
  Result<EntryRecord> LookupFile(const RepoKey& repo, const std::string& commit,
                                 const std::string& path);

  // Whether the upstream marks the repo gated or private at `commit` (from
  // its repo info; commits are immutable, so the answer is remembered).
  Result<bool> IsRestricted(const RepoKey& repo, const std::string& commit);

  // Gives every entry a lastCommit (for expand=true): from the index, else
  // from upstream paths-info, else the commit itself as a fallback.
  void FillLastCommits(const RepoKey& repo, const std::string& commit,
                       std::vector<EntryRecord>* entries);

  // The hold every metadata question to the upstream goes through.
  UpstreamFailureHold* failure_hold() { return &failure_hold_; }
  // Null when offline.
  Upstream* upstream() const { return upstream_; }

 private:
  Result<Resolution> ResolveHosted(const RepoKey& repo, const std::string& revision);
  Status EnsureCompleteTree(const RepoKey& repo, const std::string& commit);
  // Every entry of `commit` derived from the siblings of its stored repo
  // info, for when its tree was never listed and the upstream cannot be
  // asked; nullopt when the info lacks file metadata.
  std::optional<std::vector<EntryRecord>> TreeFromRepoInfo(const RepoKey& repo,
                                                           const std::string& commit);
  // Upstream calls, coalesced per key (SingleFlight); the one caller that
  // actually asks also records the answer in the index.
  Result<RevisionInfo> FetchRevision(const RepoKey& repo, const std::string& revision);
  Result<std::vector<EntryRecord>> FetchPathsInfo(const RepoKey& repo, const std::string& commit,
                                                  const std::vector<std::string>& paths,
                                                  bool expand);
  // A failed upstream call as the client should see it: NotMirrored when the
  // failure was transient, the upstream's verdict otherwise.
  Status UpstreamFailure(const RepoKey& repo, const std::string& what, Status failure);
  // RepoNotFound or RevisionNotFound for something the index does not hold
  // and the upstream cannot be asked about.
  Status NotMirrored(const RepoKey& repo, const std::string& what, const Status& cause);

  template <typename Call>
  auto AskUpstream(Call&& call) -> decltype(call()) {
    return failure_hold_.Ask(std::forward<Call>(call));
  }

  const ServerOptions& options_;
  Env* env_;
  Index* index_;
  Upstream* upstream_;
  UpstreamFailureHold failure_hold_;
  MetadataCache cache_;
  SingleFlight<RevisionInfo> revision_flight_;
  std::mutex restricted_mu_;
  // (repo, commit) -> restricted; bounded by kMaxRestrictedCacheEntries.
  std::map<std::string, bool> restricted_cache_;  // guarded by restricted_mu_
  SingleFlight<bool> tree_flight_;
  SingleFlight<std::vector<EntryRecord>> paths_flight_;
};

}  // namespace hubmirror
