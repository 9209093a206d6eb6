// The production Env: plain POSIX calls, errno translated to Status here and
// nowhere else.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/env.h"

namespace hubmirror {
namespace {

// Owns a file descriptor; closes it on destruction unless released.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now and reports the error, which the destructor cannot.
  int Close() {
    int fd = std::exchange(fd_, -1);
    return fd >= 0 ? ::close(fd) : 0;
  }
  void Reset() {
    // close(2) must not be retried on EINTR on Linux: the fd is gone anyway.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

int OpenRetry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Direct I/O wants buffer, offset and length aligned to the device's logical
// block; 4 KiB covers every block size in use.
constexpr size_t kDirectIoAlignment = 4096;

Result<size_t> PreadAt(int fd, uint64_t offset, char* buf, size_t n, const std::string& name) {
  while (true) {
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return Status::FromErrno(errno, "read " + name);
  }
}

// Writes go through pwrite at a tracked offset rather than O_APPEND/lseek so
// that Truncate can move the append point without racing concurrent readers
// (pread never touches the file position).
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, UniqueFd fd, uint64_t append_at = 0)
      : path_(std::move(path)), fd_(std::move(fd)), offset_(append_at) {}
  // Appends that are aligned go through `direct_fd` (the same file opened
  // O_DIRECT), the others through `fd`.
  PosixWritableFile(std::string path, UniqueFd fd, UniqueFd direct_fd)
      : path_(std::move(path)), fd_(std::move(fd)), direct_fd_(std::move(direct_fd)) {}
  ~PosixWritableFile() override = default;

  size_t direct_io_alignment() const override {
    return direct_fd_.valid() ? kDirectIoAlignment : 0;
  }

  Status Append(const char* data, size_t n) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fd_.valid()) return Status::FailedPrecondition("append to closed file " + path_);
    // The kernel orders a direct write after the page cache's dirty pages
    // of its range and drops their cached copies: mixing both is coherent.
    while (n > 0) {
      // Decided per write: a short direct write may leave an unaligned rest.
      const bool direct = direct_fd_.valid() && n % kDirectIoAlignment == 0 &&
                          offset_ % kDirectIoAlignment == 0 &&
                          reinterpret_cast<uintptr_t>(data) % kDirectIoAlignment == 0;
      ssize_t w = ::pwrite(direct ? direct_fd_.get() : fd_.get(), data, n,
                           static_cast<off_t>(offset_));
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "write " + path_);
      }
      if (w == 0) return Status::Internal("write " + path_ + ": wrote 0 bytes");
      data += w;
      n -= static_cast<size_t>(w);
      offset_ += static_cast<uint64_t>(w);
    }
    return Status::Ok();
  }

  int fd() const override { return fd_.get(); }

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    // fd_ is only invalidated by Close(), which the owner calls once readers
    // are done; reading concurrently with Append needs no lock.
    int fd = fd_.get();
    if (fd < 0) return Status::FailedPrecondition("read from closed file " + path_);
    return PreadAt(fd, offset, buf, n, path_);
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fd_.valid()) return Status::FailedPrecondition("truncate closed file " + path_);
    while (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return Status::FromErrno(errno, "truncate " + path_);
    }
    offset_ = size;
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fd_.valid()) return Status::FailedPrecondition("sync closed file " + path_);
    while (::fdatasync(fd_.get()) != 0) {
      if (errno != EINTR) return Status::FromErrno(errno, "fdatasync " + path_);
    }
    return Status::Ok();
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    direct_fd_.Reset();
    if (fd_.Close() != 0 && errno != EINTR) return Status::FromErrno(errno, "close " + path_);
    return Status::Ok();
  }

 private:
  const std::string path_;
  std::mutex mu_;  // serializes writers (Append/Truncate/Sync/Close)
  UniqueFd fd_;
  UniqueFd direct_fd_;   // invalid unless opened for direct I/O
  uint64_t offset_ = 0;  // guarded by mu_
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    return PreadAt(fd_.get(), offset, buf, n, path_);
  }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return Status::FromErrno(errno, "stat " + path_);
    return static_cast<uint64_t>(st.st_size);
  }

  int fd() const override { return fd_.get(); }

 private:
  const std::string path_;
  UniqueFd fd_;
};

