#include "tests/e2e/hub_fixture.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "store/hash.h"

namespace hubmirror::e2e {
namespace fs = std::filesystem;

TempDir::TempDir() {
  char pattern[] = "/tmp/hubmirror-e2e-XXXXXX";
  if (mkdtemp(pattern) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

std::map<std::string, uint64_t> ListFilesWithSizes(const std::string& root) {
  std::map<std::string, uint64_t> files;
  std::error_code ec;
  if (!fs::exists(root, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files[it->path().string()] = it->file_size(ec);
  }
  return files;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t TotalFileBytes(const std::string& root) {
  uint64_t total = 0;
  for (const auto& [path, size] : ListFilesWithSizes(root)) total += size;
  return total;
}

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

HttpReply HttpRequest(const std::string& base_url, const std::string& method,
                      const std::string& target, const httplib::Headers& headers,
                      const std::string& body, const std::string& content_type) {
  httplib::Client client(base_url);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(30, 0);
  client.set_follow_location(false);
  client.set_decompress(true);
  auto send = [&]() -> httplib::Result {
    if (method == "HEAD") return client.Head(target, headers);
    if (method == "POST") return client.Post(target, headers, body, content_type);
    if (method == "OPTIONS") return client.Options(target, headers);
    return client.Get(target, headers);
  };
  httplib::Result result = send();
  HttpReply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.headers = result->headers;
  reply.body = result->body;
  return reply;
}

std::string Sha256OfString(const std::string& bytes) { return Sha256Hex(bytes); }

CommandResult RunHubmirror(const std::vector<std::string>& args,
                           std::map<std::string, std::string> env, bool merge_stderr,
                           std::chrono::seconds timeout) {
  std::vector<std::string> argv = {HUBMIRROR_BIN};
  if (merge_stderr) argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", HUBMIRROR_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  if (env.find("HF_TOKEN") == env.end()) env["HF_TOKEN"] = "";
  ChildProcess child(argv, env);
  CommandResult result;
  while (std::optional<std::string> line = child.WaitForLine("", timeout)) {
    result.output += *line + "\n";
  }
  int status = child.Stop();
  if (status >= 0 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

FakeHub::FakeHub(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {FAKEHUB_BIN, "--listen", "127.0.0.1:0", "--cdn-listen",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  auto api = process_->WaitForLine("api ", std::chrono::seconds(20));
  auto cdn = process_->WaitForLine("cdn ", std::chrono::seconds(20));
  auto ready = process_->WaitForLine("ready", std::chrono::seconds(20));
  if (api && cdn && ready) {
    api_url_ = api->substr(4);
    cdn_url_ = cdn->substr(4);
  }
}

nlohmann::json FakeHub::Stats() const {
  HttpReply reply = HttpGet(api_url_, "/_fake/stats");
  return nlohmann::json::parse(reply.body, nullptr, false);
}

void FakeHub::ResetStats() const { Control("/_fake/reset-stats"); }

void FakeHub::Control(const std::string& target) const {
  HttpRequest(api_url_, "POST", target, {}, "", "text/plain");
}

std::string FakeHub::DirectDownload(const std::string& repo_prefix_and_id,
                                    const std::string& revision, const std::string& path) const {
  HttpReply reply = HttpGet(api_url_, "/" + repo_prefix_and_id + "/resolve/" + revision + "/" + path);
  if (reply.status == 302) {
    std::string location = reply.Header("Location");
    size_t path_start = location.find('/', location.find("//") + 2);
    reply = HttpGet(location.substr(0, path_start), location.substr(path_start));
  }
  return reply.status == 200 ? reply.body : std::string();
}

Mirror::Mirror(const std::string& store_dir, const std::string& upstream_url,
               std::vector<std::string> extra_args, std::map<std::string, std::string> env,
               const std::string& stderr_path) {
  std::vector<std::string> argv = {HUBMIRROR_BIN, "serve",      "--listen",     "127.0.0.1:0",
                                   "--store",     store_dir,    "--upstream",   upstream_url};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (env.find("HF_TOKEN") == env.end()) env["HF_TOKEN"] = "";  // never inherit a real token
  process_ = std::make_unique<ChildProcess>(argv, env, stderr_path);
  auto line = process_->WaitForLine("hubmirror listening on ", std::chrono::seconds(20));
  if (line) {
    std::string rest = line->substr(std::string("hubmirror listening on ").size());
    url_ = rest.substr(0, rest.find(' '));
  }
}

}  // namespace hubmirror::e2e
