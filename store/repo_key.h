// RepoKey names a repository on the Hub (a model, a dataset or a space), and the
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

enum class RepoType { kModel, kDataset, kSpace };

struct RepoKey {
  RepoType type = RepoType::kModel;
  std::string id;  // "org/name", or a legacy "name" without namespace

  bool operator==(const RepoKey&) const = default;
  // "models/org/name", "datasets/org/name" or "spaces/org/name": unique, for
  // logs and keys.
  std::string ToString() const;
  // How users and the Hub's URLs name it: "org/name" for a model,
  // "datasets/org/name", "spaces/org/name" (what access patterns match).
  std::string DisplayId() const;
};

// "model" / "dataset" / "space": how the index, bundles, logs and JSON
// documents spell a type; RepoTypeFromName reads it back (anything else is a
// model; use IsRepoTypeName to refuse unknown names).
const char* RepoTypeName(RepoType t);
RepoType RepoTypeFromName(std::string_view name);
bool IsRepoTypeName(std::string_view name);
// "models" / "datasets" / "spaces", as in /api/{plural}/...
const char* RepoTypePlural(RepoType t);
// "" / "datasets/" / "spaces/", as in /{prefix}{id}/resolve/...
const char* RepoTypeUrlPrefix(RepoType t);
// Every type, in the order listings show them.
inline constexpr RepoType kAllRepoTypes[] = {RepoType::kModel, RepoType::kDataset,
                                             RepoType::kSpace};

// Removes a leading "models/", "datasets/" or "spaces/" from `*text` and
// returns the type it names; a text without one is a model.
RepoType TakeRepoTypePrefix(std::string_view* text);

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
