#include "fetcher/local_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

namespace hubmirror {
namespace {

constexpr size_t kMaxPathComponents = 1024;

// A name beside `path` that no other writer picks: ".<name>.<random>.tmp".
std::string TemporarySibling(const std::string& path) {
  std::random_device rd;
  char suffix[24];
  std::snprintf(suffix, sizeof(suffix), "%08x%08x", rd(), rd());
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + "." + suffix + ".tmp";
}

Status MakeOneDir(const std::string& path, bool must_be_real_dir) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, "cannot create folder " + path);
  }
  struct stat st;
  int rc = must_be_real_dir ? lstat(path.c_str(), &st) : stat(path.c_str(), &st);
  if (rc != 0) return Status::FromErrno(errno, "cannot inspect " + path);
  if (!S_ISDIR(st.st_mode)) {
    return Status::PermissionDenied(path + " exists but is not a folder" +
                                    (S_ISLNK(st.st_mode) ? " (a symlink; refusing to follow it)"
                                                         : ""));
  }
  return Status::Ok();
}

}  // namespace

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Status UniqueFd::Close(const std::string& path) {
  if (fd_ < 0) return Status::Ok();
  int rc = close(release());
  if (rc != 0) return Status::FromErrno(errno, "cannot close " + path);
  return Status::Ok();
}

Result<FileLock> FileLock::Acquire(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return Status::FromErrno(errno, "cannot open lock file " + path);
  int rc;
  do {
    rc = flock(fd.get(), LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::FromErrno(errno, "cannot lock " + path);
  return FileLock(std::move(fd));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/' && !name.empty()) out += '/';
  out += name;
  return out;
}

std::string ParentOf(std::string_view relative_path) {
  size_t slash = relative_path.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(relative_path.substr(0, slash));
}

Status MakeDirsUnder(const std::string& root, std::string_view relative_dir) {
  // The root itself may legitimately be (or pass through) a symlink the user
  // chose, so it is created like `mkdir -p` and only stat()ed.
  if (root.empty()) return Status::InvalidArgument("empty target folder");
  std::string prefix;
  size_t start = root.front() == '/' ? 1 : 0;
  if (start == 1) prefix = "/";
  for (size_t parts = 0; start <= root.size() && parts < kMaxPathComponents; ++parts) {
    size_t end = root.find('/', start);
    if (end == std::string::npos) end = root.size();
    if (end > start) {
      prefix += root.substr(start, end - start);
      HM_RETURN_IF_ERROR(MakeOneDir(prefix, /*must_be_real_dir=*/false));
      prefix += '/';
    }
    start = end + 1;
  }
  std::string path = root;
  size_t begin = 0;
  for (size_t parts = 0; begin < relative_dir.size(); ++parts) {
    if (parts >= kMaxPathComponents) return Status::InvalidArgument("path too deep: " + root);
    size_t end = relative_dir.find('/', begin);
    if (end == std::string_view::npos) end = relative_dir.size();
    path = JoinPath(path, relative_dir.substr(begin, end - begin));
    HM_RETURN_IF_ERROR(MakeOneDir(path, /*must_be_real_dir=*/true));
    begin = end + 1;
  }
  return Status::Ok();
}

Status ReplaceSymlink(const std::string& target, const std::string& link_path) {
  std::string tmp = TemporarySibling(link_path);
  if (symlink(target.c_str(), tmp.c_str()) != 0) {
    return Status::FromErrno(errno, "cannot create symlink " + tmp);
  }
  if (rename(tmp.c_str(), link_path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::FromErrno(err, "cannot rename symlink to " + link_path);
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  std::string tmp = TemporarySibling(path);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::FromErrno(errno, "cannot create " + tmp);
  Status st;
  size_t written = 0;
  while (st.ok() && written < content.size()) {
    ssize_t n = write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) st = Status::FromErrno(errno, "cannot write " + tmp);
    else written += static_cast<size_t>(n);
  }
  if (st.ok() && fsync(fd.get()) != 0) st = Status::FromErrno(errno, "cannot fsync " + tmp);
  if (st.ok()) st = fd.Close(tmp);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::FromErrno(errno, "cannot rename " + tmp + " to " + path);
  }
  if (!st.ok()) unlink(tmp.c_str());
  return st;
}

Result<std::optional<std::string>> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::FromErrno(errno, "cannot open " + path);
  }
  std::string content;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "cannot read " + path);
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      return Status::InvalidArgument(path + " is larger than " + std::to_string(max_bytes) +
                                     " bytes");
    }
    content.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(content));
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::optional<uint64_t>> RegularFileSize(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<uint64_t>();
    return Status::FromErrno(errno, "cannot inspect " + path);
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::FailedPrecondition(path + " exists but is not a regular file");
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(st.st_size));
}

Status RemoveFileIfPresent(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::FromErrno(errno, "cannot remove " + path);
  }
  return Status::Ok();
}

}  // namespace hubmirror
