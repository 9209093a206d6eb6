// PlanBundle: decides what an export carries, from the index and the store,
// before a byte is written.
//
// A BundleRepoSpec without a revision selects every ref the index knows for the
// repo; with one, that branch/tag (exported as a ref) or that 40-hex commit
// (exported without a ref). Every selected commit must have a complete file
// list in the index and every carried file's object must be in the store;
// otherwise planning fails with FailedPrecondition naming the repo, revision,
// commit, file and the fix (`hubmirror sync REPO@REV`, or export
// --include/--exclude). Files the caller's filter does not carry stay in the
// commit's file list and are recorded in BundleManifest::files_left_out, so a
// bundle never silently carries less than its manifest promises.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "store/bundle/bundle_format.h"
#include "store/index/index.h"
#include "store/chunked_object_store.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct BundleRepoSpec {
  RepoKey repo;
  std::string revision;  // "" = every ref the store knows

  // "org/name@rev" / "datasets/org/name", as written on the command line.
  std::string ToString() const;
};

// Parses `org/name[@rev]` (model), `datasets/org/name[@rev]` (dataset), or
// a legacy `name[@rev]`; validates the id and the revision.
Result<BundleRepoSpec> ParseBundleRepoSpec(std::string_view text);

// Whether a file (path within its repo) goes into the bundle; empty = every
// file. The CLI passes fetcher/path_filter.h's matcher, as sync uses it.
using BundleFileFilter = std::function<bool(const std::string& path)>;

// `destination_has`: sha256s the destination store already holds (from its
// inventory, export --since); those objects are listed but not included.
// May be null (include everything). `carry`: files not selected are left out
// (listed, no object) whether or not the store has their bytes.
// `destination_xorbs`: xorb hashes (hex) the destination holds (an inventory
// of version 2); the xorbs of carried objects among them are listed but not
// included. The plan carries xorbs (framing 2) unless some carried object is
// still kept in an older store layout (framing 1, every object's bytes).
Result<BundleManifest> PlanBundle(Index* index, ChunkedObjectStore* store,
                                  const std::vector<BundleRepoSpec>& specs,
                                  const std::unordered_set<std::string>* destination_has,
                                  const BundleFileFilter& carry = nullptr,
                                  const std::unordered_set<std::string>* destination_xorbs =
                                      nullptr);

}  // namespace hubmirror
