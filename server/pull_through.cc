#include "server/pull_through.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "store/entry_objects.h"

namespace hubmirror {

ObjectFetch::ObjectFetch(RepoKey repo, std::string commit, EntryRecord entry,
                         std::unique_ptr<ObjectWriter> writer)
    : repo_(std::move(repo)),
      commit_(std::move(commit)),
      entry_(std::move(entry)),
      resume_offset_(writer->bytes_written()),
      writer_(std::move(writer)),
      written_(resume_offset_) {}

uint64_t ObjectFetch::ReadableLocked() const {
  if (done_) return final_status_.ok() ? entry_.size : 0;
  if (verified_) return entry_.size;
  // Until the hash is verified the last byte stays back: a reader of a
  // corrupt transfer must not see a complete response.
  return written_ < entry_.size ? written_ : entry_.size - 1;
}

Status ObjectFetch::WaitLocked(std::unique_lock<std::mutex>& lock, int64_t stall_timeout_ms,
                               const std::function<bool()>& ready, int64_t max_wait_ms) {
  using Clock = std::chrono::steady_clock;
  uint64_t last_written = written_;
  const Clock::time_point give_up = max_wait_ms < 0
                                        ? Clock::time_point::max()
                                        : Clock::now() + std::chrono::milliseconds(max_wait_ms);
  auto deadline = Clock::now() + std::chrono::milliseconds(stall_timeout_ms);
  while (!ready()) {
    if (cv_.wait_until(lock, std::min(deadline, give_up)) == std::cv_status::timeout) {
      if (Clock::now() >= give_up) {
        return Status::Unavailable("upstream transfer of " + entry_.path + " is still running");
      }
      if (Clock::now() < deadline) continue;
      if (written_ == last_written) {
        return Status::DeadlineExceeded("upstream transfer of " + entry_.path + " stalled");
      }
      last_written = written_;
      deadline = Clock::now() + std::chrono::milliseconds(stall_timeout_ms);
    }
  }
  return Status::Ok();
}

Result<uint64_t> ObjectFetch::WaitReadable(uint64_t offset, int64_t stall_timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  HM_RETURN_IF_ERROR(WaitLocked(lock, stall_timeout_ms,
                                [&] { return done_ || ReadableLocked() > offset; }));
  if (done_ && !final_status_.ok()) return final_status_;
  const uint64_t readable = ReadableLocked();
  if (readable <= offset) return Status::InvalidArgument("read past the end of the object");
  return readable - offset;
}

Status ObjectFetch::WaitVerified(int64_t stall_timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  HM_RETURN_IF_ERROR(
      WaitLocked(lock, stall_timeout_ms, [this] { return done_ || verified_; }));
  return done_ ? final_status_ : Status::Ok();
}

Status ObjectFetch::WaitDone(int64_t stall_timeout_ms, int64_t max_wait_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  HM_RETURN_IF_ERROR(WaitLocked(lock, stall_timeout_ms, [this] { return done_; }, max_wait_ms));
  return final_status_;
}

uint64_t ObjectFetch::BytesToArrive() const {
  std::lock_guard<std::mutex> lock(mu_);
  return written_ < entry_.size ? entry_.size - written_ : 0;
}

Result<size_t> ObjectFetch::Read(uint64_t offset, char* buf, size_t n) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!writer_) return Status::Unavailable("the upstream transfer of " + entry_.path + " failed");
  return writer_->ReadWritten(offset, buf, n);
}

bool ObjectFetch::ReadyOrNotify(uint64_t offset, bool need_verified,
                                std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_ || (ReadableLocked() > offset && (!need_verified || verified_))) return true;
  if (wake) waiters_.push_back(std::move(wake));
  return false;
}

void ObjectFetch::NotifyWaiters() {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters.swap(waiters_);
  }
  for (auto& wake : waiters) wake();
}

Status ObjectFetch::Append(const char* data, size_t n) {
  HM_RETURN_IF_ERROR(writer_->Append(data, n));
  {
    std::lock_guard<std::mutex> lock(mu_);
    written_ = writer_->bytes_written();
  }
  cv_.notify_all();
  NotifyWaiters();
  return Status::Ok();
}

