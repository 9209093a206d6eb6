#include "fetcher/repo_sync.h"

#include "store/entry_objects.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace hubmirror {

namespace {

constexpr int kMaxConcurrency = 64;

// "acme/x@main" / "datasets/acme/x@main": how a revision is named in messages
// (the same spelling the `sync` command accepts).
std::string Describe(const RepoKey& repo, const std::string& revision) {
  return repo.DisplayId() + "@" + revision;
}

// Prefixes a failure with what was being synced and appends how to fix it.
Status SyncError(const RepoKey& repo, const std::string& revision, const std::string& file,
                 const Status& cause) {
  std::string where = "sync " + Describe(repo, revision);
  if (!file.empty()) where += ": file '" + file + "'";
  Status out(cause.code(), where + ": " + cause.message() + "; revision not published (" +
                               SyncFixHint(cause) + ")");
  return std::move(out).WithHubError(cause.hub_error(), cause.http_status());
}

}  // namespace

// One file a revision needs and does not have yet.
struct RepoSyncer::FileJob {
  const EntryRecord* entry = nullptr;
  std::string display_name;
  Status status;
};

bool SyncReport::ok() const { return FirstError().ok(); }

Status SyncReport::FirstError() const {
  for (const RevisionSyncReport& r : revisions) {
    if (!r.status.ok()) return r.status;
  }
  return Status::Ok();
}

std::string SyncFixHint(const Status& status) {
  switch (status.hub_error()) {
    case HubError::kGatedRepo:
      return "accept the repo's terms upstream and set HF_TOKEN to a token that has access";
    case HubError::kRepoNotFound:
      return "check the repo id; datasets are written datasets/org/name; a private repo needs "
             "HF_TOKEN";
    case HubError::kRevisionNotFound:
      return "check the revision: a branch, tag, refs/pr/N or full commit sha";
    case HubError::kEntryNotFound:
      return "the upstream lists a file it does not serve; re-run the sync later";
    case HubError::kDisabled:
      return "the repo is disabled upstream; remove it from the sync list";
    case HubError::kNone:
      break;
  }
  switch (status.code()) {
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return "set HF_TOKEN (or upstream.token) to a token with access to the repo";
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return "the upstream was unreachable or busy; re-run the sync, files already stored are "
             "kept";
    case StatusCode::kDataLoss:
      return "the bytes did not match their hash; re-run the sync, and if it repeats the "
             "upstream copy is corrupt";
    case StatusCode::kResourceExhausted:
      return "free disk space in the store directory, then re-run the sync";
    case StatusCode::kNotFound:
      return "check the repo id and revision";
    default:
      return "re-run the sync; files already stored are kept";
  }
}

RepoSyncer::RepoSyncer(Env* env, Index* index, ObjectStore* store, Upstream* upstream,
                       RepoSyncerOptions options)
    : env_(env), index_(index), store_(store), upstream_(upstream), options_(options) {
  options_.concurrency = std::clamp(options_.concurrency, 1, kMaxConcurrency);
}

bool RepoSyncer::cancelled() const {
  return options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed);
}

Result<SyncReport> RepoSyncer::Sync(const SyncTarget& target, TransferProgress* progress) {
  if (Status st = ValidateRepoId(target.repo.id); !st.ok()) {
    return Status::InvalidArgument("sync: bad repo id '" + target.repo.id + "': " + st.message());
  }
  for (const std::string& revision : target.revisions) {
    if (Status st = ValidateRevision(revision); !st.ok()) {
      return Status::InvalidArgument("sync " + Describe(target.repo, revision) +
                                     ": bad revision: " + st.message());
    }
  }
  NullTransferProgress null_progress;
  if (progress == nullptr) progress = &null_progress;
  SyncReport report;
  report.repo = target.repo;
  for (const std::string& revision : target.revisions) {
    report.revisions.push_back(SyncRevision(target.repo, revision, target.filter, progress));
    progress->RevisionFinished();
  }
  return report;
}

Result<std::vector<EntryRecord>> RepoSyncer::CommitTree(const RepoKey& repo,
                                                        const std::string& commit,
                                                        bool* from_index) {
  *from_index = false;
  HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> known, index_->GetCommit(repo, commit));
  if (known && known->tree_complete) {
    *from_index = true;
    return index_->ListEntries(repo, commit, "", /*recursive=*/true);
  }
  return upstream_->ListTree(repo, commit);
}

Result<bool> RepoSyncer::IsStored(const EntryRecord& entry) {
  HM_ASSIGN_OR_RETURN(std::optional<std::string> object, FindStoredObject(index_, store_, entry));
  return object.has_value();
}

