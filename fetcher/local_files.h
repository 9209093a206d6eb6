// Local-file primitives for the client-side layouts that `hubmirror pull`
// writes (the huggingface_hub cache and plain --local-dir folders): creating
// folders without following symlinks planted inside the target, atomic
// symlink and small-file replacement, and advisory locks compatible with the
// ones huggingface_hub takes (flock on a lock file).
//
// These operate on the real filesystem (POSIX); errno is translated to a
// Status naming the path. Every function is thread-safe as far as the
// filesystem is; callers serialize writers of one path with a FileLock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/status.h"

namespace hubmirror {

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes now and reports the error close() gave, if any.
  Status Close(const std::string& path);

 private:
  int fd_ = -1;
};

// An exclusive flock() on `path` (created if missing), held until
// destruction. Blocks until the lock is free.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Joins with a single '/'.
std::string JoinPath(std::string_view dir, std::string_view name);

// The parent folder of a '/'-separated relative path ("" for a top-level name).
std::string ParentOf(std::string_view relative_path);

// mkdir -p of `root` itself, then of root/`relative_dir` one component at a
// time, failing with PermissionDenied if any component under `root` exists as
// something other than a real folder (a symlink could lead outside `root`).
// `relative_dir` must already have passed ValidateRepoPath (or be "").
Status MakeDirsUnder(const std::string& root, std::string_view relative_dir);

// Makes `link_path` a symlink to `target`, replacing whatever is there
// atomically (symlink to a temporary name, then rename).
Status ReplaceSymlink(const std::string& target, const std::string& link_path);

// Writes `content` to a temporary file beside `path`, fsyncs it and renames it
// over `path`.
Status WriteFileAtomically(const std::string& path, std::string_view content);

// The whole file if it exists and is at most `max_bytes`; nullopt if absent.
Result<std::optional<std::string>> ReadSmallFile(const std::string& path, size_t max_bytes);

// lstat-based: true only for a regular file (not a symlink to one).
bool IsRegularFile(const std::string& path);
// Size of a regular file, nullopt when absent.
Result<std::optional<uint64_t>> RegularFileSize(const std::string& path);

// unlink(), treating "already gone" as success.
Status RemoveFileIfPresent(const std::string& path);

}  // namespace hubmirror
