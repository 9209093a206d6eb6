// RepoPuller: downloads one revision of a repo from a hub (a hubmirror or any
// Hugging Face-compatible hub) onto local disk, the way snapshot_download
// does: into the huggingface_hub cache layout (HfCacheLayout), or into a plain
// folder (LocalDirLayout).
//
// A pull resolves the revision to a commit (GetRevision), lists the commit's
// files (ListTree), keeps those the PathFilter selects, validates every path
// and blob name before writing anything, then downloads with `jobs` workers.
// Each file goes through DownloadVerifiedFile (resume from an earlier
// partial, verify, rename). A blob already in the cache, or a local file whose
// metadata names the same etag, is not downloaded again; in the cache it is
// only (re)linked. The ref (refs/<revision>) is written last, only when every
// selected file is in place, so an offline reader never follows a ref into an
// incomplete snapshot. After the first failed file no new file is started;
// files in flight finish.
//
// Errors name the repo, the revision and, for file failures, the file; the
// Hub's verdict (RepoNotFound, RevisionNotFound, GatedRepo) is kept in the
// Status so callers can give the right advice.
//
// Thread-safety: a RepoPuller may run one Pull at a time per instance; it
// calls the Upstream and the TransferProgress from its worker threads (both
// are required to be thread-safe). Concurrent pulls by other processes into
// the same cache are serialized per blob by the same lock files
// huggingface_hub uses (.locks/<repo folder>/<etag>.lock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fetcher/path_filter.h"
#include "fetcher/transfer_progress.h"
#include "fetcher/upstream.h"
#include "store/env.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

inline constexpr int kDefaultPullJobs = 4;
inline constexpr int kMaxPullJobs = 16;

struct PullOptions {
  RepoKey repo;
  std::string revision = "main";  // branch, tag, refs/pr/N or a commit sha
  PathFilter filter;              // which files; empty = all
  // Where to write: the hub cache root (HF_HUB_CACHE), used unless local_dir
  // is set, in which case files are written as plain files under it.
  std::string cache_dir;
  std::string local_dir;
  int jobs = kDefaultPullJobs;  // parallel downloads, clamped to [1, kMaxPullJobs]
};

struct PullResult {
  std::string commit;
  // What snapshot_download returns: <cache>/<repo folder>/snapshots/<commit>,
  // or the local dir.
  std::string snapshot_path;
  uint64_t files_selected = 0;
  uint64_t files_downloaded = 0;
  uint64_t files_already_present = 0;
  // Files whose earlier partial download did not verify: it was deleted and
  // the file downloaded again from scratch.
  std::vector<std::string> discarded_partials;
};

class RepoPuller {
 public:
  // Borrows all three; they must outlive the puller. `env` supplies the wall
  // clock for local-dir metadata.
  RepoPuller(Upstream* upstream, TransferProgress* progress, Env* env)
      : upstream_(upstream), progress_(progress), env_(env) {}
  RepoPuller(const RepoPuller&) = delete;
  RepoPuller& operator=(const RepoPuller&) = delete;

  Result<PullResult> Pull(const PullOptions& options);

 private:
  Upstream* upstream_;
  TransferProgress* progress_;
  Env* env_;
};

}  // namespace hubmirror
