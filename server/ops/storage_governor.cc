#include "server/ops/storage_governor.h"

#include <algorithm>
#include <chrono>

namespace hubmirror {

StorageGovernor::StorageGovernor(StorageGovernorOptions options, Env* env, Index* index,
                                 ChunkedObjectStore* store, RetentionDb* retention, FILE* log)
    : options_(options), env_(env), index_(index), store_(store), retention_(retention), log_(log) {}

StorageGovernor::~StorageGovernor() { Stop(); }

void StorageGovernor::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void StorageGovernor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<AccessEvent> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rest.swap(pending_);
  }
  (void)retention_->RecordAccess(rest);
}

void StorageGovernor::RecordDownload(const RepoKey& repo, const std::string& sha256) {
  // Bounded: a burst between two flushes keeps at most this many events
  // (the newest per object are what matter; older ones may go).
  constexpr size_t kMaxPending = 100'000;
  const int64_t now = env_->NowMicros();
  std::lock_guard<std::mutex> lock(mu_);
  if (pending_.size() < kMaxPending) pending_.push_back(AccessEvent{repo, sha256, now});
  int64_t& last = repo_last_access_[repo.ToString()];
  last = std::max(last, now);
  if (sha256.empty() && options_.max_bytes > 0) {
    kicked_ = true;
    cv_.notify_all();
  }
}

std::optional<int64_t> StorageGovernor::RepoLastAccess(const RepoKey& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!repo_access_loaded_) {
    // Once per process; a failed read leaves only this process's downloads
    // known, which the next call does not retry (a page must stay quick).
    repo_access_loaded_ = true;
    if (Result<std::map<std::string, int64_t>> stored = retention_->RepoLastAccess(); stored.ok()) {
      for (const auto& [key, micros] : *stored) {
        int64_t& last = repo_last_access_[key];
        last = std::max(last, micros);
      }
    }
  }
  auto it = repo_last_access_.find(repo.ToString());
  if (it == repo_last_access_.end()) return std::nullopt;
  return it->second;
}

Result<EvictionReport> StorageGovernor::RunOnce() {
  std::lock_guard<std::mutex> round(round_mu_);
  std::vector<AccessEvent> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
  }
  HM_RETURN_IF_ERROR(retention_->RecordAccess(batch));
  store_->DropIdleReadHandles();
  EvictionReport report;
  if (options_.max_bytes == 0) return report;
  EvictionOptions eviction;
  eviction.max_bytes = options_.max_bytes;
  eviction.low_water_bytes = options_.max_bytes / 100 * static_cast<uint64_t>(options_.low_water_percent);
  HM_ASSIGN_OR_RETURN(report, EvictToFit(index_, store_, retention_, eviction));
  if (!report.evicted.empty()) {
    std::fprintf(log_,
                 "hubmirror: store over its limit (%llu > %llu bytes): evicted %zu objects "
                 "(%llu bytes), %llu bytes now live; compaction freed %llu bytes\n",
                 static_cast<unsigned long long>(report.live_bytes_before),
                 static_cast<unsigned long long>(options_.max_bytes), report.evicted.size(),
                 static_cast<unsigned long long>(report.evicted_bytes),
                 static_cast<unsigned long long>(report.live_bytes_after),
                 static_cast<unsigned long long>(report.compaction.freed()));
    std::fflush(log_);
  }
  return report;
}

void StorageGovernor::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::microseconds(options_.interval_micros),
                 [this] { return stopping_ || kicked_; });
    if (stopping_) break;
    kicked_ = false;
    lock.unlock();
    Result<EvictionReport> round = RunOnce();
    if (!round.ok()) {
      std::fprintf(log_, "hubmirror: storage round failed: %s\n",
                   round.status().ToString().c_str());
      std::fflush(log_);
    }
    lock.lock();
  }
}

}  // namespace hubmirror
