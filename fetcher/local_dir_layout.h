// LocalDirLayout: a plain folder of a repo's files (`hubmirror pull
// --local-dir DIR`), with the bookkeeping huggingface_hub keeps for
// `hf download --local-dir` so either tool recognizes the other's files:
//
//   DIR/<path>                                            the file itself
//   DIR/.cache/huggingface/.gitignore                     "*"
//   DIR/.cache/huggingface/download/<path>.metadata       "<commit>\n<etag>\n<unix time>\n"
//   DIR/.cache/huggingface/download/<path>.<etag>.incomplete   a download in progress
//   DIR/.cache/huggingface/download/<path>.lock           flock while writing <path>
//
// A file counts as up to date when its metadata names the same etag and the
// file was not modified after the metadata was written (huggingface_hub's
// rule: mtime - 1 s <= timestamp). Paths are validated (ValidateRepoPath) and
// folders created without following symlinks before anything is written.
// Immutable after construction; methods are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/status.h"

namespace hubmirror {

struct LocalFileMetadata {
  std::string commit;
  std::string etag;
  double timestamp = 0;  // seconds since the Unix epoch
};

// "<commit>\n<etag>\n<timestamp>\n", as huggingface_hub writes it.
std::string FormatLocalFileMetadata(const LocalFileMetadata& metadata);
// Inverse of FormatLocalFileMetadata; nullopt for anything malformed.
std::optional<LocalFileMetadata> ParseLocalFileMetadata(std::string_view text);

class LocalDirLayout {
 public:
  explicit LocalDirLayout(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string FilePath(std::string_view repo_path) const;
  std::string MetadataPath(std::string_view repo_path) const;
  std::string IncompletePath(std::string_view repo_path, std::string_view etag) const;
  std::string LockPath(std::string_view repo_path) const;

  // Creates the folders `repo_path` needs (its parent under DIR, and under
  // the download bookkeeping folder) and the .gitignore.
  Status PrepareFor(std::string_view repo_path) const;
  // Whether DIR/<repo_path> is a regular file whose metadata names `etag`
  // and which has not been modified since.
  bool IsUpToDate(std::string_view repo_path, std::string_view etag) const;
  // Records that DIR/<repo_path> now holds `etag` at `commit`, stamped with
  // `now_seconds` (call after the file is in place).
  Status WriteMetadata(std::string_view repo_path, std::string_view commit,
                       std::string_view etag, double now_seconds) const;

 private:
  std::string DownloadDir() const;

  std::string dir_;
};

}  // namespace hubmirror
