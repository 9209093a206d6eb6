#include "store/xorb/xorb_files.h"

#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

namespace hubmirror {
namespace {

bool TryFlock(int fd, int op) {
  if (fd < 0) return true;
  while (::flock(fd, op | LOCK_NB) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace

bool TryLockShared(int fd) { return TryFlock(fd, LOCK_SH); }
void Unlock(int fd) {
  if (fd >= 0) (void)::flock(fd, LOCK_UN);
}

void XorbPin::Unlock() const { hubmirror::Unlock(file_->fd()); }
bool TryLockExclusive(int fd) { return TryFlock(fd, LOCK_EX); }

std::string XorbFiles::FanDirOf(int64_t id) const {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned>(id & 0xff));
  return dir_ + "/" + buf;
}

std::string XorbFiles::PathOf(int64_t id) const {
  return FanDirOf(id) + "/" + std::to_string(id) + ".xorb";
}

int64_t XorbFiles::IdOfName(const std::string& name) {
  const std::string suffix = ".xorb";
  if (name.size() <= suffix.size() || name.size() > suffix.size() + 18 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return -1;
  }
  int64_t id = 0;
  for (size_t i = 0; i + suffix.size() < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    id = id * 10 + (name[i] - '0');
  }
  return id > 0 ? id : -1;
}

Result<std::shared_ptr<RandomAccessFile>> XorbFiles::OpenForRead(int64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                      env_->NewRandomAccessFile(PathOf(id)));
  std::shared_ptr<RandomAccessFile> shared(std::move(file));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it != by_id_.end()) return it->second->second;  // another thread was quicker
  lru_.emplace_front(id, shared);
  by_id_[id] = lru_.begin();
  // Bounded: evict least recently used handles no reader holds.
  for (auto victim = lru_.end(); lru_.size() > max_idle_handles_ && victim != lru_.begin();) {
    --victim;
    if (victim->second.use_count() == 1) {
      by_id_.erase(victim->first);
      victim = lru_.erase(victim);
    }
  }
  return shared;
}

void XorbFiles::DropIdleReadHandles() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->second.use_count() == 1) {
      by_id_.erase(it->first);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void XorbFiles::Forget(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  lru_.erase(it->second);
  by_id_.erase(it);
}

Result<std::unique_ptr<XorbPin>> XorbFiles::TryPin(int64_t id) {
  // A descriptor of its own: a lock taken through the shared read handle
  // would be released by the next pin's close of the same description.
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                      env_->NewRandomAccessFile(PathOf(id)));
  if (!TryLockShared(file->fd())) {
    return Status::Unavailable("xorb " + std::to_string(id) + " is being deleted");
  }
  return std::make_unique<XorbPin>(std::shared_ptr<RandomAccessFile>(std::move(file)));
}

Result<bool> XorbFiles::RemoveIfUnlocked(int64_t id,
                                         const std::function<Result<bool>()>& delete_rows) {
  const std::string path = PathOf(id);
  Result<std::unique_ptr<RandomAccessFile>> file = env_->NewRandomAccessFile(path);
  if (!file.ok() && !file.status().IsNotFound()) return std::move(file).status();
  if (file.ok() && !TryLockExclusive((*file)->fd())) return false;
  HM_ASSIGN_OR_RETURN(bool deleted, delete_rows());
  if (!deleted) return false;
  if (file.ok()) {
    Status removed = env_->RemoveFile(path);
    if (!removed.ok() && !removed.IsNotFound()) return removed;
  }
  Forget(id);
  return true;  // the lock goes with the descriptor
}

Result<std::vector<int64_t>> XorbFiles::ListIds() {
  std::vector<int64_t> ids;
  if (!env_->FileExists(dir_)) return ids;
  HM_ASSIGN_OR_RETURN(std::vector<std::string> fans, env_->ListDir(dir_));
  for (const std::string& fan : fans) {
    auto names = env_->ListDir(dir_ + "/" + fan);
    if (!names.ok()) continue;
    for (const std::string& name : *names) {
      const int64_t id = IdOfName(name);
      if (id > 0) ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace hubmirror
