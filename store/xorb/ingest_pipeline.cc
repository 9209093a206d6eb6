#include "store/xorb/ingest_pipeline.h"

#include <algorithm>
#include <cstring>

namespace hubmirror {

IngestPipeline::IngestPipeline(std::vector<Stage> stages, Options options)
    : stages_(std::move(stages)), options_(options), consumed_(stages_.size(), 0) {
  if (options_.threaded) {
    for (size_t i = 0; i < stages_.size(); ++i) {
      threads_.emplace_back([this, i] { StageLoop(static_cast<int>(i)); });
    }
  }
}

IngestPipeline::~IngestPipeline() { Stop(); }

void IngestPipeline::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

Status IngestPipeline::FailedStatusLocked() const {
  if (!error_.ok()) return error_;
  return Status::FailedPrecondition("ingest pipeline stopped");
}

void IngestPipeline::DropConsumedBlocksLocked() {
  // The last stage is the slowest to pass a byte: each waits for the one before.
  const uint64_t done = std::min(consumed_.back(), released_);
  // The block being appended to stays.
  while (blocks_.size() > 1 && window_start_ + options_.block_bytes <= done) {
    spare_.push_back(std::move(blocks_.front()));
    blocks_.pop_front();
    window_start_ += options_.block_bytes;
  }
  if (blocks_.size() == 1 && done == appended_ &&
      appended_ == window_start_ + options_.block_bytes) {
    spare_.push_back(std::move(blocks_.front()));
    blocks_.pop_front();
    window_start_ += options_.block_bytes;
  }
}

uint64_t IngestPipeline::AvailableLocked(int i) const {
  // A stage works on what the one before has seen (its results).
  return i == 0 ? appended_ : consumed_[i - 1];
}

bool IngestPipeline::RunAvailable(int i, std::unique_lock<std::mutex>& lock) {
  while (!stopping_ && error_.ok() && consumed_[i] < AvailableLocked(i)) {
    const uint64_t pos = consumed_[i];
    const size_t block = static_cast<size_t>((pos - window_start_) / options_.block_bytes);
    const uint64_t block_start = window_start_ + block * options_.block_bytes;
    const size_t len = static_cast<size_t>(
        std::min<uint64_t>(AvailableLocked(i), block_start + options_.block_bytes) - pos);
    const char* data = blocks_[block].get() + (pos - block_start);
    lock.unlock();
    Status s = stages_[i](data, len);
    lock.lock();
    if (!s.ok()) {
      if (error_.ok()) error_ = std::move(s);
      cv_.notify_all();
      return false;
    }
    consumed_[i] += len;
    DropConsumedBlocksLocked();
    cv_.notify_all();
  }
  return !stopping_ && error_.ok();
}

void IngestPipeline::StageLoop(int i) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !error_.ok() || consumed_[i] < AvailableLocked(i); });
    if (!RunAvailable(i, lock)) return;
  }
}

Status IngestPipeline::Append(const char* data, size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  while (n > 0) {
    if (!error_.ok() || stopping_) return FailedStatusLocked();
    const uint64_t tail_end = window_start_ + blocks_.size() * options_.block_bytes;
    if (appended_ == tail_end) {
      if (!options_.threaded && blocks_.size() >= options_.max_blocks) {
        // Inline stages ran already: nothing else would free a block.
        return Status::Internal("ingest pipeline: the last stage keeps too many bytes");
      }
      cv_.wait(lock, [&] {
        return stopping_ || !error_.ok() || blocks_.size() < options_.max_blocks;
      });
      if (!error_.ok() || stopping_) return FailedStatusLocked();
      if (blocks_.empty()) window_start_ = appended_;
      if (spare_.empty()) {
        // Not value-initialized: every byte is written before it is read.
        blocks_.push_back(std::unique_ptr<char[]>(new char[options_.block_bytes]));
      } else {
        blocks_.push_back(std::move(spare_.back()));
        spare_.pop_back();
      }
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, tail_end - appended_));
    char* dst = blocks_.back().get() + (appended_ - (tail_end - options_.block_bytes));
    // Only this thread writes past appended_: copy without the lock.
    lock.unlock();
    std::memcpy(dst, data, take);
    lock.lock();
    appended_ += take;
    data += take;
    n -= take;
    if (options_.threaded) {
      cv_.notify_all();
    } else {
      for (size_t i = 0; i < stages_.size(); ++i) {
        if (!RunAvailable(static_cast<int>(i), lock)) return FailedStatusLocked();
      }
    }
  }
  return Status::Ok();
}

Status IngestPipeline::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] {
    return stopping_ || !error_.ok() || consumed_.back() == appended_;
  });
  if (!error_.ok() || stopping_) return FailedStatusLocked();
  return Status::Ok();
}

uint64_t IngestPipeline::appended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return appended_;
}

size_t IngestPipeline::CopyFromWindow(uint64_t offset, char* buf, size_t n) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset < window_start_ || offset >= appended_ || blocks_.empty()) return 0;
  n = static_cast<size_t>(std::min<uint64_t>(n, appended_ - offset));
  size_t done = 0;
  while (done < n) {
    const uint64_t pos = offset + done;
    const size_t block = static_cast<size_t>((pos - window_start_) / options_.block_bytes);
    const uint64_t within = pos - window_start_ - block * options_.block_bytes;
    const size_t take =
        static_cast<size_t>(std::min<uint64_t>(n - done, options_.block_bytes - within));
    std::memcpy(buf + done, blocks_[block].get() + within, take);
    done += take;
  }
  return done;
}

void IngestPipeline::ReleaseBefore(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset <= released_) return;
  released_ = offset;
  DropConsumedBlocksLocked();
  cv_.notify_all();
}

}  // namespace hubmirror
