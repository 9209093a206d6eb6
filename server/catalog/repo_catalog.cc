#include "server/catalog/repo_catalog.h"

#include <nlohmann/json.hpp>

#include <fnmatch.h>

#include <algorithm>
#include <unordered_map>

#include "fetcher/hub_json.h"
#include "server/catalog/json_views.h"
#include "store/index/git_tree.h"

namespace hubmirror {
namespace {

// The entries of `tree` (sorted by path) under folder `dir` ("" = root):
// direct children, or all descendants when recursive.
Result<std::vector<EntryRecord>> EntriesUnder(const std::vector<EntryRecord>& tree,
                                              const RepoKey& repo, const std::string& commit,
                                              const std::string& dir, bool recursive) {
  if (!dir.empty()) {
    auto folder = std::find_if(tree.begin(), tree.end(),
                               [&dir](const EntryRecord& e) { return e.path == dir; });
    if (folder == tree.end() || !folder->is_directory) {
      return Status::NotFound("no folder '" + dir + "' in " + repo.ToString() + " at " + commit)
          .WithHubError(HubError::kEntryNotFound, 404);
    }
  }
  const std::string prefix = dir.empty() ? "" : dir + "/";
  std::vector<EntryRecord> out;
  for (const EntryRecord& e : tree) {
    if (e.path.rfind(prefix, 0) != 0 || e.path.size() == prefix.size()) continue;
    if (!recursive && e.path.find('/', prefix.size()) != std::string::npos) continue;
    out.push_back(e);
  }
  return out;
}

}  // namespace

RepoCatalog::RepoCatalog(const ServerOptions& options, Env* env, Index* index, Upstream* upstream)
    : options_(options),
      env_(env),
      index_(index),
      upstream_(upstream),
      failure_hold_(env, options.upstream_failure_hold_seconds) {}

Status RepoCatalog::NotMirrored(const RepoKey& repo, const std::string& what,
                                const Status& cause) {
  if (upstream_ != nullptr) {
    return Status::Unavailable("upstream unreachable (" + cause.message() + ") and " + what +
                               " of " + repo.ToString() + " is not mirrored yet");
  }
  Result<bool> known = index_->HasRepo(repo);
  if (known.ok() && *known) {
    return Status::NotFound(what + " of " + repo.ToString() + " is not mirrored (offline)")
        .WithHubError(HubError::kRevisionNotFound, 404);
  }
  return Status::NotFound(repo.ToString() + " is not mirrored (offline)")
      .WithHubError(HubError::kRepoNotFound, 404);
}

Status RepoCatalog::UpstreamFailure(const RepoKey& repo, const std::string& what,
                                    Status failure) {
  if (failure.retryable()) return NotMirrored(repo, what, failure);
  return failure;
}

Result<RevisionInfo> RepoCatalog::FetchRevision(const RepoKey& repo, const std::string& revision) {
  return revision_flight_.Do(repo.ToString() + "@" + revision, [&]() -> Result<RevisionInfo> {
    HM_ASSIGN_OR_RETURN(RevisionInfo info,
                        AskUpstream([&] { return upstream_->GetRevision(repo, revision); }));
    const bool is_commit = IsCommitSha(revision);
    if (is_commit && info.commit != revision) {
      return Status::DataLoss("upstream resolved commit " + revision + " of " + repo.ToString() +
                              " to a different commit " + info.commit);
    }
    HM_RETURN_IF_ERROR(index_->PutCommit(repo, info.commit, info.info_json));
    if (!is_commit) {
      const int64_t now = env_->NowMicros();
      HM_RETURN_IF_ERROR(index_->PutRef(repo, revision, info.commit, now));
      cache_.PutRef(repo, revision, RefRecord{info.commit, now});
    }
    return info;
  });
}

bool RepoCatalog::IsHosted(const RepoKey& repo) const {
  const size_t slash = repo.id.find('/');
  if (slash == std::string::npos) return false;
  const std::string ns = repo.id.substr(0, slash);
  for (const std::string& pattern : options_.publish.namespaces) {
    if (fnmatch(pattern.c_str(), ns.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<Resolution> RepoCatalog::ResolveHosted(const RepoKey& repo, const std::string& revision) {
  // The index is the truth, read every time: a push moves a branch at once.
  HM_ASSIGN_OR_RETURN(std::optional<HostedRepoRecord> hosted, index_->GetHostedRepo(repo));
  if (!hosted) {
    return Status::NotFound("repo " + repo.ToString() + " does not exist on this mirror")
        .WithHubError(HubError::kRepoNotFound, 404);
  }
  if (IsCommitSha(revision)) {
    HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> commit, index_->GetCommit(repo, revision));
    if (commit) return Resolution{revision, false};
  } else {
    HM_ASSIGN_OR_RETURN(std::optional<RefRecord> ref,
                        index_->GetRef(repo, revision == "HEAD" ? "main" : revision));
    if (ref) return Resolution{ref->commit, false};
  }
  return Status::NotFound("revision '" + revision + "' does not exist in " + repo.ToString())
      .WithHubError(HubError::kRevisionNotFound, 404);
}

Result<Resolution> RepoCatalog::ResolveRevision(const RepoKey& repo, const std::string& revision) {
  if (IsHosted(repo)) return ResolveHosted(repo, revision);
  const bool is_commit = IsCommitSha(revision);
  std::optional<RefRecord> known_ref;
  const int64_t ttl_micros = options_.revision_ttl_seconds * 1'000'000;
  if (is_commit) {
    if (cache_.HasCommit(repo, revision)) return Resolution{revision, false};
    HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> commit, index_->GetCommit(repo, revision));
    if (commit) {
      cache_.PutCommit(repo, revision);
      return Resolution{revision, false};  // a commit never moves
    }
  } else {
    // Offline, no branch or tag is confirmed by the upstream, however fresh.
    const bool offline = upstream_ == nullptr;
    std::optional<RefRecord> cached = cache_.GetRef(repo, revision);
    if (cached && env_->NowMicros() - cached->resolved_at_micros < ttl_micros) {
      return Resolution{cached->commit, offline};
    }
    HM_ASSIGN_OR_RETURN(known_ref, index_->GetRef(repo, revision));
    if (!known_ref && revision == "HEAD") {
      // "HEAD" (the default branch; what the JS client and repo info without
      // a revision ask for) was never resolved here, e.g. in a store filled by
      // `sync repo@main`: the last known main stands in when upstream can't
      // be asked. It is never treated as fresh.
      HM_ASSIGN_OR_RETURN(known_ref, index_->GetRef(repo, "main"));
      if (known_ref) known_ref->resolved_at_micros = 0;
    }
    if (known_ref && env_->NowMicros() - known_ref->resolved_at_micros < ttl_micros) {
      cache_.PutRef(repo, revision, *known_ref);
      return Resolution{known_ref->commit, offline};
    }
    if (known_ref && offline) return Resolution{known_ref->commit, true};
  }
  const std::string what = "revision '" + revision + "'";
  if (upstream_ == nullptr) return NotMirrored(repo, what, Status::Unavailable("offline"));

  Result<RevisionInfo> info = FetchRevision(repo, revision);
  if (!info.ok()) {
    // Stale-if-error: the last known commit of a branch beats no answer.
    if (info.status().retryable() && known_ref) return Resolution{known_ref->commit, true};
    return UpstreamFailure(repo, what, std::move(info).status());
  }
  return Resolution{info->commit, false};
}

Result<std::string> RepoCatalog::RepoInfoJson(const RepoKey& repo, const std::string& commit) {
  if (std::optional<std::string> cached = cache_.GetInfo(repo, commit)) return *cached;
  HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record, index_->GetCommit(repo, commit));
  if (record && !record->info_json.empty()) {
    cache_.PutInfo(repo, commit, record->info_json);
    return record->info_json;
  }
  // The commit was learned without its repo info (e.g. from a tree listing).
  const std::string what = "repo info at " + commit;
  if (upstream_ == nullptr || IsHosted(repo)) return NotMirrored(repo, what, Status::Unavailable("offline"));
  Result<RevisionInfo> info = FetchRevision(repo, commit);
  if (!info.ok()) return UpstreamFailure(repo, what, std::move(info).status());
  return info->info_json;
}

Status RepoCatalog::EnsureCompleteTree(const RepoKey& repo, const std::string& commit) {
  HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record, index_->GetCommit(repo, commit));
  if (record && record->tree_complete) return Status::Ok();
  const std::string what = "the file list at " + commit;
  if (upstream_ == nullptr || IsHosted(repo)) return NotMirrored(repo, what, Status::Unavailable("offline"));
  Result<bool> listed = tree_flight_.Do(repo.ToString() + "@" + commit, [&]() -> Result<bool> {
    HM_ASSIGN_OR_RETURN(std::vector<EntryRecord> tree,
                        AskUpstream([&] { return upstream_->ListTree(repo, commit); }));
    HM_RETURN_IF_ERROR(index_->PutEntries(repo, commit, tree, /*tree_complete=*/true));
    return true;
  });
  if (!listed.ok()) return UpstreamFailure(repo, what, std::move(listed).status());
  return Status::Ok();
}

Result<std::vector<EntryRecord>> RepoCatalog::FetchPathsInfo(const RepoKey& repo,
                                                             const std::string& commit,
                                                             const std::vector<std::string>& paths,
                                                             bool expand) {
  std::string key = repo.ToString() + "@" + commit + (expand ? "+" : "-");
  for (const std::string& p : paths) key += "\n" + p;
  return paths_flight_.Do(key, [&]() -> Result<std::vector<EntryRecord>> {
    HM_ASSIGN_OR_RETURN(std::vector<EntryRecord> entries, AskUpstream([&] {
                          return upstream_->PathsInfo(repo, commit, paths, expand);
                        }));
    HM_RETURN_IF_ERROR(index_->PutEntries(repo, commit, entries, /*tree_complete=*/false));
    // Entries with their lastCommit are the fuller record; keep those handy.
    if (expand) {
      for (const EntryRecord& e : entries) cache_.PutEntry(repo, commit, e);
    }
    return entries;
  });
}

std::optional<std::vector<EntryRecord>> RepoCatalog::TreeFromRepoInfo(const RepoKey& repo,
                                                                      const std::string& commit) {
  Result<std::optional<CommitRecord>> record = index_->GetCommit(repo, commit);
  if (!record.ok() || !*record || (*record)->info_json.empty()) return std::nullopt;
  Result<std::vector<EntryRecord>> files = ParseSiblingFiles((*record)->info_json);
  // The Hub's siblings of a very large repo may not hold every file (the
  // Python client then lists the tree); an empty list is not trusted either.
  constexpr size_t kMostReliableSiblings = 50'000;
  if (!files.ok() || files->empty() || files->size() > kMostReliableSiblings) return std::nullopt;
  return WithGitDirectories(std::move(files).value());
}

Result<std::vector<EntryRecord>> RepoCatalog::ListTree(const RepoKey& repo,
                                                       const std::string& commit,
                                                       const std::string& dir, bool recursive) {
  Status complete = EnsureCompleteTree(repo, commit);
  if (!complete.ok()) {
    // Never listed, and the upstream cannot list it now: the repo info
    // still names every file (a client that downloads from siblings, as
    // huggingface_hub 0.x does, never asked for the tree while online).
    const bool cannot_ask = upstream_ == nullptr || complete.retryable();
    std::optional<std::vector<EntryRecord>> derived;
    if (cannot_ask) derived = TreeFromRepoInfo(repo, commit);
    if (!derived) return complete;
    return EntriesUnder(*derived, repo, commit, dir, recursive);
  }
  if (!dir.empty()) {
    HM_ASSIGN_OR_RETURN(std::optional<EntryRecord> folder, index_->GetEntry(repo, commit, dir));
    if (!folder || !folder->is_directory) {
      return Status::NotFound("no folder '" + dir + "' in " + repo.ToString() + " at " + commit)
          .WithHubError(HubError::kEntryNotFound, 404);
    }
  }
  return index_->ListEntries(repo, commit, dir, recursive);
}

Result<std::vector<EntryRecord>> RepoCatalog::LookupEntries(const RepoKey& repo,
                                                            const std::string& commit,
                                                            const std::vector<std::string>& paths) {
  std::vector<std::optional<EntryRecord>> found(paths.size());
  std::vector<std::string> missing;
  for (size_t i = 0; i < paths.size(); ++i) {
    found[i] = cache_.GetEntry(repo, commit, paths[i]);
    if (found[i]) continue;
    HM_ASSIGN_OR_RETURN(found[i], index_->GetEntry(repo, commit, paths[i]));
    if (found[i]) {
      cache_.PutEntry(repo, commit, *found[i]);
    } else {
      missing.push_back(paths[i]);
    }
  }
  bool complete = true;
  if (!missing.empty()) {
    HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record, index_->GetCommit(repo, commit));
    complete = record && record->tree_complete;
  }
  if (!missing.empty() && !complete) {
    Result<std::vector<EntryRecord>> fetched =
        upstream_ != nullptr && !IsHosted(repo) ? FetchPathsInfo(repo, commit, missing, /*expand=*/false)
                             : Result<std::vector<EntryRecord>>(Status::Unavailable("offline"));
    if (!fetched.ok() && (upstream_ == nullptr || fetched.status().retryable())) {
      // The stored repo info names every file of the commit.
      if (std::optional<std::vector<EntryRecord>> derived = TreeFromRepoInfo(repo, commit)) {
        std::vector<EntryRecord> known;
        for (EntryRecord& e : *derived) {
          if (std::find(missing.begin(), missing.end(), e.path) != missing.end()) {
            known.push_back(std::move(e));
          }
        }
        fetched = std::move(known);
      }
    }
    // Offline without file metadata: what the index holds is all there is.
    if (!fetched.ok() && upstream_ == nullptr) fetched = std::vector<EntryRecord>{};
    // Unreachable upstream and paths the index cannot vouch for either way:
    // "not found" would be a lie that clients remember (huggingface_hub
    // writes .no_exist), so the upstream's error is the answer.
    if (!fetched.ok()) return std::move(fetched).status();
    for (EntryRecord& e : *fetched) {
      auto it = std::find(paths.begin(), paths.end(), e.path);
      if (it != paths.end()) found[it - paths.begin()] = std::move(e);
    }
  }
  std::vector<EntryRecord> entries;
  for (auto& e : found) {
    if (e) entries.push_back(std::move(*e));
  }
  return entries;
}

