#include "store/xorb/xorb_files.h"

#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "store/temp_files.h"

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
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenLocal(id));
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
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenLocal(id, /*lock_shared=*/true));
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
  // With a bucket, its object stays for readers on other nodes that resolved
  // the xorb before its rows went; the catalog has it doomed (SweepDoomed).
  if (file.ok()) {
    Status removed = env_->RemoveFile(path);
    if (!removed.ok() && !removed.IsNotFound()) return removed;
  }
  Forget(id);
  if (bucket_ != nullptr) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (auto it = cached_by_id_.find(id); it != cached_by_id_.end()) {
      stats_.cached_bytes -= it->second->second;
      cached_.erase(it->second);
      cached_by_id_.erase(it);
    }
  }
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

XorbFiles::XorbFiles(Env* env, std::string dir, ObjectStorage* bucket, uint64_t cache_bytes,
                     std::string tmp_dir, std::string temp_prefix)
    : env_(env),
      dir_(std::move(dir)),
      max_idle_handles_(256),
      bucket_(bucket),
      cache_bytes_(cache_bytes),
      tmp_dir_(std::move(tmp_dir)),
      temp_prefix_(std::move(temp_prefix)) {}

std::string XorbFiles::KeyOf(int64_t id) {
  char fan[8];
  std::snprintf(fan, sizeof(fan), "%02x", static_cast<unsigned>(id & 0xff));
  return std::string("xorbs/") + fan + "/" + std::to_string(id) + ".xorb";
}

Status XorbFiles::Share(int64_t id) {
  if (bucket_ == nullptr) return Status::Ok();
  const std::string path = PathOf(id);
  HM_RETURN_IF_ERROR(bucket_->PutFile(KeyOf(id), path));
  HM_ASSIGN_OR_RETURN(uint64_t size, env_->FileSize(path));
  NoteCached(id, size);
  TrimCache();
  return Status::Ok();
}

Status XorbFiles::DeleteShared(int64_t id) {
  if (bucket_ == nullptr) return Status::Ok();
  return bucket_->Delete(KeyOf(id));
}

void XorbFiles::Unshare(int64_t id, const std::function<Result<bool>()>& named) {
  if (bucket_ == nullptr) return;
  Result<bool> is_named = named();
  if (!is_named.ok() || *is_named) return;
  (void)bucket_->Delete(KeyOf(id));
}

void XorbFiles::NoteCached(int64_t id, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  ScanCacheLocked();  // counts it when this is the first look
  if (auto it = cached_by_id_.find(id); it != cached_by_id_.end()) {
    cached_.splice(cached_.begin(), cached_, it->second);
    return;
  }
  cached_.emplace_front(id, bytes);
  cached_by_id_[id] = cached_.begin();
  stats_.cached_bytes += bytes;
}

Result<std::unique_ptr<RandomAccessFile>> XorbFiles::OpenLocal(int64_t id, bool lock_shared) {
  const std::string path = PathOf(id);
  auto locked = [&](Result<std::unique_ptr<RandomAccessFile>> file)
      -> Result<std::unique_ptr<RandomAccessFile>> {
    if (file.ok() && lock_shared && !TryLockShared((*file)->fd())) {
      return Status::Unavailable("xorb " + std::to_string(id) + " is being deleted");
    }
    return file;
  };
  if (bucket_ == nullptr) return locked(env_->NewRandomAccessFile(path));
  std::shared_ptr<std::mutex> fetch_mu;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    ScanCacheLocked();
    if (auto it = cached_by_id_.find(id); it != cached_by_id_.end()) {
      cached_.splice(cached_.begin(), cached_, it->second);
    }
    auto& slot = fetching_[id];
    if (!slot) slot = std::make_shared<std::mutex>();
    fetch_mu = slot;
  }
  Result<std::unique_ptr<RandomAccessFile>> file = [&]() -> Result<std::unique_ptr<RandomAccessFile>> {
    // One fetch of a xorb at a time; the others find it cached after.
    std::lock_guard<std::mutex> one_fetch(*fetch_mu);
    Result<std::unique_ptr<RandomAccessFile>> local = env_->NewRandomAccessFile(path);
    if (local.ok() || !local.status().IsNotFound()) return locked(std::move(local));
    HM_RETURN_IF_ERROR(Fetch(id));
    return locked(env_->NewRandomAccessFile(path));
  }();
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    fetching_.erase(id);
  }
  // Trimmed with the descriptor open (and a pin's lock taken): evicting this
  // very xorb now only unlinks a file its reader holds, and a pinned one stays.
  if (file.ok()) TrimCache();
  return file;
}

