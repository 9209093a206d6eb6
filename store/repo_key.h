// RepoKey names a repository on the Hub (a model or a dataset), and the
// validators here are the single gate every repo id, revision and file path
// passes before it reaches the index, the store or an upstream URL.
//
// Validators take already percent-decoded text and reject anything that could
// escape a directory or confuse a URL: "." and ".." segments, empty segments,
// a leading "/", backslashes, NUL and other control bytes, invalid UTF-8, and
// overlong input. The store never builds a filesystem path from these strings
// (objects are keyed by hash), so this is defence in depth as well as the
// source of a clean 400 for clients.
#pragma once

#include <string>
#include <string_view>

#include "store/status.h"

namespace hubmirror {

enum class RepoType { kModel, kDataset };

struct RepoKey {
  RepoType type = RepoType::kModel;
  std::string id;  // "org/name", or a legacy "name" without namespace

  bool operator==(const RepoKey&) const = default;
  // "models/org/name" or "datasets/org/name": unique, for logs and keys.
  std::string ToString() const;
};

// "model" / "dataset": how the index, bundles, logs and JSON documents
// spell a type; RepoTypeFromName reads it back (anything else is a model).
const char* RepoTypeName(RepoType t);
RepoType RepoTypeFromName(std::string_view name);
// "models" / "datasets", as in /api/{plural}/...
const char* RepoTypePlural(RepoType t);
// "" / "datasets/", as in /{prefix}{id}/resolve/...
const char* RepoTypeUrlPrefix(RepoType t);

constexpr size_t kMaxRepoIdLength = 96 * 2 + 1;
constexpr size_t kMaxRevisionLength = 256;
constexpr size_t kMaxRepoPathLength = 4096;

Status ValidateRepoId(std::string_view id);
Status ValidateRevision(std::string_view revision);
// A file or folder path inside a repo; `allow_empty` for "the repo root".
Status ValidateRepoPath(std::string_view path, bool allow_empty = false);

// A full 40-hex commit id (lower case).
bool IsCommitSha(std::string_view revision);
bool IsValidUtf8(std::string_view s);

}  // namespace hubmirror
