// JsonLinesFile: an append-only log file of one JSON document per line,
// shared by the audit log and the access log.
//
// Each line is written with one fwrite and flushed, under a mutex, so lines
// of concurrent requests never interleave and a crash loses at most the line
// being written. Invalid UTF-8 in values (names taken from URLs) is replaced,
// never thrown on.
//
// Thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "store/status.h"

namespace hubmirror {

class JsonLinesFile {
 public:
  // Opens `path` for appending, creating it (mode 0640 after umask).
  static Result<std::unique_ptr<JsonLinesFile>> Open(const std::string& path);
  ~JsonLinesFile();
  JsonLinesFile(const JsonLinesFile&) = delete;
  JsonLinesFile& operator=(const JsonLinesFile&) = delete;

  void Write(const nlohmann::json& line);

 private:
  explicit JsonLinesFile(FILE* file) : file_(file) {}
  std::mutex mu_;
  FILE* file_;  // owned; guarded by mu_
};

}  // namespace hubmirror