Result<EntryRecord> RepoCatalog::LookupFile(const RepoKey& repo, const std::string& commit,
                                            const std::string& path) {
  HM_ASSIGN_OR_RETURN(std::vector<EntryRecord> entries, LookupEntries(repo, commit, {path}));
  if (entries.empty() || entries[0].is_directory) {
    return Status::NotFound("no file '" + path + "' in " + repo.ToString() + " at " + commit)
        .WithHubError(HubError::kEntryNotFound, 404);
  }
  return std::move(entries[0]);
}

Result<bool> RepoCatalog::IsRestricted(const RepoKey& repo, const std::string& commit) {
  if (IsHosted(repo)) {
    // Settings change without a commit: asked every time.
    HM_ASSIGN_OR_RETURN(std::optional<HostedRepoRecord> hosted, index_->GetHostedRepo(repo));
    return !hosted || hosted->is_private;
  }
  constexpr size_t kMaxRestrictedCacheEntries = 65536;
  const std::string key = repo.ToString() + "@" + commit;
  {
    std::lock_guard<std::mutex> lock(restricted_mu_);
    auto it = restricted_cache_.find(key);
    if (it != restricted_cache_.end()) return it->second;
  }
  HM_ASSIGN_OR_RETURN(std::string info_json, RepoInfoJson(repo, commit));
  nlohmann::json info = nlohmann::json::parse(info_json, nullptr, false);
  if (info.is_discarded() || !info.is_object()) {
    return Status::Internal("stored repo info of " + key + " is not a JSON object");
  }
  const bool restricted = InfoIsRestricted(info);
  std::lock_guard<std::mutex> lock(restricted_mu_);
  if (restricted_cache_.size() >= kMaxRestrictedCacheEntries) restricted_cache_.clear();
  restricted_cache_[key] = restricted;
  return restricted;
}