void ObjectFetch::MarkVerified() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    verified_ = true;
  }
  cv_.notify_all();
  NotifyWaiters();
}

std::unique_ptr<ObjectWriter> ObjectFetch::TakeWriter() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(writer_);
}

void ObjectFetch::Finish(Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    final_status_ = std::move(status);
  }
  cv_.notify_all();
  NotifyWaiters();
}

PullThrough::PullThrough(const ServerOptions& options, Env* env, Index* index, ObjectStore* store,
                         Upstream* upstream, ClusterLocks* leases)
    : options_(options),
      env_(env),
      index_(index),
      store_(store),
      upstream_(upstream),
      leases_(leases) {
  int threads = options.max_concurrent_fetches > 0 ? options.max_concurrent_fetches : 1;
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

PullThrough::~PullThrough() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cancelled_ = true;
    for (auto& fetch : queue_) {
      fetch->Finish(Status::Unavailable("server shutting down"));
    }
    queue_.clear();
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

std::string PullThrough::KeyOf(const EntryRecord& entry) {
  return entry.is_lfs ? "sha256:" + entry.lfs_sha256 : "git:" + entry.oid;
}

size_t PullThrough::fetches_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.size();
}

uint64_t PullThrough::fetches_started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_started_;
}

Result<std::shared_ptr<ObjectFetch>> PullThrough::FindLocked(const EntryRecord& entry) {
  if (stopping_) return Status::Unavailable("server shutting down");
  auto it = running_.find(KeyOf(entry));
  if (it != running_.end()) return it->second;
  // A fetch may have committed the object and left running_ since the caller
  // looked in the store: starting another would fetch the file twice.
  HM_ASSIGN_OR_RETURN(std::optional<std::string> stored, FindStoredObject(index_, store_, entry));
  if (stored) return Status::AlreadyExists("object " + *stored + " is stored now");
  return std::shared_ptr<ObjectFetch>();
}

Result<std::shared_ptr<ObjectFetch>> PullThrough::StartOrJoin(const RepoKey& repo,
                                                              const std::string& commit,
                                                              const EntryRecord& entry) {
  if (leases_ == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    HM_ASSIGN_OR_RETURN(std::shared_ptr<ObjectFetch> found, FindLocked(entry));
    if (found) return found;
    return StartLocked(repo, commit, entry, nullptr);
  }
  // Bounded: a holder that neither commits nor dies within this long is
  // reported, and the client may ask again.
  constexpr int64_t kMaxLeaseWaitMicros = int64_t{30} * 60 * 1'000'000;
  constexpr int64_t kPollMicros = 100'000;
  const int64_t deadline = env_->MonotonicMicros() + kMaxLeaseWaitMicros;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      HM_ASSIGN_OR_RETURN(std::shared_ptr<ObjectFetch> found, FindLocked(entry));
      if (found) return found;
    }
    HM_ASSIGN_OR_RETURN(std::unique_ptr<ClusterLease> lease, leases_->TryAcquire(KeyOf(entry)));
    if (lease) {
      std::lock_guard<std::mutex> lock(mu_);
      // Another thread here may have started meanwhile, or the last holder
      // committed just before letting go.
      HM_ASSIGN_OR_RETURN(std::shared_ptr<ObjectFetch> found, FindLocked(entry));
      if (found) return found;
      return StartLocked(repo, commit, entry, std::move(lease));
    }
    if (env_->MonotonicMicros() >= deadline) {
      return Status::Unavailable("another node has been fetching " + entry.path + " of " +
                                 repo.ToString() + " for 30 minutes; try again later");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(kPollMicros));
  }
}

