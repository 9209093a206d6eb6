// Shared fixture of the CurlUpstream tests: two in-process HTTP servers,
// "api" playing the Hub at the endpoint and "cdn" playing the storage host
// that resolve redirects to (which, like a presigned S3 URL, refuses requests
// carrying Authorization).
#pragma once

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fetcher/upstream.h"

namespace hubmirror {
namespace testing_fetcher {

class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_global_init(CURL_GLOBAL_DEFAULT); }
  void TearDown() override { curl_global_cleanup(); }
};
inline ::testing::Environment* const kCurlEnvironment =
    ::testing::AddGlobalTestEnvironment(new CurlEnvironment);

inline const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
inline const std::string kOid = "89abcdef0123456789abcdef0123456789abcdef";
inline const std::string kSha256 =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
inline const std::string kToken = "hf_secret_token";

struct Seen {
  std::string method;
  std::string path;
  std::string authorization;
  std::string range;
  std::string user_agent;
  std::string content_type;
  std::string body;
  std::string cursor;
};

// An httplib server on a loopback port, started after routes are set.
class TestServer {
 public:
  ~TestServer() { Stop(); }
  httplib::Server& routes() { return server_; }
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back({req.method, req.path, req.get_header_value("Authorization"),
                     req.get_header_value("Range"), req.get_header_value("User-Agent"),
                     req.get_header_value("Content-Type"), req.body,
                     req.get_param_value("cursor")});
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

inline std::string MakeBlob(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

class CurlUpstreamTest : public ::testing::Test {
 protected:
  void StartServers() {
    api_.Start();
    cdn_.Start();
  }
  // Stops both servers (joining their handlers) before any member goes away.
  void TearDown() override {
    api_.Stop();
    cdn_.Stop();
  }
  UpstreamOptions Options() const {
    UpstreamOptions o;
    o.endpoint = api_.url();
    o.token = kToken;
    o.user_agent = "hubmirror-test/1";
    o.connect_timeout_ms = 2000;
    o.low_speed_bytes_per_sec = 1;
    o.low_speed_time_sec = 5;
    o.metadata_timeout_ms = 5000;
    o.max_attempts = 3;
    o.backoff_initial_ms = 1;
    o.backoff_max_ms = 10;
    return o;
  }
  std::unique_ptr<Upstream> Make() { return NewCurlUpstream(Options()); }

  // The api answers resolve requests for `path` with a 302 to the cdn.
  void RedirectResolveToCdn(const std::string& path, uint64_t size) {
    api_.routes().Get("/org/name/resolve/" + kCommit + "/" + path,
                      [this, path, size](const httplib::Request& req, httplib::Response& res) {
                        api_.Record(req);
                        res.status = 302;
                        res.set_header("Location", cdn_.url() + "/blobs/" + path + "?sig=abc");
                        res.set_header("X-Repo-Commit", kCommit);
                        res.set_header("X-Linked-Etag", "\"" + kSha256 + "\"");
                        res.set_header("X-Linked-Size", std::to_string(size));
                      });
  }
  // The cdn serves `blob` under /blobs/{path}, rejecting Authorization.
  void ServeBlobOnCdn(const std::string& path, const std::string& blob) {
    cdn_.routes().Get("/blobs/" + path,
                      [this, blob](const httplib::Request& req, httplib::Response& res) {
                        cdn_.Record(req);
                        if (req.has_header("Authorization")) {
                          res.status = 400;
                          res.set_content("Only one auth mechanism allowed", "text/plain");
                          return;
                        }
                        res.set_content(blob, "application/octet-stream");
                      });
  }

  TestServer api_;
  TestServer cdn_;
};

inline ByteSink AppendTo(std::string* out) {
  return [out](const char* data, size_t n) {
    out->append(data, n);
    return Status::Ok();
  };
}

inline const RepoKey kRepo{RepoType::kModel, "org/name"};

}  // namespace testing_fetcher
}  // namespace hubmirror
