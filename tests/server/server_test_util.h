// Shared pieces of server unit tests: a temp store directory, and an Env whose
// wall clock the test moves by hand.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "store/env.h"

namespace hubmirror {

class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/hubmirror-server-test-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ManualClockEnv : public EnvWrapper {
 public:
  explicit ManualClockEnv(Env* target) : EnvWrapper(target) {}
  int64_t NowMicros() override { return now_micros_; }
  void AdvanceSeconds(int64_t s) { now_micros_ += s * 1'000'000; }

 private:
  std::atomic<int64_t> now_micros_{1'700'000'000'000'000};
};

}  // namespace hubmirror
