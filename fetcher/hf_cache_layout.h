// HfCacheLayout: one repo's folder in the huggingface_hub cache, written the
// way huggingface_hub (and @huggingface/hub) write it, so that they find it
// with HF_HUB_OFFLINE=1 (see hub-protocol.md §9):
//
//   <cache>/models--org--name/            (datasets--org--name, models--gpt2)
//     blobs/<etag>                        the bytes; etag = LFS sha256 or git blob sha1
//     blobs/<etag>.incomplete             a download in progress (resumable)
//     snapshots/<commit>/<path>           relative symlink to ../../blobs/<etag>
//     refs/<revision>                     the commit, no newline (refs/refs/pr/1)
//   <cache>/.locks/models--org--name/<etag>.lock   flock taken while writing a blob
//
// Names from the Hub are untrusted: every method that creates something
// validates the commit (40 hex), the blob name (40 or 64 lower-case hex), the
// repo path (ValidateRepoPath) and the revision (ValidateRevision) itself, and
// creates folders without following symlinks, so nothing is written outside
// the repo folder. The object is immutable after construction and its methods
// are thread-safe; concurrent writers of the same blob serialize on the lock.
#pragma once

#include <string>
#include <string_view>

#include "store/index/index.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

// "models--org--name", "datasets--org--name", "models--gpt2".
std::string RepoFolderName(const RepoKey& repo);

// The name huggingface_hub gives the file's blob (its normalized etag): the
// LFS sha256 for LFS files, the git blob sha1 otherwise.
std::string BlobNameOf(const EntryRecord& entry);

// True for what BlobNameOf may return for well-formed entries: 40 or 64
// lower-case hex characters.
bool IsValidBlobName(std::string_view blob_name);

// The symlink target stored at snapshots/<commit>/<repo_path>: "../../blobs/<blob>"
// with one more "../" per folder level of `repo_path` ("a/b/c.txt" gets four).
std::string RelativeBlobTarget(std::string_view repo_path, std::string_view blob_name);

class HfCacheLayout {
 public:
  // `cache_dir` is the hub cache root (HF_HUB_CACHE), not the repo folder.
  HfCacheLayout(std::string cache_dir, const RepoKey& repo);

  const std::string& cache_dir() const { return cache_dir_; }
  const std::string& repo_dir() const { return repo_dir_; }
  std::string BlobPath(std::string_view blob_name) const;
  std::string IncompleteBlobPath(std::string_view blob_name) const;
  std::string BlobLockPath(std::string_view blob_name) const;
  std::string SnapshotDir(std::string_view commit) const;
  std::string SnapshotFilePath(std::string_view commit, std::string_view repo_path) const;
  std::string RefPath(std::string_view revision) const;

  // Creates blobs/ and the repo's .locks/ folder.
  Status PrepareBlobFolders() const;
  // Points snapshots/<commit>/<repo_path> at blobs/<blob_name> (replacing any
  // previous link or file there). The blob itself need not exist yet.
  Status LinkSnapshotFile(std::string_view commit, std::string_view repo_path,
                          std::string_view blob_name) const;
  // Writes refs/<revision> = commit (no trailing newline), atomically. Does
  // nothing when `revision` is the commit itself, as huggingface_hub does.
  Status WriteRef(std::string_view revision, std::string_view commit) const;

 private:
  std::string cache_dir_;
  std::string folder_name_;
  std::string repo_dir_;
};

}  // namespace hubmirror
