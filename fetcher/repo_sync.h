// RepoSyncer: mirror mode. Copies whole revisions of a repo from the upstream
// into the store ahead of time, so they can later be served offline.
//
// Per revision: resolve it upstream (GetRevision), take the commit's full file
// tree (from the index when it is already complete there, else ListTree), and
// download every selected file whose bytes are not stored yet, on at most
// `concurrency` worker threads. Each file is verified against its promise (the
// LFS sha256, or the git blob id of a regular file) before it is committed.
//
// Visibility contract: only when EVERY selected file of the revision is
// stored does the syncer write the commit's info, its complete tree, and, last,
// the ref (revision -> commit). Until then the index still names the previous
// commit of that branch, which stays fully served; a failed or interrupted sync
// publishes nothing. Files that did arrive stay stored (content-addressed), so
// re-running a sync resumes where it stopped, file by file; and a file cut
// off midway (a failed transfer, a killed process) continues from its last
// byte with a Range request (ObjectStore::NewResumableWriter), verified as a
// whole by the final hash check.
//
// Incremental: when the ref already names the upstream's commit, the tree is
// complete and all selected objects are stored, a sync makes exactly one
// upstream call (GetRevision) and only refreshes the ref's resolution time.
//
// Filters: the commit's tree is always stored complete; files the PathFilter
// does not select are simply not downloaded (an online server pulls them
// through on demand, an offline one answers EntryNotFound).
//
// Thread safety: one RepoSyncer may run Sync() from several threads at once
// (each call owns its workers); the Env, Index, ObjectStore and Upstream must
// be thread-safe and outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "fetcher/path_filter.h"
#include "fetcher/transfer_progress.h"
#include "fetcher/upstream.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/object_store.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

// What to sync: some revisions of one repo, restricted to some files.
struct SyncTarget {
  RepoKey repo;
  // Branches, tags, refs/pr/N or commit shas, synced in this order.
  std::vector<std::string> revisions = {"main"};
  PathFilter filter;  // empty: every file
  bool pin = false;   // pin each revision synced (see RunSyncList)
};

// The outcome of one revision of a SyncTarget.
struct RevisionSyncReport {
  std::string revision;
  std::string commit;  // what the revision resolved to; "" if resolution failed
  // Ok, or the first failure; the message names repo, revision, file and fix.
  Status status;
  uint64_t files_selected = 0;     // files of the tree the filter takes
  uint64_t files_transferred = 0;  // downloaded by this run
  uint64_t bytes_transferred = 0;
  uint64_t files_failed = 0;
  // Nothing but metadata moved: the ref already named this complete commit.
  bool unchanged = false;
};

struct SyncReport {
  RepoKey repo;
  std::vector<RevisionSyncReport> revisions;

  bool ok() const;
  // The first failing revision's status, or Ok.
  Status FirstError() const;
};

struct RepoSyncerOptions {
  // Files downloaded at once per Sync() call; clamped to 1..64.
  int concurrency = 4;
  // When set and it becomes true, running downloads stop (Unavailable) and no
  // new ones start, so the caller can shut down promptly. Not owned.
  const std::atomic<bool>* cancel = nullptr;
};

class RepoSyncer {
 public:
  // All pointers must be non-null and outlive the syncer.
  RepoSyncer(Env* env, Index* index, ObjectStore* store, Upstream* upstream,
             RepoSyncerOptions options);
  RepoSyncer(const RepoSyncer&) = delete;
  RepoSyncer& operator=(const RepoSyncer&) = delete;

  // Syncs every revision of `target` in order; a failing revision does not
  // stop the next one. `progress` may be null. Returns InvalidArgument
  // (without touching anything) for a malformed repo id or revision; every
  // other failure is reported per revision inside the SyncReport.
  Result<SyncReport> Sync(const SyncTarget& target, TransferProgress* progress);

  // One revision (see the visibility contract above).
  RevisionSyncReport SyncRevision(const RepoKey& repo, const std::string& revision,
                                  const PathFilter& filter, TransferProgress* progress);

 private:
  struct FileJob;
  // The commit's full tree: the index's when complete there, else upstream's.
  Result<std::vector<EntryRecord>> CommitTree(const RepoKey& repo, const std::string& commit,
                                              bool* from_index);
  // Whether the bytes of `entry` are in the ObjectStore (and indexed).
  Result<bool> IsStored(const EntryRecord& entry);
  // Downloads, verifies and commits one file; records it in the index.
  Status FetchFile(const RepoKey& repo, const std::string& commit, const EntryRecord& entry,
                   const std::string& display_name, TransferProgress* progress);
  // One attempt of FetchFile; *resumed_bytes: what an earlier run had left.
  Status FetchFileOnce(const RepoKey& repo, const std::string& commit, const EntryRecord& entry,
                       const std::string& display_name, TransferProgress* progress,
                       uint64_t* resumed_bytes);
  // Runs FetchFile over `jobs` on up to options_.concurrency threads.
  void FetchAll(const RepoKey& repo, const std::string& commit, std::vector<FileJob>* jobs,
                TransferProgress* progress);
  bool cancelled() const;

  Env* env_;
  Index* index_;
  ObjectStore* store_;
  Upstream* upstream_;
  RepoSyncerOptions options_;
};

// A one-line hint on how to fix a failed sync, from the kind of failure
// ("set HF_TOKEN ...", "re-run the sync ...").
std::string SyncFixHint(const Status& status);

}  // namespace hubmirror
