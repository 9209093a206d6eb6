// A sync list: the repos mirror mode keeps stored, as written in the config
// ([[sync.repos]]) or on the `hubmirror sync` command line, and the run of a
// whole list.
//
// Spellings of a repo (RepoSpec parsing):
//   org/name[@rev]            a model
//   datasets/org/name[@rev]   a dataset
//   org/*  datasets/org/*     every model (dataset) of an author, listed
//                             upstream at each run (Upstream::ListRepos)
//   models/org/name           also accepted, same as org/name
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fetcher/repo_sync.h"
#include "store/index/retention_db.h"
#include "fetcher/transfer_progress.h"
#include "fetcher/upstream.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

// One entry of a sync list, before whole-author entries are expanded.
struct SyncRepoSpec {
  RepoType type = RepoType::kModel;
  // "org/name", or the author alone when whole_author ("org" for "org/*").
  std::string id;
  bool whole_author = false;
  // Empty means {"main"}.
  std::vector<std::string> revisions;
  // Glob patterns (see PathFilter); empty include means every file.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // Mirror mode keeps what it syncs: each synced revision is pinned
  // (retention_db.h) unless this is false.
  bool pin = true;

  bool operator==(const SyncRepoSpec&) const = default;
  // Back to the command-line spelling, without revisions: "datasets/org/*".
  std::string ToString() const;
};

// Parses one command-line REPO ("org/name[@rev]", "datasets/org/name[@rev]",
// "org/*"). A revision after '@' becomes the only entry of `revisions`.
// InvalidArgument names the text and the accepted forms.
Result<SyncRepoSpec> ParseSyncRepoSpec(std::string_view text);

// Turns specs into SyncTargets: whole-author specs are listed upstream, and
// specs naming the same repo with the same filters are merged (their
// revisions united, in order, without duplicates). An author that cannot be
// listed, or has no repos, adds a Status naming it to `errors` and the other
// specs are still expanded. `upstream` is used only for whole-author specs.
std::vector<SyncTarget> ExpandSyncList(const std::vector<SyncRepoSpec>& specs, Upstream* upstream,
                                       std::vector<Status>* errors);

// The outcome of RunSyncList: one report per repo, and the failures (list
// expansion or per revision), each message naming repo, revision, file and fix.
struct SyncListReport {
  std::vector<SyncReport> repos;
  std::vector<Status> errors;
  bool ok() const { return errors.empty(); }
  uint64_t files_transferred() const;
  uint64_t bytes_transferred() const;
};

// Expands `specs` and syncs every target in order with `syncer` (which does
// the per-repo parallelism). Keeps going after a failure.
// With `pins`, every revision synced successfully of a spec with `pin` is
// pinned there.
SyncListReport RunSyncList(const std::vector<SyncRepoSpec>& specs, Upstream* upstream,
                           RepoSyncer* syncer, TransferProgress* progress,
                           RetentionDb* pins = nullptr);

}  // namespace hubmirror