void RepoCatalog::FillLastCommits(const RepoKey& repo, const std::string& commit,
                                  std::vector<EntryRecord>* entries) {
  std::vector<std::string> missing;
  for (const EntryRecord& e : *entries) {
    if (e.last_commit_json.empty()) missing.push_back(e.path);
  }
  if (missing.empty()) return;
  if (upstream_ != nullptr && !IsHosted(repo)) {
    // Best effort: without lastCommit the fallback below is used.
    Result<std::vector<EntryRecord>> fetched =
        FetchPathsInfo(repo, commit, missing, /*expand=*/true);
    if (fetched.ok()) {
      std::unordered_map<std::string, std::string> last_commits;
      for (EntryRecord& f : *fetched) last_commits[f.path] = std::move(f.last_commit_json);
      for (EntryRecord& e : *entries) {
        auto it = last_commits.find(e.path);
        if (it != last_commits.end() && e.last_commit_json.empty()) e.last_commit_json = it->second;
      }
    }
  }
  // Without the upstream, the commit being listed is a truthful (if not the
  // latest-touching) commit that contains the file.
  nlohmann::json fallback = {{"id", commit}, {"title", ""}, {"date", "1970-01-01T00:00:00.000Z"}};
  for (EntryRecord& e : *entries) {
    if (e.last_commit_json.empty()) e.last_commit_json = fallback.dump();
  }
}

}  // namespace hubmirror
