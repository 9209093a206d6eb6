// AuditLog: one JSON line per download, for "who pulled what", and per
// write to a published repo (with "action").
//
//   {"time":"2026-11-23T11:30:00.123Z","who":"ml-team","remote":"10.0.0.7",
//    "method":"GET","repo":"acme/tiny","type":"model","revision":"main",
//    "commit":"<40 hex>","file":"config.json","status":200,"bytes":1234,
//    "complete":true}
//
// `bytes` is what actually reached the client; `complete` is false for a
// transfer that ended early (client gone, upstream failure). Never contains a
// token. Thread-safe: lines from concurrent downloads never interleave.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/ops/json_lines_file.h"
#include "store/env.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct AuditRecord {
  std::string who;
  std::string remote;
  std::string method;
  std::string repo;
  std::string type;
  std::string revision;
  std::string commit;
  std::string file;
  int status = 0;
  uint64_t bytes = 0;
  bool complete = false;
  // For writes (publishing): "create", "delete", "settings", "commit",
  // "branch", "tag", "lfs-upload", "xet-xorb", "xet-shard"; "" for
  // downloads (and not written).
  std::string action;

  // The fields every line carries: who asked, from where, how, about which
  // repo. The rest is the caller's to fill.
  static AuditRecord About(std::string who, std::string remote, std::string method,
                           const RepoKey& repo);
};

class AuditLog {
 public:
  // Opens `path` for appending (creating it). `env` supplies the clock.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path, Env* env);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void Write(const AuditRecord& record);

 private:
  AuditLog(std::unique_ptr<JsonLinesFile> file, Env* env) : file_(std::move(file)), env_(env) {}
  std::unique_ptr<JsonLinesFile> file_;
  Env* env_;
};

}  // namespace hubmirror
