// End-to-end fixtures: the project's fake upstream hub and the real
// `hubmirror serve`, each a separate process on a free loopback port, plus the
// small HTTP helpers the tests use to talk to them as a client would.
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/child_process.h"

namespace hubmirror::e2e {

// A directory under /tmp removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every regular file under `root` with its size, for "nothing changed" checks.
std::map<std::string, uint64_t> ListFilesWithSizes(const std::string& root);
// Writes `text` to `path` (a config file, say), creating its folder.
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);
// Sum of the sizes of the files under `root`.
uint64_t TotalFileBytes(const std::string& root);

struct HttpReply {
  int status = 0;  // 0: no response at all
  httplib::Headers headers;
  std::string body;
  std::string Header(const std::string& name) const;
};

// One request, no redirects followed, bounded by a 30 s timeout.
HttpReply HttpRequest(const std::string& base_url, const std::string& method,
                      const std::string& target, const httplib::Headers& headers = {},
                      const std::string& body = "", const std::string& content_type = "");
inline HttpReply HttpGet(const std::string& base_url, const std::string& target,
                         const httplib::Headers& headers = {}) {
  return HttpRequest(base_url, "GET", target, headers);
}

std::string Sha256OfString(const std::string& bytes);

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string output;  // stdout, and stderr too when merged
};

// Runs `hubmirror ARGS...` to completion (giving up after `timeout` without
// output). HF_TOKEN is cleared unless `env` sets it; with merge_stderr the
// output interleaves stdout and stderr, else stderr goes to the test log.
CommandResult RunHubmirror(const std::vector<std::string>& args,
                           std::map<std::string, std::string> env = {}, bool merge_stderr = true,
                           std::chrono::seconds timeout = std::chrono::seconds(120));

class FakeHub {
 public:
  // Starts tests' fake upstream hub; extra_args go to its command line.
  explicit FakeHub(std::vector<std::string> extra_args = {});
  bool ok() const { return !api_url_.empty(); }
  const std::string& api_url() const { return api_url_; }
  const std::string& cdn_url() const { return cdn_url_; }
  void Stop() { process_->Stop(); }

  nlohmann::json Stats() const;
  void ResetStats() const;
  // POST to a /_fake/ control endpoint, e.g. "/_fake/cdn-gate?pause_after=1024".
  void Control(const std::string& target) const;
  // Bytes of a file straight from the fake hub (following its CDN redirect).
  std::string DirectDownload(const std::string& repo_prefix_and_id, const std::string& revision,
                             const std::string& path) const;

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string api_url_;
  std::string cdn_url_;
};

class Mirror {
 public:
  // Starts `hubmirror serve` on 127.0.0.1:0 with the given store and upstream.
  // With `stderr_path`, the server's log goes to that file.
  Mirror(const std::string& store_dir, const std::string& upstream_url,
         std::vector<std::string> extra_args = {}, std::map<std::string, std::string> env = {},
         const std::string& stderr_path = "");
  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  int Stop() { return process_->Stop(); }
  void Kill() { process_->Kill(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace hubmirror::e2e