Result<std::shared_ptr<ObjectFetch>> PullThrough::StartLocked(const RepoKey& repo,
                                                              const std::string& commit,
                                                              const EntryRecord& entry,
                                                              std::unique_ptr<ClusterLease> lease) {
  const std::string key = KeyOf(entry);
  // Bytes are written once, as chunks: an object needs its size (less what
  // deduplicates, which is not known before it arrives); transfers already
  // running still need their share too.
  uint64_t needed = entry.size + options_.min_free_bytes;
  for (const auto& [running_key, running] : running_) needed += running->BytesToArrive();
  Result<uint64_t> available = env_->AvailableBytes(options_.store_dir);
  if (available.ok() && *available < needed) {
    return Status::ResourceExhausted(
        "not enough disk space to store " + entry.path + " of " + repo.ToString() + " (" +
        std::to_string(entry.size) + " bytes, needing " + std::to_string(needed) +
        " with the transfers in flight and " + std::to_string(options_.min_free_bytes) +
        " kept in reserve; " + std::to_string(*available) + " free in " + options_.store_dir +
        "): free space or move the store; stored files are still served");
  }
  std::unique_ptr<ObjectWriter> writer;
  if (auto parked = parked_.find(key); parked != parked_.end()) {
    // An earlier transfer of these bytes broke off: continue where it ended.
    writer = std::move(parked->second);
    parked_.erase(parked);
  } else {
    HM_ASSIGN_OR_RETURN(writer, store_->NewWriter(PromiseForEntry(entry)));
  }
  auto fetch = std::make_shared<ObjectFetch>(repo, commit, entry, std::move(writer));
  fetch->lease_ = std::move(lease);
  running_[key] = fetch;
  queue_.push_back(fetch);
  ++fetches_started_;
  work_cv_.notify_one();
  return fetch;
}

void PullThrough::WorkerLoop() {
  while (true) {
    std::shared_ptr<ObjectFetch> fetch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      fetch = std::move(queue_.front());
      queue_.pop_front();
    }
    Run(fetch);
  }
}

void PullThrough::Run(const std::shared_ptr<ObjectFetch>& fetch) {
  const EntryRecord& entry = fetch->entry();
  bool append_failed = false;
  Status status = upstream_->Download(
      fetch->repo_, fetch->commit_, entry.path, fetch->resume_offset_, entry.size,
      [this, &fetch, &append_failed](const char* data, size_t n) -> Status {
        if (cancelled_.load(std::memory_order_relaxed)) {
          return Status::Unavailable("server shutting down");
        }
        Status appended = fetch->Append(data, n);
        append_failed = !appended.ok();
        return appended;
      });
  // Only a transfer that broke off can resume, and only with a writer still
  // able to take bytes: a failed Append poisons the writer, and a failed
  // Commit finishes it (parked, it would "resume" at its end and fail every
  // later request the same way).
  const bool resumable = !status.ok() && status.retryable() && !append_failed;
  if (status.ok()) {
    // Verified first: the last byte goes to streaming clients as soon as the
    // digests match; the commit (fsync, catalog) follows.
    Result<ObjectInfo> info = fetch->writer_->Verify();
    if (info.ok()) {
      fetch->MarkVerified();
      info = fetch->writer_->Commit();
    }
    if (info.ok()) {
      status = index_->PutObject(ObjectRecord{info->sha256, info->git_sha1, info->size, info->xet_hash});
    } else {
      status = std::move(info).status();
    }
  }
  // After a transient download failure the bytes received so far are kept
  // for the next request of the same object (bounded); readers of this fetch
  // are done with them once it has failed.
  std::unique_ptr<ObjectWriter> leftover;
  if (resumable) leftover = fetch->TakeWriter();
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string key = KeyOf(entry);
    running_.erase(key);
    if (leftover && leftover->bytes_written() > 0 && !stopping_) {
      if (parked_.size() >= kMaxParkedTransfers) parked_.erase(parked_.begin());
      parked_[key] = std::move(leftover);
    }
  }
  // Committed (or failed): other nodes may look, or take over.
  fetch->lease_.reset();
  if (!status.ok()) {
    status = Status(status.code(), "fetching " + entry.path + " of " + fetch->repo_.ToString() +
                                       " at " + fetch->commit_ + ": " + status.message());
  }
  fetch->Finish(std::move(status));
}

}  // namespace hubmirror
