// ChildProcess: a real binary started for an end-to-end test.
//
// Starts argv with stdout piped back to the test (stderr passes through to
// the test log), reads lines with a deadline, and on destruction stops the
// child (SIGTERM, then SIGKILL after a grace period) and reaps it, so no test
// leaves a server behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hubmirror::e2e {

class ChildProcess {
 public:
  // `env` entries are added to (or replace) the inherited environment; a value
  // of "" removes the variable. With `stderr_path`, the child's stderr goes to
  // that file (appended) instead of the test's.
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
               const std::string& stderr_path = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Reads stdout until a line starting with `prefix` arrives; returns that line
  // or nullopt on timeout / end of output.
  std::optional<std::string> WaitForLine(const std::string& prefix,
                                         std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status as
  // waitpid reports it, or -1.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL and reap: a crash, as far as the child can tell.
  void Kill();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

}  // namespace hubmirror::e2e
