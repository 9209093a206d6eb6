#include "fetcher/repo_puller.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "fetcher/hf_cache_layout.h"
#include "fetcher/local_dir_layout.h"
#include "fetcher/local_files.h"
#include "fetcher/verified_download.h"

namespace hubmirror {
namespace {

// Prefixes a message while keeping the code and the Hub's verdict.
Status Annotate(const Status& status, const std::string& context) {
  return Status(status.code(), context + ": " + status.message())
      .WithHubError(status.hub_error(), status.http_status());
}

// How one file arrives: downloaded, or found already in place.
struct Placement {
  bool already_present = false;
  VerifiedDownloadOutcome download;
};

// Where the selected files land. Place() is called from several worker
// threads at once, for different entries.
class Destination {
 public:
  virtual ~Destination() = default;
  virtual Status Prepare() = 0;
  virtual Result<Placement> Place(const EntryRecord& entry) = 0;
  // After every file is in place.
  virtual Status Complete() = 0;
  virtual std::string SnapshotPath() const = 0;
};

// The huggingface_hub cache: blobs by etag, snapshot symlinks, refs.
class CacheDestination final : public Destination {
 public:
  CacheDestination(const PullOptions& options, std::string commit, Upstream* upstream,
                   TransferProgress* progress)
      : layout_(options.cache_dir, options.repo),
        repo_(options.repo),
        revision_(options.revision),
        commit_(std::move(commit)),
        upstream_(upstream),
        progress_(progress) {}

  Status Prepare() override {
    HM_RETURN_IF_ERROR(layout_.PrepareBlobFolders());
    return MakeDirsUnder(layout_.repo_dir(), JoinPath("snapshots", commit_));
  }

  Result<Placement> Place(const EntryRecord& entry) override {
    const std::string blob = BlobNameOf(entry);
    const std::string blob_path = layout_.BlobPath(blob);
    Placement placement;
    placement.already_present = HasBlob(blob_path, entry.size);
    if (!placement.already_present) {
      HM_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layout_.BlobLockPath(blob)));
      // Another worker (same blob at another path) or process may have
      // finished it while we waited for the lock.
      placement.already_present = HasBlob(blob_path, entry.size);
      if (!placement.already_present) {
        HM_ASSIGN_OR_RETURN(placement.download,
                            DownloadVerifiedFile(upstream_, repo_, commit_, entry,
                                                 layout_.IncompleteBlobPath(blob), blob_path,
                                                 progress_));
      }
    }
    HM_RETURN_IF_ERROR(layout_.LinkSnapshotFile(commit_, entry.path, blob));
    return placement;
  }

  Status Complete() override { return layout_.WriteRef(revision_, commit_); }

  std::string SnapshotPath() const override { return layout_.SnapshotDir(commit_); }

 private:
  static bool HasBlob(const std::string& blob_path, uint64_t size) {
    Result<std::optional<uint64_t>> existing = RegularFileSize(blob_path);
    return existing.ok() && existing->has_value() && **existing == size;
  }

  HfCacheLayout layout_;
  RepoKey repo_;
  std::string revision_;
  std::string commit_;
  Upstream* upstream_;
  TransferProgress* progress_;
};

// A plain folder plus huggingface_hub's .cache/huggingface/download metadata.
class LocalDirDestination final : public Destination {
 public:
  LocalDirDestination(const PullOptions& options, std::string commit, Upstream* upstream,
                      TransferProgress* progress, Env* env)
      : layout_(options.local_dir),
        repo_(options.repo),
        commit_(std::move(commit)),
        upstream_(upstream),
        progress_(progress),
        env_(env) {}

  Status Prepare() override { return MakeDirsUnder(layout_.dir(), ""); }

  Result<Placement> Place(const EntryRecord& entry) override {
    const std::string etag = BlobNameOf(entry);
    HM_RETURN_IF_ERROR(layout_.PrepareFor(entry.path));
    HM_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layout_.LockPath(entry.path)));
    Placement placement;
    placement.already_present = layout_.IsUpToDate(entry.path, etag);
    if (placement.already_present) return placement;
    HM_ASSIGN_OR_RETURN(placement.download,
                        DownloadVerifiedFile(upstream_, repo_, commit_, entry,
                                             layout_.IncompletePath(entry.path, etag),
                                             layout_.FilePath(entry.path), progress_));
    double now_seconds = static_cast<double>(env_->NowMicros()) / 1e6;
    HM_RETURN_IF_ERROR(layout_.WriteMetadata(entry.path, commit_, etag, now_seconds));
    return placement;
  }

  Status Complete() override { return Status::Ok(); }

  std::string SnapshotPath() const override { return layout_.dir(); }

 private:
  LocalDirLayout layout_;
  RepoKey repo_;
  std::string commit_;
  Upstream* upstream_;
  TransferProgress* progress_;
  Env* env_;
};

