#include "server/ops/access_log.h"

#include <nlohmann/json.hpp>

#include "store/human_format.h"

namespace hubmirror {

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path, Env* env) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<JsonLinesFile> file, JsonLinesFile::Open(path));
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(file), env));
}

void AccessLog::Write(const AccessRecord& r) {
  const int64_t now = env_->NowMicros();
  // Bounded: a target is at most what the server accepts as a request line.
  nlohmann::json line = {{"time", FormatUtcMillis(r.start_micros)},
                         {"remote", r.remote},
                         {"who", r.who},
                         {"method", r.method},
                         {"target", r.target},
                         {"route", r.route},
                         {"status", r.status},
                         {"bytes", r.bytes},
                         {"duration_ms", static_cast<double>(now - r.start_micros) / 1000.0},
                         {"complete", r.complete},
                         {"user_agent", r.user_agent.substr(0, 512)}};
  file_->Write(line);
}

}  // namespace hubmirror