RevisionSyncReport RepoSyncer::SyncRevision(const RepoKey& repo, const std::string& revision,
                                            const PathFilter& filter, TransferProgress* progress) {
  NullTransferProgress null_progress;
  if (progress == nullptr) progress = &null_progress;
  RevisionSyncReport report;
  report.revision = revision;
  auto fail = [&](const std::string& file, const Status& cause) {
    report.status = SyncError(repo, revision, file, cause);
    return report;
  };

  Result<RevisionInfo> info = upstream_->GetRevision(repo, revision);
  if (!info.ok()) return fail("", info.status());
  report.commit = info->commit;
  if (IsCommitSha(revision) && info->commit != revision) {
    return fail("", Status::DataLoss("upstream resolved commit " + revision +
                                     " to a different commit " + info->commit));
  }

  bool tree_from_index = false;
  Result<std::vector<EntryRecord>> tree = CommitTree(repo, info->commit, &tree_from_index);
  if (!tree.ok()) return fail("", tree.status());

  // Which selected files still need their bytes.
  std::vector<FileJob> jobs;
  uint64_t planned_bytes = 0;
  for (const EntryRecord& entry : *tree) {
    if (entry.is_directory || !filter.Matches(entry.path)) continue;
    ++report.files_selected;
    Result<bool> stored = IsStored(entry);
    if (!stored.ok()) return fail(entry.path, stored.status());
    std::string name = repo.DisplayId() + "/" + entry.path;
    if (*stored) {
      progress->AddPlanned(1, entry.size);
      progress->FileStarted(name, entry.size);
      progress->FileFinished(name, Status::Ok(), /*already_present=*/true);
    } else {
      jobs.push_back(FileJob{&entry, std::move(name), Status::Ok()});
      planned_bytes += entry.size;
    }
  }

  Result<std::optional<RefRecord>> ref = index_->GetRef(repo, revision);
  if (!ref.ok()) return fail("", ref.status());
  report.unchanged = jobs.empty() && tree_from_index && *ref && (*ref)->commit == info->commit;

  if (!jobs.empty()) {
    progress->AddPlanned(jobs.size(), planned_bytes);
    FetchAll(repo, info->commit, &jobs, progress);
    for (const FileJob& job : jobs) {
      if (job.status.ok()) {
        ++report.files_transferred;
        report.bytes_transferred += job.entry->size;
      } else {
        ++report.files_failed;
        if (report.status.ok())
          report.status = SyncError(repo, revision, job.entry->path, job.status);
      }
    }
    if (!report.status.ok()) return report;  // nothing published
  }

  // Every selected file is stored: publish commit, tree, and last the ref.
  const std::string& commit = info->commit;
  if (!report.unchanged) {
    if (Status st = index_->PutCommit(repo, commit, info->info_json); !st.ok()) {
      return fail("", st);
    }
    if (!tree_from_index) {
      if (Status st = index_->PutEntries(repo, commit, *tree, /*tree_complete=*/true); !st.ok()) {
        return fail("", st);
      }
    }
  }
  // A commit sha names itself; branches, tags and PRs get their ref (or a
  // fresh resolution time when it did not move).
  if (!IsCommitSha(revision)) {
    if (Status st = index_->PutRef(repo, revision, commit, env_->NowMicros()); !st.ok()) {
      return fail("", st);
    }
  }
  return report;
}

void RepoSyncer::FetchAll(const RepoKey& repo, const std::string& commit,
                          std::vector<FileJob>* jobs, TransferProgress* progress) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < jobs->size(); i = next++) {
      FileJob& job = (*jobs)[i];
      if (cancelled()) {
        job.status = Status::Unavailable("sync cancelled");
      } else {
        job.status = FetchFile(repo, commit, *job.entry, job.display_name, progress);
      }
    }
  };
  const size_t thread_count = std::min(jobs->size(), static_cast<size_t>(options_.concurrency));
  std::vector<std::thread> threads;
  threads.reserve(thread_count);
  for (size_t t = 1; t < thread_count; ++t) threads.emplace_back(worker);
  worker();  // the calling thread is one of the workers
  for (std::thread& t : threads) t.join();
}

Status RepoSyncer::FetchFile(const RepoKey& repo, const std::string& commit,
                             const EntryRecord& entry, const std::string& display_name,
                             TransferProgress* progress) {
  progress->FileStarted(display_name, entry.size);
  uint64_t resumed = 0;
  Status status = FetchFileOnce(repo, commit, entry, display_name, progress, &resumed);
  if (status.code() == StatusCode::kDataLoss && resumed > 0 && !cancelled()) {
    // The bytes an earlier run left may be what was wrong (a torn write at a
    // crash); the failed commit removed them, so one fresh download settles
    // whether the upstream's copy is bad.
    uint64_t fresh = 0;
    status = FetchFileOnce(repo, commit, entry, display_name, progress, &fresh);
  }
  progress->FileFinished(display_name, status, /*already_present=*/false);
  return status;
}

Status RepoSyncer::FetchFileOnce(const RepoKey& repo, const std::string& commit,
                                 const EntryRecord& entry, const std::string& display_name,
                                 TransferProgress* progress, uint64_t* resumed_bytes) {
  // Resumable: when this transfer breaks off (or the process is killed), the
  // next sync continues from the bytes already written instead of byte 0.
  HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer,
                      store_->NewResumableWriter(PromiseForEntry(entry)));
  ObjectWriter* w = writer.get();
  *resumed_bytes = w->bytes_written();
  if (*resumed_bytes > 0) progress->BytesResumed(display_name, *resumed_bytes);
  HM_RETURN_IF_ERROR(upstream_->Download(
      repo, commit, entry.path, /*offset=*/*resumed_bytes, entry.size,
      [this, w, progress, &display_name](const char* data, size_t n) -> Status {
        if (cancelled()) return Status::Unavailable("sync cancelled");
        HM_RETURN_IF_ERROR(w->Append(data, n));
        progress->BytesTransferred(display_name, n);
        return Status::Ok();
      }));
  HM_ASSIGN_OR_RETURN(ObjectInfo committed, w->Commit());
  return index_->PutObject(ObjectRecord{committed.sha256, committed.git_sha1, committed.size, committed.xet_hash});
}

}  // namespace hubmirror