void XorbFiles::ScanCacheLocked() {
  if (cache_scanned_) return;
  // What earlier runs left in the cache counts against its size.
  cache_scanned_ = true;
  Result<std::vector<int64_t>> ids = ListIds();
  if (!ids.ok()) return;
  for (int64_t cached : *ids) {
    Result<uint64_t> size = env_->FileSize(PathOf(cached));
    if (!size.ok()) continue;
    cached_.emplace_back(cached, *size);
    cached_by_id_[cached] = std::prev(cached_.end());
    stats_.cached_bytes += *size;
  }
}

Status XorbFiles::Fetch(int64_t id) {
  const std::string path = PathOf(id);
  HM_ASSIGN_OR_RETURN(std::optional<uint64_t> size, bucket_->Size(KeyOf(id)));
  if (!size) {
    return Status::NotFound("xorb " + std::to_string(id) + " is not in " + bucket_->where());
  }
  HM_RETURN_IF_ERROR(env_->CreateDirs(FanDirOf(id)));
  // Fetched into a locked temp file of this process, renamed whole.
  const std::string partial = tmp_dir_ + "/" + temp_prefix_ + ".fetch-" + std::to_string(id) +
                              "-" + std::to_string(fetch_counter_++) + ".tmp";
  HM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, env_->NewWritableFile(partial));
  (void)TryLockTempFile(out->fd());
  constexpr uint64_t kPiece = uint64_t{8} << 20;
  std::string piece;
  for (uint64_t off = 0; off < *size; off += kPiece) {
    const uint64_t want = std::min(kPiece, *size - off);
    Status got = bucket_->GetRange(KeyOf(id), off, want, &piece);
    if (got.ok() && piece.size() != want) {
      got = Status::DataLoss("xorb " + std::to_string(id) + " in " + bucket_->where() +
                             " ended early");
    }
    if (got.ok()) got = out->Append(piece.data(), piece.size());
    if (!got.ok()) {
      (void)out->Close();
      (void)env_->RemoveFile(partial);
      return got;
    }
  }
  HM_RETURN_IF_ERROR(out->Close());
  HM_RETURN_IF_ERROR(env_->RenameFile(partial, path));
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    ++stats_.fetches;
    stats_.fetched_bytes += *size;
  }
  NoteCached(id, *size);
  return Status::Ok();
}

void XorbFiles::TrimCache() {
  std::vector<int64_t> victims;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    uint64_t total = stats_.cached_bytes;
    for (auto it = cached_.rbegin(); it != cached_.rend() && total > cache_bytes_; ++it) {
      victims.push_back(it->first);
      total -= std::min(total, it->second);
    }
  }
  for (int64_t id : victims) {
    const std::string path = PathOf(id);
    Result<std::unique_ptr<RandomAccessFile>> file = env_->NewRandomAccessFile(path);
    // Pinned by a writer or being published: stays. Readers keep their
    // descriptors; the next reader fetches it again.
    if (file.ok() && !TryLockExclusive((*file)->fd())) continue;
    if (file.ok()) (void)env_->RemoveFile(path);
    Forget(id);
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (auto it = cached_by_id_.find(id); it != cached_by_id_.end()) {
      stats_.cached_bytes -= std::min(stats_.cached_bytes, it->second->second);
      cached_.erase(it->second);
      cached_by_id_.erase(it);
      ++stats_.evictions;
    }
  }
}

BucketCacheFigures XorbFiles::cache_stats() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return stats_;
}

}  // namespace hubmirror
