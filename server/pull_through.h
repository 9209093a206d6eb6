// PullThrough: fetches files the store does not hold yet, once, while any
// number of clients stream them.
//
// StartOrJoin() returns the ObjectFetch for a file, starting it on a bounded
// pool of fetch threads if none is running. The fetch writes the upstream's
// bytes into an ObjectWriter; clients read what has arrived so far and wait
// for more. The last byte is held back from readers until the object's
// digests have been verified (the commit, which makes it durable, follows),
// so a client whose download turns out to be corrupt sees its connection end
// early, never a clean finish. When a
// transfer breaks off for a transient reason (upstream down, connection lost
// past the fetcher's retries), the bytes received so far are kept and the next
// request for the object resumes from there with a Range request. A transfer
// whose bytes arrived but could not be stored (Append or Commit failed) is
// dropped: the next request starts from byte 0 with a new writer.
//
// In a cluster (`leases` set, cluster_locks.h) a node fetches an object only
// while it holds the object's lease: a node that finds the lease taken
// waits, without a byte to its clients, until the holder committed the
// object (then serves it from the shared store) or the lease came free
// (the holder failed or died: then it fetches the object itself). So one
// upstream transfer serves every node.
//
// Thread-safe. The destructor stops the pool: running fetches are cancelled
// and their readers fail.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fetcher/upstream.h"
#include "server/options.h"
#include "store/index/index.h"
#include "store/sql/cluster_locks.h"
#include "store/object_store.h"

namespace hubmirror {

class ObjectFetch {
 public:
  ObjectFetch(RepoKey repo, std::string commit, EntryRecord entry,
              std::unique_ptr<ObjectWriter> writer);
  ObjectFetch(const ObjectFetch&) = delete;
  ObjectFetch& operator=(const ObjectFetch&) = delete;

  uint64_t size() const { return entry_.size; }
  const EntryRecord& entry() const { return entry_; }

  // Waits until bytes at `offset` can be read, and returns how many (> 0);
  // an error when the fetch failed or nothing arrived for `stall_timeout_ms`.
  Result<uint64_t> WaitReadable(uint64_t offset, int64_t stall_timeout_ms);
  // Waits until the whole object has arrived and been verified (OK; the
  // commit may still be running), or the fetch failed (its error), or
  // stalled for `stall_timeout_ms`.
  Status WaitVerified(int64_t stall_timeout_ms);
  // The same, until the fetch is over: committed (OK) or failed. With
  // `max_wait_ms` >= 0, Unavailable once that much time has passed while
  // bytes still arrive.
  Status WaitDone(int64_t stall_timeout_ms, int64_t max_wait_ms = -1);
  Result<size_t> Read(uint64_t offset, char* buf, size_t n) const;
  // Whether WaitReadable(offset) (and, with `need_verified`, WaitVerified)
  // would return at once. If not and `wake` is set, `wake` is called (from
  // the fetch thread, without locks held) once more bytes arrived, the
  // transfer was verified, or it ended. Lets a connection wait without a
  // thread.
  bool ReadyOrNotify(uint64_t offset, bool need_verified, std::function<void()> wake);
  // Bytes of the object the upstream has yet to deliver.
  uint64_t BytesToArrive() const;

 private:
  friend class PullThrough;

  // Called by the fetch thread.
  Status Append(const char* data, size_t n);
  // Hands the writer (and the bytes it holds) over; later Reads fail.
  std::unique_ptr<ObjectWriter> TakeWriter();
  // Every byte arrived and matches the promise: readers may take the last.
  void MarkVerified();
  void Finish(Status status);
  uint64_t ReadableLocked() const;
  // Wakes everything registered by ReadyOrNotify (after mu_ is released).
  void NotifyWaiters();
  // Waits on cv_ (mu_ held through `lock`) until `ready()`; DeadlineExceeded
  // when no byte arrives for `stall_timeout_ms`, Unavailable after
  // `max_wait_ms` (when >= 0) in any case.
  Status WaitLocked(std::unique_lock<std::mutex>& lock, int64_t stall_timeout_ms,
                    const std::function<bool()>& ready, int64_t max_wait_ms = -1);

  const RepoKey repo_;
  const std::string commit_;
  const EntryRecord entry_;
  // Bytes already in the writer when this fetch started (a resumed transfer).
  const uint64_t resume_offset_;
  // Appended by the fetch thread without mu_; taken and read under mu_.
  std::unique_ptr<ObjectWriter> writer_;
  // This node's right to fetch the object, in a cluster; released by the
  // fetch thread once the object is committed or the fetch failed.
  std::unique_ptr<ClusterLease> lease_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t written_;       // guarded by mu_
  bool done_ = false;      // guarded by mu_
  bool verified_ = false;  // guarded by mu_
  Status final_status_;    // guarded by mu_; meaningful when done_
  std::vector<std::function<void()>> waiters_;  // guarded by mu_
};

class PullThrough {
 public:
  // Pointers must outlive the PullThrough; `upstream` must not be null.
  // `env` tells the free space of the store's filesystem.
  PullThrough(const ServerOptions& options, Env* env, Index* index, ObjectStore* store,
              Upstream* upstream, ClusterLocks* leases = nullptr);
  ~PullThrough();
  PullThrough(const PullThrough&) = delete;
  PullThrough& operator=(const PullThrough&) = delete;

  // AlreadyExists when the object was committed since the caller looked in
  // the store (serve it from there). ResourceExhausted, before anything is
  // fetched, when the store's filesystem cannot hold the file (written
  // once, as its chunks) plus what running transfers still need and
  // options.min_free_bytes.
  Result<std::shared_ptr<ObjectFetch>> StartOrJoin(const RepoKey& repo, const std::string& commit,
                                                   const EntryRecord& entry);

  // Fetches that started (not joined) since construction; for tests and stats.
  uint64_t fetches_started() const;
  // Transfers running or queued right now (for /metrics).
  size_t fetches_in_flight() const;

 private:
  static std::string KeyOf(const EntryRecord& entry);
  // The running fetch, AlreadyExists when stored, or null: none runs here.
  Result<std::shared_ptr<ObjectFetch>> FindLocked(const EntryRecord& entry);
  Result<std::shared_ptr<ObjectFetch>> StartLocked(const RepoKey& repo, const std::string& commit,
                                                   const EntryRecord& entry,
                                                   std::unique_ptr<ClusterLease> lease);
  void WorkerLoop();
  void Run(const std::shared_ptr<ObjectFetch>& fetch);

  const ServerOptions& options_;
  Env* env_;
  Index* index_;
  ObjectStore* store_;
  Upstream* upstream_;
  ClusterLocks* leases_;  // null on a single node

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::map<std::string, std::shared_ptr<ObjectFetch>> running_;  // guarded by mu_
  std::deque<std::shared_ptr<ObjectFetch>> queue_;               // guarded by mu_
  // Writers of transfers that broke off transiently, by object key, so the
  // next request resumes instead of starting over.
  static constexpr size_t kMaxParkedTransfers = 64;
  std::map<std::string, std::unique_ptr<ObjectWriter>> parked_;  // guarded by mu_
  bool stopping_ = false;                                        // guarded by mu_
  uint64_t fetches_started_ = 0;                                 // guarded by mu_
  std::atomic<bool> cancelled_{false};  // read by fetch threads without mu_
  std::vector<std::thread> workers_;
};

}  // namespace hubmirror
