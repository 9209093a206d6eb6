#include "store/temp_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <vector>

namespace hubmirror {
namespace {

// Closes a descriptor this file opened itself when the scope ends.
class ClosesOnExit {
 public:
  explicit ClosesOnExit(int fd) : fd_(fd) {}
  ~ClosesOnExit() { ::close(fd_); }
  ClosesOnExit(const ClosesOnExit&) = delete;
  ClosesOnExit& operator=(const ClosesOnExit&) = delete;

 private:
  const int fd_;
};

}  // namespace

std::string UniqueTempPrefix() {
  std::random_device rd;
  const uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 "-%ld", r, static_cast<long>(::getpid()));
  return buf;
}

bool TryLockTempFile(int fd) {
  if (fd < 0) return true;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

std::string PartialFileName(const ObjectPromise& promise) {
  if (!promise.sha256.empty()) return "resume-" + promise.sha256 + ".partial";
  return "resume-git-" + promise.git_sha1 + ".partial";
}

bool SameFile(const std::string& path, int fd) {
  if (fd < 0) return true;
  struct stat by_name, by_fd;
  if (::stat(path.c_str(), &by_name) != 0 || ::fstat(fd, &by_fd) != 0) return false;
  return by_name.st_dev == by_fd.st_dev && by_name.st_ino == by_fd.st_ino;
}

Status CleanTempDir(Env* env, const std::string& dir, int64_t now_micros) {
  HM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    // Our own descriptor, locked while we decide and unlink: a writer that
    // opens the file meanwhile cannot lock it, and one that had it open
    // keeps us from locking it at all.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // its writer finished meanwhile
      // Not a file we can open (a symlink, a directory): not ours to judge
      // by lock; remove it as the old cleanup did.
      Status s = env->RemoveFile(path);
      if (!s.ok() && !s.IsNotFound()) return s;
      continue;
    }
    const ClosesOnExit closer(fd);  // after the unlink: the lock covers it
    bool remove = false;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      struct stat st;
      const bool partial = name.ends_with(".partial");
      const int64_t age = ::fstat(fd, &st) == 0
                              ? now_micros - static_cast<int64_t>(st.st_mtime) * 1000000
                              : 0;
      remove = !partial || age > kStalePartialMicros;
    }
    Status s = remove ? env->RemoveFile(path) : Status::Ok();
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  return Status::Ok();
}

}  // namespace hubmirror
