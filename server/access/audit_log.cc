#include "server/access/audit_log.h"

#include <nlohmann/json.hpp>

#include "store/human_format.h"

namespace hubmirror {

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Env* env) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<JsonLinesFile> file, JsonLinesFile::Open(path));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(file), env));
}

AuditRecord AuditRecord::About(std::string who, std::string remote, std::string method,
                               const RepoKey& repo) {
  AuditRecord r;
  r.who = std::move(who);
  r.remote = std::move(remote);
  r.method = std::move(method);
  r.repo = repo.id;
  r.type = RepoTypeName(repo.type);
  return r;
}

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
  if (!r.action.empty()) line["action"] = r.action;
  file_->Write(line);
}

}  // namespace hubmirror
