// Parsing of the Hub's JSON answers, and the URL encodings the fetcher uses.
//
// Upstream JSON is untrusted: every field is type-checked, paths pass
// ValidateRepoPath(), ids are checked as hex; a malformed answer is
// InvalidArgument, never a crash or an exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fetcher/upstream.h"
#include "store/index/index.h"
#include "store/status.h"

namespace hubmirror {

// An array of tree or paths-info entries:
//   {"type":"file"|"directory","oid":<40 hex>,"size":N,"path":"a/b",
//    "lfs":{"oid":<64 hex>,"size":N,"pointerSize":N},"lastCommit":{...}}
// "size" is required for files, optional for directories; "lfs" only for
// files; "lastCommit" is kept as JSON text. Unknown fields (xetHash,
// securityFileStatus, ...) are ignored. Hex ids come back lower-cased.
Result<std::vector<EntryRecord>> ParseTreeEntries(std::string_view json);

// A repo-info object at a revision. Requires "id" (string) and "sha" (40
// hex). info_json is the object re-serialized with the Xet fields removed:
// the top-level "xetEnabled" and "xetHash" in each of "siblings".
Result<RevisionInfo> ParseRevisionInfo(std::string_view json);

// The files a repo-info object (fetched with blobs=true) lists in its
// "siblings": {"rfilename", "size", "blobId", "lfs": {"sha256", "size",
// "pointerSize"}} as file entries. InvalidArgument when a sibling lacks that
// metadata (repo info without blobs=true) or is malformed.
Result<std::vector<EntryRecord>> ParseSiblingFiles(std::string_view info_json);

// An array of repo summaries, as /api/models?author=X answers:
//   [{"_id":"...","id":"org/name",...}, ...]
// Returns the "id" of each; every id must pass ValidateRepoId().
Result<std::vector<std::string>> ParseRepoIds(std::string_view json);

// Whether `text` is one well-formed JSON value (object or array).
bool IsJsonDocument(std::string_view text);

// Percent-encodes each '/'-separated segment of a repo path (RFC 3986
// unreserved characters stay), keeping the '/' separators.
std::string EncodePathForUrl(std::string_view path);

// Percent-encodes everything but unreserved characters, '/' included:
// "refs/pr/1" -> "refs%2Fpr%2F1".
std::string EncodeRevisionForUrl(std::string_view revision);

}  // namespace hubmirror
