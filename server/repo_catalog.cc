#include "server/repo_catalog.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

namespace hubmirror {
RepoCatalog::RepoCatalog(const ServerOptions& options, Env* env, Index* index, Upstream* upstream)
    : options_(options), env_(env), index_(index), upstream_(upstream) {}

template <typename Call>
auto RepoCatalog::AskUpstream(Call&& call) -> decltype(call()) {
  const int64_t now = env_->MonotonicMicros();
  if (now < upstream_down_until_micros_.load(std::memory_order_relaxed)) {
    return Status::Unavailable("upstream failed moments ago; not asking again for " +
                               std::to_string(options_.upstream_failure_hold_seconds) + " s");
  }
  auto result = call();
  if (!result.ok() && result.status().retryable()) {
    upstream_down_until_micros_.store(
        env_->MonotonicMicros() + int64_t{options_.upstream_failure_hold_seconds} * 1'000'000,
        std::memory_order_relaxed);
  }
  return result;
}

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
      HM_RETURN_IF_ERROR(index_->PutRef(repo, revision, info.commit, env_->NowMicros()));
    }
    return info;
  });
}

Result<Resolution> RepoCatalog::ResolveRevision(const RepoKey& repo, const std::string& revision) {
  const bool is_commit = IsCommitSha(revision);
  std::optional<RefRecord> known_ref;
  if (is_commit) {
    HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> commit, index_->GetCommit(repo, revision));
    if (commit) return Resolution{revision, false};  // a commit never moves
  } else {
    HM_ASSIGN_OR_RETURN(known_ref, index_->GetRef(repo, revision));
    if (!known_ref && revision == "HEAD") {
      // "HEAD" (the default branch; what the JS client and repo info without
      // a revision ask for) was never resolved here, e.g. in a store filled by
      // `sync repo@main`: the last known main stands in when upstream can't
      // be asked. It is never treated as fresh.
      HM_ASSIGN_OR_RETURN(known_ref, index_->GetRef(repo, "main"));
      if (known_ref) known_ref->resolved_at_micros = 0;
    }
    const int64_t ttl_micros = options_.revision_ttl_seconds * 1'000'000;
    if (known_ref && (upstream_ == nullptr ||
                      env_->NowMicros() - known_ref->resolved_at_micros < ttl_micros)) {
      return Resolution{known_ref->commit, false};
    }
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
  HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record, index_->GetCommit(repo, commit));
  if (record && !record->info_json.empty()) return record->info_json;
  // The commit was learned without its repo info (e.g. from a tree listing).
  const std::string what = "repo info at " + commit;
  if (upstream_ == nullptr) return NotMirrored(repo, what, Status::Unavailable("offline"));
  Result<RevisionInfo> info = FetchRevision(repo, commit);
  if (!info.ok()) return UpstreamFailure(repo, what, std::move(info).status());
  return info->info_json;
}

Status RepoCatalog::EnsureCompleteTree(const RepoKey& repo, const std::string& commit) {
  HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record, index_->GetCommit(repo, commit));
  if (record && record->tree_complete) return Status::Ok();
  const std::string what = "the file list at " + commit;
  if (upstream_ == nullptr) return NotMirrored(repo, what, Status::Unavailable("offline"));
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
    return entries;
  });
}

Result<std::vector<EntryRecord>> RepoCatalog::ListTree(const RepoKey& repo,
                                                       const std::string& commit,
                                                       const std::string& dir, bool recursive) {
  HM_RETURN_IF_ERROR(EnsureCompleteTree(repo, commit));
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
  HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record, index_->GetCommit(repo, commit));
  const bool complete = record && record->tree_complete;

  std::vector<std::optional<EntryRecord>> found(paths.size());
  std::vector<std::string> missing;
  for (size_t i = 0; i < paths.size(); ++i) {
    HM_ASSIGN_OR_RETURN(found[i], index_->GetEntry(repo, commit, paths[i]));
    if (!found[i]) missing.push_back(paths[i]);
  }
  if (!missing.empty() && !complete && upstream_ != nullptr) {
    Result<std::vector<EntryRecord>> fetched =
        FetchPathsInfo(repo, commit, missing, /*expand=*/false);
    // Unreachable upstream: answer with what the index knows.
    if (!fetched.ok() && !fetched.status().retryable()) return std::move(fetched).status();
    if (fetched.ok()) {
      for (EntryRecord& e : *fetched) {
        auto it = std::find(paths.begin(), paths.end(), e.path);
        if (it != paths.end()) found[it - paths.begin()] = std::move(e);
      }
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

void RepoCatalog::FillLastCommits(const RepoKey& repo, const std::string& commit,
                                  std::vector<EntryRecord>* entries) {
  std::vector<std::string> missing;
  for (const EntryRecord& e : *entries) {
    if (e.last_commit_json.empty()) missing.push_back(e.path);
  }
  if (missing.empty()) return;
  if (upstream_ != nullptr) {
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
