// End-to-end: request limits. Oversized targets, headers and bodies are
// refused, and a client that sends its request too slowly (slowloris) is
// disconnected after the read timeout instead of holding a worker forever.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

// A raw loopback connection to `base_url` (http://127.0.0.1:PORT).
int Connect(const std::string& base_url, int timeout_seconds) {
  int port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.ok());
    WriteFile(config_dir_.path() + "/hubmirror.toml",
              "[server]\nread_timeout_seconds = 2\nmax_request_body_bytes = 65536\n");
    mirror_ = std::make_unique<Mirror>(
        store_.path(), hub_.api_url(),
        std::vector<std::string>{"--config", config_dir_.path() + "/hubmirror.toml"});
    ASSERT_TRUE(mirror_->ok());
  }

  TempDir store_, config_dir_;
  FakeHub hub_;
  std::unique_ptr<Mirror> mirror_;
};

TEST_F(LimitsTest, OversizedTargetHeaderAndBodyAreRefused) {
  HttpReply long_target =
      HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/" + std::string(9000, 'a'));
  EXPECT_GE(long_target.status, 400);
  EXPECT_LT(long_target.status, 500);
  HttpReply huge_header = HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/config.json",
                                  {{"X-Padding", std::string(9000, 'x')}});
  EXPECT_GE(huge_header.status, 400);
  EXPECT_LT(huge_header.status, 500);
  HttpReply huge_body = HttpRequest(mirror_->url(), "POST",
                                    "/api/models/acme/tiny-model/paths-info/main", {},
                                    "paths=" + std::string(100000, 'a'),
                                    "application/x-www-form-urlencoded");
  EXPECT_EQ(huge_body.status, 413);
  // The server is unharmed.
  EXPECT_EQ(HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/config.json").status, 200);
}

TEST_F(LimitsTest, SlowlorisIsDisconnectedAfterTheReadTimeout) {
  int fd = Connect(mirror_->url(), 15);
  ASSERT_GE(fd, 0);
  const std::string partial = "GET /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\n";
  ASSERT_EQ(write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
  auto start = std::chrono::steady_clock::now();
  // The server gives up on the request: it answers 4xx and/or closes.
  std::string received;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) received.append(buf, static_cast<size_t>(n));
  auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_EQ(n, 0) << "the connection must be closed, not left waiting";
  EXPECT_TRUE(received.empty() || received.rfind("HTTP/1.1 4", 0) == 0) << received;
  EXPECT_LT(waited, std::chrono::seconds(12)) << "the connection was held open";
  EXPECT_EQ(HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/config.json").status, 200);
}

}  // namespace
}  // namespace hubmirror::e2e
