#include "server/sync/sync_scheduler.h"

#include <chrono>
#include <string>

namespace hubmirror {

SyncScheduler::SyncScheduler(const SyncOptions& sync, Env* env, Index* index, ObjectStore* store,
                             Upstream* upstream, FILE* log)
    : sync_(sync),
      env_(env),
      upstream_(upstream),
      log_(log),
      syncer_(env, index, store, upstream, RepoSyncerOptions{sync.concurrency, &cancel_}) {}

SyncScheduler::~SyncScheduler() { Stop(); }

void SyncScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void SyncScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncScheduler::Loop() {
  const auto interval = std::chrono::seconds(sync_.interval_seconds);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    RunOnce();
    lock.lock();
    cv_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

SyncRunSummary SyncScheduler::LastRun() const {
  std::lock_guard<std::mutex> lock(summary_mu_);
  SyncRunSummary summary = summary_;
  summary.interval_seconds = sync_.interval_seconds;
  return summary;
}

void SyncScheduler::RunOnce() {
  {
    std::lock_guard<std::mutex> lock(summary_mu_);
    summary_.running = true;
    summary_.last_started_micros = env_->NowMicros();
  }
  const int64_t start = env_->MonotonicMicros();
  SyncListReport report = RunSyncList(sync_.repos, upstream_, &syncer_, /*progress=*/nullptr, pins_);
  const double seconds = static_cast<double>(env_->MonotonicMicros() - start) / 1e6;
  ++runs_completed_;
  {
    std::lock_guard<std::mutex> lock(summary_mu_);
    summary_.running = false;
    summary_.runs = runs_completed_.load();
    summary_.last_finished_micros = env_->NowMicros();
    summary_.last_repos = report.repos.size();
    summary_.last_failures = report.errors.size();
    summary_.last_files = report.files_transferred();
    summary_.last_bytes = report.bytes_transferred();
    summary_.last_errors.clear();
    constexpr size_t kMaxErrorsKept = 10;
    for (size_t i = 0; i < report.errors.size() && i < kMaxErrorsKept; ++i) {
      summary_.last_errors.push_back(report.errors[i].ToString());
    }
  }
  if (metrics_ != nullptr) {
    metrics_->sync_runs.With({}).Add();
    if (!report.errors.empty()) metrics_->sync_failures.With({}).Add();
    metrics_->sync_last_run.With({}).Set(static_cast<double>(env_->NowMicros()) / 1e6);
  }
  std::fprintf(log_,
               "hubmirror: sync run %llu: %zu repos, %llu files (%llu bytes) transferred, "
               "%zu failures, %.1f s\n",
               static_cast<unsigned long long>(runs_completed_.load()), report.repos.size(),
               static_cast<unsigned long long>(report.files_transferred()),
               static_cast<unsigned long long>(report.bytes_transferred()), report.errors.size(),
               seconds);
  for (const Status& error : report.errors) {
    std::fprintf(log_, "hubmirror: sync failed: %s\n", error.ToString().c_str());
  }
  std::fflush(log_);
}

}  // namespace hubmirror
