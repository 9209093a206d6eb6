#include "server/ops/json_lines_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace hubmirror {

Result<std::unique_ptr<JsonLinesFile>> JsonLinesFile::Open(const std::string& path) {
  // Logs name who pulled what: not world-readable.
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::FromErrno(errno, "cannot open log " + path);
  FILE* file = fdopen(fd, "a");
  if (file == nullptr) {
    int err = errno;
    close(fd);
    return Status::FromErrno(err, "cannot open log " + path);
  }
  return std::unique_ptr<JsonLinesFile>(new JsonLinesFile(file));
}

JsonLinesFile::~JsonLinesFile() { fclose(file_); }

void JsonLinesFile::Write(const nlohmann::json& line) {
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  fwrite(text.data(), 1, text.size(), file_);
  fflush(file_);
}

}  // namespace hubmirror
