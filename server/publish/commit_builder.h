// CommitBuilder: the next commit of a published repo, made as git makes it.
//
// From the files of the parent commit and a change (files added or
// replaced, files and folders deleted), it computes the new file list, the
// git tree of every folder, the root tree and the commit object, so that
// commit ids, tree oids and blob oids are git's own (an LFS file is, as on
// the Hub, a pointer blob in the tree: oid = the pointer's blob id, with the
// LFS sha256 and size beside it). And the repo info the read routes serve
// for that commit. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/index/index.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct CommitChange {
  // Files as they will be listed (path, size, oid; is_lfs with lfs_sha256
  // and lfs_pointer_size): each replaces a file of the same path.
  std::vector<EntryRecord> added;
  std::vector<std::string> deleted_files;
  std::vector<std::string> deleted_folders;
};

struct CommitMessage {
  std::string author;  // a token name
  std::string summary;
  std::string description;
  int64_t at_micros = 0;
};

struct BuiltCommit {
  HostedCommitRecord record;
  // Every file and folder of the new commit, sorted by path.
  std::vector<EntryRecord> entries;
  std::string info_json;
};

// An LFS file's entry: the pointer git stores in its place.
EntryRecord LfsFileEntry(const std::string& path, const std::string& sha256, uint64_t size);
// A regular file's entry: its blob id is the git blob id of `git_sha1`'s bytes.
EntryRecord RegularFileEntry(const std::string& path, const std::string& git_sha1, uint64_t size);

// EntryNotFound (404) when a deleted file or folder is not there;
// InvalidArgument when a file would replace a folder or sit under a file.
Result<BuiltCommit> BuildCommit(const RepoKey& repo, const HostedRepoRecord& hosted,
                                const std::string& parent_commit,
                                const std::vector<EntryRecord>& parent_entries,
                                const CommitChange& change, const CommitMessage& message);

// The repo info JSON of a published repo at `commit` with `files`.
std::string HostedRepoInfoJson(const RepoKey& repo, const HostedRepoRecord& hosted,
                               const std::string& commit, int64_t modified_micros,
                               const std::vector<EntryRecord>& files);

}  // namespace hubmirror
