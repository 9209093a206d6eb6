// WorkPool: a fixed set of threads running queued jobs in order — the
// connection layer's place for work that may block (route handlers, index
// lookups, disk reads that miss the page cache). The queue holds at most one
// job per connection, so it is bounded by the connection limit.
//
// Thread-safe. The destructor runs every job already queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hubmirror {

class WorkPool {
 public:
  explicit WorkPool(int threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Submit(std::function<void()> job);
  // Jobs queued and not started.
  size_t Queued() const;

 private:
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace hubmirror