// The files the filter selects, every path and blob name checked before
// anything is written.
Result<std::vector<EntryRecord>> SelectFiles(std::vector<EntryRecord> tree,
                                             const PathFilter& filter) {
  std::vector<EntryRecord> files;
  for (EntryRecord& entry : tree) {
    if (entry.is_directory) continue;
    if (Status valid = ValidateRepoPath(entry.path); !valid.ok()) {
      return Status::InvalidArgument("the hub lists an unsafe file path: " + valid.message());
    }
    if (!filter.Matches(entry.path)) continue;
    if (!IsValidBlobName(BlobNameOf(entry))) {
      return Status::InvalidArgument("the hub lists file " + entry.path +
                                     " without a valid oid/LFS sha256");
    }
    files.push_back(std::move(entry));
  }
  std::sort(files.begin(), files.end(),
            [](const EntryRecord& a, const EntryRecord& b) { return a.path < b.path; });
  return files;
}

// Runs Place() for every file on `jobs` threads; collects the outcome.
class Workers {
 public:
  Workers(Destination* destination, TransferProgress* progress,
          const std::vector<EntryRecord>* files)
      : destination_(destination), progress_(progress), files_(files) {}

  void Run(size_t jobs, PullResult* result) {
    {
      std::vector<std::jthread> threads;
      threads.reserve(jobs);
      for (size_t i = 0; i < jobs; ++i) threads.emplace_back([this] { Loop(); });
    }  // joined here
    result->files_downloaded = downloaded_;
    result->files_already_present = present_;
    result->discarded_partials = discarded_;
  }

  // The first failure (annotated with its file), and how many more failed.
  const Status& first_failure() const { return first_failure_; }
  size_t failures() const { return failures_; }

 private:
  void Loop() {
    while (!stop_.load()) {
      size_t i = next_.fetch_add(1);
      if (i >= files_->size()) return;
      const EntryRecord& entry = (*files_)[i];
      progress_->FileStarted(entry.path, entry.size);
      Result<Placement> placed = destination_->Place(entry);
      Status status = placed.ok() ? Status::Ok() : Annotate(placed.status(), "file " + entry.path);
      progress_->FileFinished(entry.path, status, placed.ok() && placed->already_present);
      std::lock_guard<std::mutex> lock(mu_);
      if (!placed.ok()) {
        if (failures_++ == 0) first_failure_ = std::move(status);
        stop_.store(true);
      } else if (placed->already_present) {
        ++present_;
      } else {
        ++downloaded_;
        if (placed->download.discarded_partial) discarded_.push_back(entry.path);
      }
    }
  }

  Destination* destination_;
  TransferProgress* progress_;
  const std::vector<EntryRecord>* files_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Status first_failure_;
  size_t failures_ = 0;
  uint64_t downloaded_ = 0;
  uint64_t present_ = 0;
  std::vector<std::string> discarded_;
};

}  // namespace

Result<PullResult> RepoPuller::Pull(const PullOptions& options) {
  const std::string context =
      options.repo.ToString() + " at revision " + options.revision;
  if (Status s = ValidateRepoId(options.repo.id); !s.ok()) return Annotate(s, context);
  if (Status s = ValidateRevision(options.revision); !s.ok()) return Annotate(s, context);
  if (options.local_dir.empty() && options.cache_dir.empty()) {
    return Status::InvalidArgument(context + ": neither a cache dir nor a local dir was given");
  }

  Result<RevisionInfo> revision = upstream_->GetRevision(options.repo, options.revision);
  if (!revision.ok()) return Annotate(revision.status(), context);
  PullResult result;
  result.commit = revision->commit;
  if (!IsCommitSha(result.commit)) {
    return Status::InvalidArgument(context + ": the hub answered a malformed commit id");
  }
  Result<std::vector<EntryRecord>> tree = upstream_->ListTree(options.repo, result.commit);
  if (!tree.ok()) return Annotate(tree.status(), context + " (commit " + result.commit + ")");
  Result<std::vector<EntryRecord>> files = SelectFiles(std::move(tree).value(), options.filter);
  if (!files.ok()) return Annotate(files.status(), context);
  result.files_selected = files->size();

  std::unique_ptr<Destination> destination;
  if (!options.local_dir.empty()) {
    destination = std::make_unique<LocalDirDestination>(options, result.commit, upstream_,
                                                        progress_, env_);
  } else {
    destination =
        std::make_unique<CacheDestination>(options, result.commit, upstream_, progress_);
  }
  if (Status s = destination->Prepare(); !s.ok()) return Annotate(s, context);
  result.snapshot_path = destination->SnapshotPath();

  uint64_t planned_bytes = 0;
  for (const EntryRecord& e : *files) planned_bytes += e.size;
  progress_->AddPlanned(files->size(), planned_bytes);
  size_t jobs = static_cast<size_t>(std::clamp(options.jobs, 1, kMaxPullJobs));
  jobs = std::min(jobs, std::max<size_t>(files->size(), 1));  // no idle threads
  Workers workers(destination.get(), progress_, &files.value());
  workers.Run(jobs, &result);
  if (workers.failures() > 0) {
    Status first = Annotate(workers.first_failure(), context);
    if (workers.failures() == 1) return first;
    return Status(first.code(), first.message() + " (and " +
                                    std::to_string(workers.failures() - 1) +
                                    " more files failed)")
        .WithHubError(first.hub_error(), first.http_status());
  }
  if (Status s = destination->Complete(); !s.ok()) return Annotate(s, context);
  return result;
}

}  // namespace hubmirror
