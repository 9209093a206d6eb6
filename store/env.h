// Env: the seam between hubmirror and the operating system's files and clock.
//
// The store, the index and the server touch the disk and the time only through
// an Env passed to their constructors, never through globals. Production uses
// NewPosixEnv(); tests wrap it (EnvWrapper) to inject ENOSPC, short writes or
// a crash before rename, or to move the clock.
//
// An Env is thread-safe. Files it hands out are owned by the caller (RAII: the
// destructor closes the descriptor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace hubmirror {

// A file being written: appended by one thread, while any thread may read back
// the bytes already appended (that is how a client streams a download that is
// still arriving).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(const char* data, size_t n) = 0;
  // Reads up to n bytes at offset from what was appended; returns bytes read
  // (0 at the end). Thread-safe with respect to Append.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const = 0;
  // Discards everything after `size` (used when a transfer restarts from scratch).
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // The descriptor while open, for advisory locks (flock); -1 when the file
  // is not an OS file (test doubles) or is closed.
  virtual int fd() const { return -1; }
  // Non-zero for a file from NewDirectWritableFile that writes around the
  // page cache: an Append whose length, position and buffer address are
  // multiples of this goes straight to the device; any other goes through
  // the page cache as usual (correct either way, just slower).
  virtual size_t direct_io_alignment() const { return 0; }
};

// A file opened for positional reads; thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const = 0;
  virtual Result<uint64_t> Size() const = 0;
  // The descriptor, for zero-copy paths (sendfile); -1 when there is none.
  virtual int fd() const { return -1; }
};

// Reads exactly n bytes at `offset` of `file` (a RandomAccessFile, or a
// WritableFile's bytes so far): ReadAt may return fewer. DataLoss with
// `if_short` when the file ends first.
template <typename File>
Status ReadExactlyAt(const File& file, uint64_t offset, char* buf, size_t n,
                     std::string_view if_short) {
  while (n > 0) {
    HM_ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset, buf, n));
    if (got == 0) return Status::DataLoss(std::string(if_short));
    offset += got;
    buf += got;
    n -= got;
  }
  return Status::Ok();
}

class Env {
 public:
  virtual ~Env() = default;

  // Creates `path` exclusively (fails with AlreadyExists if present).
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Like NewWritableFile, for bulk data written once and read back later:
  // aligned appends bypass the page cache (O_DIRECT) where the filesystem
  // allows it, which saves the kernel's copy of every byte and keeps a large
  // ingest from evicting what clients are reading. Envs that cannot (test
  // doubles, tmpfs) give an ordinary file.
  virtual Result<std::unique_ptr<WritableFile>> NewDirectWritableFile(const std::string& path) {
    return NewWritableFile(path);
  }
  // Opens `path` for appending after its current end, creating it if missing
  // (a partial download continued by a later process). Envs that cannot
  // reopen files (test doubles) answer FailedPrecondition; callers then fall
  // back to a fresh NewWritableFile.
  virtual Result<std::unique_ptr<WritableFile>> OpenAppendableFile(const std::string& path) {
    return Status::FailedPrecondition("this Env cannot reopen " + path);
  }
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Opens an existing file for writing, appends going to its end (NotFound
  // if absent): to cut a file's tail through a descriptor that holds its
  // flock, so the cut cannot hit a file that replaced it under the name.
  virtual Result<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Removes an empty directory.
  virtual Status RemoveDir(const std::string& path) = 0;
  // mkdir -p.
  virtual Status CreateDirs(const std::string& path) = 0;
  // fsyncs a directory so a rename inside it survives a crash.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // Bytes an unprivileged writer may still use on the filesystem of `path`.
  virtual Result<uint64_t> AvailableBytes(const std::string& path) = 0;

  // Wall-clock time, microseconds since the Unix epoch.
  virtual int64_t NowMicros() = 0;
  // Monotonic time for timeouts and rates, microseconds.
  virtual int64_t MonotonicMicros() = 0;
};

std::unique_ptr<Env> NewPosixEnv();

// Forwards every call to a target Env; subclass it and override what a test
// wants to break. NewDirectWritableFile is left to Env's default (this
// wrapper's NewWritableFile), so an override of NewWritableFile sees every
// file created.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return target_->NewWritableFile(p);
  }
  Result<std::unique_ptr<WritableFile>> OpenAppendableFile(const std::string& p) override {
    return target_->OpenAppendableFile(p);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return target_->NewRandomAccessFile(p);
  }
  Result<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& p) override {
    return target_->OpenWritableFile(p);
  }
  Status RenameFile(const std::string& f, const std::string& t) override {
    return target_->RenameFile(f, t);
  }
  Status RemoveFile(const std::string& p) override { return target_->RemoveFile(p); }
  Status RemoveDir(const std::string& p) override { return target_->RemoveDir(p); }
  Status CreateDirs(const std::string& p) override { return target_->CreateDirs(p); }
  Status SyncDir(const std::string& p) override { return target_->SyncDir(p); }
  bool FileExists(const std::string& p) override { return target_->FileExists(p); }
  Result<uint64_t> FileSize(const std::string& p) override { return target_->FileSize(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override {
    return target_->ListDir(p);
  }
  int64_t NowMicros() override { return target_->NowMicros(); }
  Result<uint64_t> AvailableBytes(const std::string& p) override {
    return target_->AvailableBytes(p);
  }
  int64_t MonotonicMicros() override { return target_->MonotonicMicros(); }

 private:
  Env* target_;
};

}  // namespace hubmirror
