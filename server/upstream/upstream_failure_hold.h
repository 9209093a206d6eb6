// UpstreamFailureHold: after a transient upstream failure, metadata questions
// are answered from the store for a while without asking the upstream again,
// so a dead upstream costs one timeout, not one per request. Shared by the
// RepoCatalog and the ApiDocuments that answer the metadata routes.
//
// Thread-safe. `env` (the clock) must outlive the hold.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "store/env.h"
#include "store/status.h"

namespace hubmirror {

class UpstreamFailureHold {
 public:
  UpstreamFailureHold(Env* env, int hold_seconds) : env_(env), hold_seconds_(hold_seconds) {}

  // Runs `call` (returning a Status or Result) unless a transient failure
  // happened less than hold_seconds ago: then it fails at once with
  // Unavailable. A retryable failure of `call` starts a new hold.
  template <typename Call>
  auto Ask(Call&& call) -> decltype(call()) {
    if (env_->MonotonicMicros() < down_until_micros_.load(std::memory_order_relaxed)) {
      return Status::Unavailable("upstream failed moments ago; not asking again for " +
                                 std::to_string(hold_seconds_) + " s");
    }
    auto result = call();
    if (!StatusOf(result).ok() && StatusOf(result).retryable()) {
      down_until_micros_.store(env_->MonotonicMicros() + int64_t{hold_seconds_} * 1'000'000,
                               std::memory_order_relaxed);
    }
    return result;
  }

 private:
  static const Status& StatusOf(const Status& s) { return s; }
  template <typename T>
  static const Status& StatusOf(const Result<T>& r) {
    return r.status();
  }

  Env* env_;
  const int hold_seconds_;
  std::atomic<int64_t> down_until_micros_{0};
};

}  // namespace hubmirror
