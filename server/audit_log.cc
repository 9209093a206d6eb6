#include "server/audit_log.h"

#include <cerrno>
#include <ctime>

#include <nlohmann/json.hpp>

namespace hubmirror {

std::string FormatUtcMillis(int64_t micros) {
  time_t seconds = static_cast<time_t>(micros / 1'000'000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>((micros / 1000) % 1000));
  return buf;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Env* env) {
  FILE* file = fopen(path.c_str(), "ae");
  if (file == nullptr) return Status::FromErrno(errno, "cannot open audit log " + path);
  return std::unique_ptr<AuditLog>(new AuditLog(file, env));
}

AuditLog::~AuditLog() { fclose(file_); }

void AuditLog::Write(const AuditRecord& r) {
  nlohmann::json line = {{"time", FormatUtcMillis(env_->NowMicros())},
                         {"who", r.who},
                         {"remote", r.remote},
                         {"method", r.method},
                         {"repo", r.repo},
                         {"type", r.type},
                         {"revision", r.revision},
                         {"commit", r.commit},
                         {"file", r.file},
                         {"status", r.status},
                         {"bytes", r.bytes},
                         {"complete", r.complete}};
  // Names come from URLs and may hold invalid UTF-8 only if validation let
  // it through; replace rather than throw.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mu_);
  fprintf(file_, "%s\n", text.c_str());
  fflush(file_);
}

}  // namespace hubmirror
