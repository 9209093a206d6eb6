// CommitPayload: the body of POST /api/{type}s/{repo}/commit/{rev}, as the
// Hub clients send it (application/x-ndjson, one JSON object a line; see
// hub-upload-protocol.md §2.6), parsed and checked before anything is
// written.
//
//   {"key":"header","value":{"summary","description"?,"parentCommit"?}}   first
//   {"key":"file","value":{"path","content","encoding":"base64"}}
//   {"key":"lfsFile","value":{"path","algo":"sha256","oid","size"?}}
//   {"key":"deletedFile","value":{"path"}}
//   {"key":"deletedFolder","value":{"path"}}
//
// Every path is checked as a repo path (store/repo_key.h); a path may be
// added or deleted once per commit. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace hubmirror {

struct CommitOperation {
  enum class Kind { kFile, kLfsFile, kDeletedFile, kDeletedFolder };
  Kind kind = Kind::kFile;
  std::string path;
  // kFile: the decoded bytes.
  std::string content;
  // kLfsFile: the sha256 of the bytes (lower hex) and, when sent, their size.
  std::string oid;
  std::optional<uint64_t> size;
};

struct CommitPayload {
  std::string summary;
  std::string description;
  // "" or 5..40 hex digits (lower-cased): the commit the client based its
  // change on.
  std::string parent_commit;
  std::vector<CommitOperation> operations;
};

// Limits on what one commit may carry.
inline constexpr size_t kMaxCommitOperations = 100'000;
inline constexpr size_t kMaxCommitSummaryBytes = 4096;
inline constexpr size_t kMaxCommitDescriptionBytes = 64 * 1024;

// InvalidArgument (-> 400) naming the line and what is wrong.
Result<CommitPayload> ParseCommitPayload(std::string_view ndjson);

// Strict base64 (RFC 4648, with padding); InvalidArgument otherwise.
Result<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

}  // namespace hubmirror
