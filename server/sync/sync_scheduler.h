// SyncScheduler: runs the config's sync list inside `serve`, every
// sync.interval_seconds, on one background thread.
//
// The first run starts right away; each next one starts `interval` after the
// previous run ended (runs never overlap). Each run writes one summary line to
// the log (repos, files and bytes transferred, and every failure with its
// fix). Stop() (or the destructor) wakes the waiting thread at once and
// cancels a run in progress: downloads stop at their next chunk, and nothing
// half-done is published (see RepoSyncer).
//
// Thread-safe: Start() once, Stop() from any thread, any number of times.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fetcher/repo_sync.h"
#include "fetcher/sync_list.h"
#include "fetcher/upstream.h"
#include "server/options.h"
#include "server/ops/server_metrics.h"
#include "server/sync/sync_run_summary.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/object_store.h"

namespace hubmirror {

class SyncScheduler {
 public:
  // `sync.interval_seconds` must be > 0. Pointers must outlive the
  // scheduler; `log` receives one line per run (typically stderr).
  SyncScheduler(const SyncOptions& sync, Env* env, Index* index, ObjectStore* store,
                Upstream* upstream, FILE* log);
  // Pins what the runs sync (specs with `pin`); optional, must outlive this.
  void set_pins(RetentionDb* pins) { pins_ = pins; }
  // Counts runs and failed runs into `metrics` (optional; must outlive this).
  void set_metrics(ServerMetrics* metrics) { metrics_ = metrics; }
  ~SyncScheduler();
  SyncScheduler(const SyncScheduler&) = delete;
  SyncScheduler& operator=(const SyncScheduler&) = delete;

  void Start();
  // Cancels a run in progress and joins the thread; bounded by the time a
  // download takes to notice (one chunk) or an upstream metadata timeout.
  void Stop();

  // Runs completed so far (for tests).
  uint64_t runs_completed() const { return runs_completed_.load(); }
  SyncRunSummary LastRun() const;

 private:
  void Loop();
  void RunOnce();

  const SyncOptions& sync_;
  Env* env_;
  Upstream* upstream_;
  FILE* log_;
  std::atomic<bool> cancel_{false};
  RepoSyncer syncer_;  // reads cancel_

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::atomic<uint64_t> runs_completed_{0};
  ServerMetrics* metrics_ = nullptr;
  RetentionDb* pins_ = nullptr;
  mutable std::mutex summary_mu_;
  SyncRunSummary summary_;  // guarded by summary_mu_
  std::thread thread_;
};

}  // namespace hubmirror
