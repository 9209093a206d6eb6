// AccessLog: one JSON line per HTTP request, for operators (the audit log,
// audit_log.h, is the per-download record for "who pulled what").
//
//   {"time":"2026-11-23T11:30:00.123Z","remote":"10.0.0.7","who":"ml-team",
//    "method":"GET","target":"/acme/tiny/resolve/main/config.json",
//    "route":"resolve","status":200,"bytes":1234,"duration_ms":12.5,
//    "complete":true,"user_agent":"huggingface_hub/0.26"}
//
// `time` is when the request arrived; the line is written when the response
// ended (after a streamed body), so `bytes` is what reached the client and
// `duration_ms` covers the whole transfer. Never contains a token: `who` is
// the configured token's name. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/ops/json_lines_file.h"
#include "store/env.h"

namespace hubmirror {

struct AccessRecord {
  int64_t start_micros = 0;
  std::string remote;
  std::string who;
  std::string method;
  std::string target;
  std::string route;
  std::string user_agent;
  int status = 0;
  uint64_t bytes = 0;
  // For a streamed body: whether all of it was sent.
  bool complete = true;
};

class AccessLog {
 public:
  // Opens `path` for appending (creating it). `env` supplies the clock.
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& path, Env* env);
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(const AccessRecord& record);
  Env* env() const { return env_; }

 private:
  AccessLog(std::unique_ptr<JsonLinesFile> file, Env* env) : file_(std::move(file)), env_(env) {}
  std::unique_ptr<JsonLinesFile> file_;
  Env* env_;
};

}  // namespace hubmirror
