// End-to-end: malformed and hostile request targets get a 400 with an
// X-Error-Code, reach no upstream and write nothing to the store.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

// Sends `target` verbatim (httplib's client would normalize some of these),
// returns the status code of the reply.
int RawRequestStatus(const std::string& base_url, const std::string& target) {
  // base_url is http://127.0.0.1:PORT
  int port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  if (reply.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(reply.substr(9, 3));
}

class HostileInputTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    store_ = new TempDir();
    hub_ = new FakeHub();
    mirror_ = new Mirror(store_->path(), hub_->api_url());
  }
  static void TearDownTestSuite() {
    delete mirror_;
    delete hub_;
    delete store_;
  }
  static TempDir* store_;
  static FakeHub* hub_;
  static Mirror* mirror_;
};
TempDir* HostileInputTest::store_ = nullptr;
FakeHub* HostileInputTest::hub_ = nullptr;
Mirror* HostileInputTest::mirror_ = nullptr;

TEST_P(HostileInputTest, BadRequestAndNothingWritten) {
  ASSERT_TRUE(hub_->ok() && mirror_->ok());
  auto before = ListFilesWithSizes(store_->path());
  hub_->ResetStats();
  EXPECT_EQ(RawRequestStatus(mirror_->url(), GetParam()), 400) << GetParam();
  EXPECT_EQ(ListFilesWithSizes(store_->path()), before) << GetParam();
  EXPECT_EQ(hub_->Stats()["api_requests"], 0) << GetParam();
  HttpReply reply = HttpGet(mirror_->url(), GetParam());
  if (reply.status == 400) {
    EXPECT_EQ(reply.Header("X-Error-Code"), "BadRequest");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Targets, HostileInputTest,
    ::testing::Values(
        // Paths.
        "/acme/tiny-model/resolve/main/../../../etc/passwd",
        "/acme/tiny-model/resolve/main/%2e%2e/%2e%2e/etc/passwd",
        "/acme/tiny-model/resolve/main/..%2f..%2fetc%2fpasswd",
        "/acme/tiny-model/resolve/main/a%2fb",
        "/acme/tiny-model/resolve/main//etc/passwd",
        "/acme/tiny-model/resolve/main/%2fetc%2fpasswd",
        "/acme/tiny-model/resolve/main/dir%5c..%5cx",
        "/acme/tiny-model/resolve/main/con%00fig.json",
        "/acme/tiny-model/resolve/main/%ff%fe.json",
        "/acme/tiny-model/resolve/main/bad%zzescape",
        "/api/models/acme/tiny-model/tree/main/..%2f..",
        "/api/models/acme/tiny-model/tree/main/%2e%2e",
        // Revisions.
        "/acme/tiny-model/resolve/..%2f..%2fmain/config.json",
        "/acme/tiny-model/resolve/%2e%2e/config.json",
        "/api/models/acme/tiny-model/revision/..",
        "/api/models/acme/tiny-model/revision/%2fetc",
        "/api/models/acme/tiny-model/revision/ma%00in",
        "/api/models/acme/tiny-model/revision/a%5cb",
        // Repo ids.
        "/api/models/acme/..",
        "/api/models/../tiny-model/revision/main",
        "/api/models/%2e%2e/tiny-model/revision/main",
        "/api/models/acme%2f..%2f/revision/main",
        "/api/models/ac\\me/tiny-model/revision/main",
        "/acme/..%00/resolve/main/config.json",
        "/api/models/acme/x%00y/revision/main"));

}  // namespace
}  // namespace hubmirror::e2e
