// IngestPipeline: the bytes of an object being written pass, in order and
// each exactly once, through a chain of stages (the writer's: hashing the
// whole object; cutting and naming chunks; deduplicating and storing them),
// each on a thread of its own so that a pull-through spreads over the cores
// while the fetch thread only receives and copies. A stage sees bytes only
// once the stage before it has (it works on that stage's results); they run
// a block or more apart, and the scheduler balances them over the cores.
//
// Appended bytes wait in a window of fixed-size blocks until every stage
// is past them and the last stage has released them (their chunks can be
// read from the store). Clients streaming the object read recent bytes from
// the window (CopyFromWindow), older ones through the writer's chunks. The
// window is bounded: Append() waits while it is full, which paces the fetch
// to the slower stage.
//
// Inline mode runs every stage on the appending thread (small objects,
// tests): same results, no threads.
//
// Thread-safe: one thread appends; stages run on their threads; any thread
// may CopyFromWindow. A stage's error stops the pipeline and is returned by
// every later Append()/Drain().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/status.h"

namespace hubmirror {

class IngestPipeline {
 public:
  // Consumes data[0, n), the continuation of what it was given before.
  using Stage = std::function<Status(const char* data, size_t n)>;

  struct Options {
    bool threaded = true;
    size_t block_bytes = 1 << 20;
    size_t max_blocks = 16;
  };

  // At least one stage.
  IngestPipeline(std::vector<Stage> stages, Options options);
  // Stops the stage threads; work not drained is abandoned.
  ~IngestPipeline();
  // The same, keeping the object (stages may use it until they return).
  void Stop();
  IngestPipeline(const IngestPipeline&) = delete;
  IngestPipeline& operator=(const IngestPipeline&) = delete;

  Status Append(const char* data, size_t n);
  // Waits until every stage has consumed every appended byte.
  Status Drain();
  uint64_t appended() const;
  // Copies up to n bytes at `offset` if they are still in the window;
  // returns how many (0 when `offset` is before the window or past the end).
  size_t CopyFromWindow(uint64_t offset, char* buf, size_t n) const;
  // Called by the last stage: bytes before `offset` can be read elsewhere.
  void ReleaseBefore(uint64_t offset);

 private:
  // Runs stage `i` over the bytes it has not consumed; `lock` holds mu_ and
  // is released while the stage works. Returns false once stopped or failed.
  bool RunAvailable(int i, std::unique_lock<std::mutex>& lock);
  void StageLoop(int i);
  // Bytes stage `i` may consume: what was appended, for a later stage only
  // what the stage before it has consumed.
  uint64_t AvailableLocked(int i) const;
  void DropConsumedBlocksLocked();
  Status FailedStatusLocked() const;

  const std::vector<Stage> stages_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<char[]>> blocks_;  // guarded by mu_
  // Blocks both stages are done with, reused: a fresh 1 MiB allocation is
  // an mmap whose pages the kernel zeroes again on every first touch.
  std::vector<std::unique_ptr<char[]>> spare_;  // guarded by mu_
  uint64_t window_start_ = 0;                   // object offset of blocks_[0]; guarded by mu_
  uint64_t appended_ = 0;                       // guarded by mu_
  std::vector<uint64_t> consumed_;              // per stage; guarded by mu_
  uint64_t released_ = 0;                       // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  Status error_;                                // guarded by mu_; the first stage error
  std::vector<std::thread> threads_;
};

}  // namespace hubmirror