int64_t ClockMicros(clockid_t clock) {
  struct timespec ts;
  ::clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    UniqueFd fd(OpenRetry(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return Status::FromErrno(errno, "create " + path);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, std::move(fd)));
  }

  Result<std::unique_ptr<WritableFile>> NewDirectWritableFile(const std::string& path) override {
    UniqueFd fd(OpenRetry(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return Status::FromErrno(errno, "create " + path);
    // The same inode again (not the name, which someone could replace),
    // for direct writes; filesystems without O_DIRECT (tmpfs) refuse it and
    // the file stays buffered.
    const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
    UniqueFd direct(OpenRetry(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
    if (!direct.valid()) {
      return std::unique_ptr<WritableFile>(new PosixWritableFile(path, std::move(fd)));
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, std::move(fd), std::move(direct)));
  }

  Result<std::unique_ptr<WritableFile>> OpenAppendableFile(const std::string& path) override {
    UniqueFd fd(OpenRetry(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) return Status::FromErrno(errno, "open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "stat " + path);
    if (!S_ISREG(st.st_mode)) return Status::FailedPrecondition(path + " is not a regular file");
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, std::move(fd), static_cast<uint64_t>(st.st_size)));
  }

  Result<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path) override {
    UniqueFd fd(OpenRetry(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) return Status::FromErrno(errno, "open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "stat " + path);
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, std::move(fd), static_cast<uint64_t>(st.st_size)));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    UniqueFd fd(OpenRetry(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Status::FromErrno(errno, "open " + path);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, std::move(fd)));
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno(errno, "rename " + from + " to " + to);
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Status::FromErrno(errno, "remove " + path);
    return Status::Ok();
  }

  Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return Status::FromErrno(errno, "remove directory " + path);
    return Status::Ok();
  }

  Status CreateDirs(const std::string& path) override {
    if (path.empty()) return Status::InvalidArgument("CreateDirs: empty path");
    // Create each prefix in turn; EEXIST is fine as long as it is a directory.
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = path.find('/', pos + 1);
      std::string prefix = path.substr(0, pos);
      if (prefix.empty() || prefix.back() == '/') continue;
      if (::mkdir(prefix.c_str(), 0755) == 0) continue;
      int err = errno;
      if (err != EEXIST) return Status::FromErrno(err, "mkdir " + prefix);
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return Status::FromErrno(errno, "stat " + prefix);
      if (!S_ISDIR(st.st_mode)) {
        return Status::FailedPrecondition("mkdir " + prefix + ": exists and is not a directory");
      }
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& path) override {
    UniqueFd fd(OpenRetry(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return Status::FromErrno(errno, "open dir " + path);
    while (::fsync(fd.get()) != 0) {
      if (errno != EINTR) return Status::FromErrno(errno, "fsync dir " + path);
    }
    return Status::Ok();
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat " + path);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    UniqueDir dir(::opendir(path.c_str()));
    if (!dir) return Status::FromErrno(errno, "opendir " + path);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      struct dirent* e = ::readdir(dir.get());
      if (e == nullptr) {
        if (errno != 0) return Status::FromErrno(errno, "readdir " + path);
        break;
      }
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      names.push_back(std::move(name));
    }
    return names;
  }

  Result<uint64_t> AvailableBytes(const std::string& path) override {
    struct statvfs fs;
    if (::statvfs(path.c_str(), &fs) != 0) return Status::FromErrno(errno, "statvfs " + path);
    return static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
  }

  int64_t NowMicros() override { return ClockMicros(CLOCK_REALTIME); }
  int64_t MonotonicMicros() override { return ClockMicros(CLOCK_MONOTONIC); }
};

}  // namespace

std::unique_ptr<Env> NewPosixEnv() { return std::make_unique<PosixEnv>(); }

}  // namespace hubmirror
