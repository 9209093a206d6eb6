// SingleFlight: concurrent calls for the same key share one execution.
//
// The first caller for a key runs the function; callers arriving while it runs
// wait and receive a copy of the same Result. Once it finishes the key is
// forgotten, so a later call runs again (this is coalescing, not caching).
// This is how a hundred clients asking for the same new revision cause one
// upstream request. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/status.h"

namespace hubmirror {

template <typename T>
class SingleFlight {
 public:
  Result<T> Do(const std::string& key, const std::function<Result<T>()>& fn) {
    std::shared_ptr<Call> call;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = calls_.find(key);
      if (it == calls_.end()) {
        call = std::make_shared<Call>();
        calls_.emplace(key, call);
        leader = true;
      } else {
        call = it->second;
      }
    }
    if (leader) {
      Result<T> result = fn();
      {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.erase(key);
      }
      {
        std::lock_guard<std::mutex> lock(call->mu);
        call->result.emplace(result);
      }
      call->cv.notify_all();
      return result;
    }
    std::unique_lock<std::mutex> lock(call->mu);
    call->cv.wait(lock, [&] { return call->result.has_value(); });
    return *call->result;
  }

 private:
  struct Call {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<T>> result;  // guarded by mu
  };

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Call>> calls_;  // guarded by mu_
};

}  // namespace hubmirror
