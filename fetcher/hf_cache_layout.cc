#include "fetcher/hf_cache_layout.h"

#include <algorithm>

#include "fetcher/local_files.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

Status ValidateCommit(std::string_view commit) {
  if (!IsCommitSha(commit)) {
    return Status::InvalidArgument("not a 40-hex commit id: '" +
                                   std::string(commit.substr(0, 64)) + "'");
  }
  return Status::Ok();
}

Status ValidateBlobName(std::string_view blob_name) {
  if (!IsValidBlobName(blob_name)) {
    return Status::InvalidArgument("not a sha1 or sha256 blob name: '" +
                                   std::string(blob_name.substr(0, 80)) + "'");
  }
  return Status::Ok();
}

}  // namespace

std::string RepoFolderName(const RepoKey& repo) {
  std::string name = RepoTypePlural(repo.type);
  size_t start = 0;
  while (start <= repo.id.size()) {
    size_t slash = repo.id.find('/', start);
    if (slash == std::string::npos) slash = repo.id.size();
    name += "--";
    name.append(repo.id, start, slash - start);
    start = slash + 1;
  }
  return name;
}

std::string BlobNameOf(const EntryRecord& entry) {
  return entry.is_lfs ? entry.lfs_sha256 : entry.oid;
}

bool IsValidBlobName(std::string_view blob_name) {
  return IsLowerHex(blob_name, 40) || IsLowerHex(blob_name, 64);
}

std::string RelativeBlobTarget(std::string_view repo_path, std::string_view blob_name) {
  // From snapshots/<commit>/<dirs...>/: one "../" per folder level of the
  // path, plus two for <commit> and snapshots.
  size_t depth = 2 + static_cast<size_t>(std::count(repo_path.begin(), repo_path.end(), '/'));
  std::string target;
  target.reserve(depth * 3 + 6 + blob_name.size());
  for (size_t i = 0; i < depth; ++i) target += "../";
  target += "blobs/";
  target += blob_name;
  return target;
}

HfCacheLayout::HfCacheLayout(std::string cache_dir, const RepoKey& repo)
    : cache_dir_(std::move(cache_dir)),
      folder_name_(RepoFolderName(repo)),
      repo_dir_(JoinPath(cache_dir_, folder_name_)) {}

std::string HfCacheLayout::BlobPath(std::string_view blob_name) const {
  return JoinPath(JoinPath(repo_dir_, "blobs"), blob_name);
}

std::string HfCacheLayout::IncompleteBlobPath(std::string_view blob_name) const {
  return BlobPath(blob_name) + ".incomplete";
}

std::string HfCacheLayout::BlobLockPath(std::string_view blob_name) const {
  return JoinPath(JoinPath(JoinPath(cache_dir_, ".locks"), folder_name_),
                  std::string(blob_name) + ".lock");
}

std::string HfCacheLayout::SnapshotDir(std::string_view commit) const {
  return JoinPath(JoinPath(repo_dir_, "snapshots"), commit);
}

std::string HfCacheLayout::SnapshotFilePath(std::string_view commit,
                                            std::string_view repo_path) const {
  return JoinPath(SnapshotDir(commit), repo_path);
}

std::string HfCacheLayout::RefPath(std::string_view revision) const {
  return JoinPath(JoinPath(repo_dir_, "refs"), revision);
}

Status HfCacheLayout::PrepareBlobFolders() const {
  HM_RETURN_IF_ERROR(MakeDirsUnder(repo_dir_, "blobs"));
  return MakeDirsUnder(cache_dir_, JoinPath(".locks", folder_name_));
}

Status HfCacheLayout::LinkSnapshotFile(std::string_view commit, std::string_view repo_path,
                                       std::string_view blob_name) const {
  HM_RETURN_IF_ERROR(ValidateCommit(commit));
  HM_RETURN_IF_ERROR(ValidateRepoPath(repo_path));
  HM_RETURN_IF_ERROR(ValidateBlobName(blob_name));
  std::string snapshot_relative = JoinPath(JoinPath("snapshots", commit), ParentOf(repo_path));
  HM_RETURN_IF_ERROR(MakeDirsUnder(repo_dir_, snapshot_relative));
  return ReplaceSymlink(RelativeBlobTarget(repo_path, blob_name),
                        SnapshotFilePath(commit, repo_path));
}

Status HfCacheLayout::WriteRef(std::string_view revision, std::string_view commit) const {
  HM_RETURN_IF_ERROR(ValidateCommit(commit));
  HM_RETURN_IF_ERROR(ValidateRevision(revision));
  if (revision == commit) return Status::Ok();
  HM_RETURN_IF_ERROR(MakeDirsUnder(repo_dir_, JoinPath("refs", ParentOf(revision))));
  return WriteFileAtomically(RefPath(revision), commit);
}

}  // namespace hubmirror
