// The connection layer driven over real loopback sockets: framing,
// keep-alive and pipelining, streamed and parked bodies, deadlines, limits.
#include "server/http/event_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hubmirror {
namespace {

using Clock = std::chrono::steady_clock;

// A blocking loopback client socket, closed on destruction.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads until `done(received)` holds, the peer closes, or `timeout_ms`.
  std::string ReadUntil(const std::function<bool(const std::string&)>& done, int timeout_ms,
                        bool* closed = nullptr) {
    std::string received;
    const auto give_up = Clock::now() + std::chrono::milliseconds(timeout_ms);
    if (closed != nullptr) *closed = false;
    while (!done(received) && Clock::now() < give_up) {
      pollfd p{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Clock::now()).count();
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left))) <= 0) continue;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = true;
        break;
      }
      received.append(buf, static_cast<size_t>(n));
    }
    return received;
  }
  // Reads one whole response (head and Content-Length body).
  std::string ReadResponse(int timeout_ms = 5000) {
    return ReadUntil([](const std::string& r) { return ResponseComplete(r, 1); }, timeout_ms);
  }
  // Whether the peer closed within `timeout_ms`.
  bool ClosedWithin(int timeout_ms) {
    bool closed = false;
    ReadUntil([](const std::string&) { return false; }, timeout_ms, &closed);
    return closed;
  }

  // Whether `r` holds `count` complete responses.
  static bool ResponseComplete(const std::string& r, int count) {
    size_t pos = 0;
    for (int i = 0; i < count; ++i) {
      size_t head_end = r.find("\r\n\r\n", pos);
      if (head_end == std::string::npos) return false;
      std::string head = r.substr(pos, head_end - pos);
      size_t length = 0;
      size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) length = std::stoul(head.substr(cl + 16));
      if (head.find("HEAD-REQUEST") != std::string::npos) length = 0;
      if (r.size() < head_end + 4 + length) return false;
      pos = head_end + 4 + length;
    }
    return true;
  }

 private:
  int fd_ = -1;
};

std::string BodyOf(const std::string& response) {
  size_t head_end = response.find("\r\n\r\n");
  return head_end == std::string::npos ? "" : response.substr(head_end + 4);
}

// A byte of a generated body, so that any misplaced byte shows.
char PatternByte(uint64_t i) { return static_cast<char>('a' + (i * 7 + i / 251) % 26); }

class EventServerTest : public ::testing::Test {
 protected:
  void Start(EventServerOptions options, EventServer::Handler handler,
             BodySinkFactory sinks = nullptr) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<EventServer>(
        options, std::move(handler),
        [](const Status& status, HttpResponse* res) {
          res->status = status.http_status() > 0 ? status.http_status() : 500;
          res->set_content("{\"error\":\"" + status.message() + "\"}", "application/json");
        },
        std::move(sinks));
    ASSERT_TRUE(server_->Bind().ok());
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
  }
  int port() const { return server_->port(); }

  // Answers with the method, target and body it got.
  static void Echo(const HttpRequest& req, HttpResponse& res) {
    res.set_content(req.method + " " + req.target + " " + req.body, "text/plain");
  }

  std::unique_ptr<EventServer> server_;
  std::thread thread_;
  Status run_status_;
};

TEST_F(EventServerTest, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  Start({}, Echo);
  RawClient c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "GET /one ");
  ASSERT_TRUE(c.Send("GET /two HTTP/1.1\r\n\r\nPOST /three HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
                     "abcGET /four HTTP/1.1\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string all = c.ReadUntil([](const std::string&) { return false; }, 5000, &closed);
  EXPECT_TRUE(closed);
  size_t two = all.find("GET /two ");
  size_t three = all.find("POST /three abc");
  size_t four = all.find("GET /four ");
  ASSERT_NE(two, std::string::npos) << all;
  ASSERT_NE(three, std::string::npos) << all;
  ASSERT_NE(four, std::string::npos) << all;
  EXPECT_LT(two, three);
  EXPECT_LT(three, four);
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
}

TEST_F(EventServerTest, Http10ClosesUnlessAskedToKeepAlive) {
  Start({}, Echo);
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(c.ClosedWithin(5000));
  RawClient k(port());
  ASSERT_TRUE(k.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string r = k.ReadResponse();
  EXPECT_NE(r.find("Connection: keep-alive"), std::string::npos) << r;
  ASSERT_TRUE(k.Send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_EQ(BodyOf(k.ReadResponse()), "GET /b ");
}

TEST_F(EventServerTest, HeadGetsTheLengthWithoutTheBody) {
  Start({}, [](const HttpRequest&, HttpResponse& res) {
    res.set_content_provider(12345, "application/octet-stream",
                             [](uint64_t, uint64_t, const BodyWriter&) { return false; });
    res.set_header("X-Marker", "HEAD-REQUEST");
  });
  RawClient c(port());
  ASSERT_TRUE(c.Send("HEAD /f HTTP/1.1\r\n\r\nHEAD /g HTTP/1.1\r\n\r\n"));
  std::string r = c.ReadUntil([](const std::string& s) { return RawClient::ResponseComplete(s, 2); },
                              5000);
  EXPECT_NE(r.find("Content-Length: 12345\r\n"), std::string::npos) << r;
  EXPECT_TRUE(r.size() > 0 && r.substr(r.size() - 4) == "\r\n\r\n") << "no body after HEAD";
}

TEST_F(EventServerTest, StreamsAProducedBodyInPiecesExactly) {
  constexpr uint64_t kSize = 5 * 1024 * 1024 + 17;
  Start({}, [](const HttpRequest&, HttpResponse& res) {
    res.set_content_provider(kSize, "application/octet-stream",
                             [](uint64_t offset, uint64_t length, const BodyWriter& write) {
                               std::string piece(std::min<uint64_t>(length, 300000), '\0');
                               for (size_t i = 0; i < piece.size(); ++i) {
                                 piece[i] = PatternByte(offset + i);
                               }
                               return write(piece.data(), piece.size());
                             });
  });
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\n\r\n"));
  std::string body = BodyOf(c.ReadResponse(20000));
  ASSERT_EQ(body.size(), kSize);
  for (uint64_t i = 0; i < kSize; ++i) {
    ASSERT_EQ(body[i], PatternByte(i)) << i;
  }
}

TEST_F(EventServerTest, AProducerThatFailsOrOverrunsEndsTheResponseShort) {
  Start({}, [](const HttpRequest& req, HttpResponse& res) {
    const bool overrun = req.path == "/overrun";
    res.set_content_provider(1000, "application/octet-stream",
                             [overrun](uint64_t offset, uint64_t length, const BodyWriter& write) {
                               if (offset >= 500) return false;
                               std::string bytes(overrun ? length + 1 : 500, 'x');
                               return write(bytes.data(), bytes.size());
                             });
  });
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /fail HTTP/1.1\r\n\r\n"));
  bool closed = false;
  std::string r = c.ReadUntil([](const std::string&) { return false; }, 5000, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(BodyOf(r).size(), 500u);
  RawClient o(port());
  ASSERT_TRUE(o.Send("GET /overrun HTTP/1.1\r\n\r\n"));
  r = o.ReadUntil([](const std::string&) { return false; }, 5000, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(BodyOf(r).size(), 0u) << "bytes beyond Content-Length are never sent";
}

// One worker thread: a response parked on its producer's readiness must not
// hold it, or the second client would wait for the first.
TEST_F(EventServerTest, AParkedBodyHoldsNoThread) {
  std::mutex mu;
  bool ready = false;
  std::function<void()> pending_wake;
  EventServerOptions options;
  options.worker_threads = 1;
  Start(options, [&](const HttpRequest& req, HttpResponse& res) {
    if (req.path != "/parked") return Echo(req, res);
    res.set_content_provider(
        4, "text/plain",
        [](uint64_t, uint64_t, const BodyWriter& write) { return write("done", 4); },
        [&](uint64_t, std::function<void()> wake) {
          std::lock_guard<std::mutex> lock(mu);
          if (ready) return true;
          if (wake) pending_wake = std::move(wake);
          return false;
        });
  });
  RawClient parked(port());
  ASSERT_TRUE(parked.Send("GET /parked HTTP/1.1\r\n\r\n"));
  // Its head arrives; its body does not.
  std::string head = parked.ReadUntil(
      [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; }, 5000);
  ASSERT_NE(head.find("200 OK"), std::string::npos);
  RawClient other(port());
  ASSERT_TRUE(other.Send("GET /other HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(BodyOf(other.ReadResponse()), "GET /other ");
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu);
    ready = true;
    wake = std::move(pending_wake);
  }
  ASSERT_TRUE(wake != nullptr);
  wake();
  std::string rest = parked.ReadUntil([](const std::string& r) { return r == "done"; }, 5000);
  EXPECT_EQ(rest, "done");
}

TEST_F(EventServerTest, HangingClientsDoNotStopOthers) {
  EventServerOptions options;
  options.worker_threads = 2;
  Start(options, Echo);
  std::vector<std::unique_ptr<RawClient>> hanging;
  for (int i = 0; i < 300; ++i) {
    hanging.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(hanging.back()->ok());
    ASSERT_TRUE(hanging.back()->Send("GET /slow HTT"));
  }
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /fast HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "GET /fast ");
  EXPECT_GE(server_->stats().open.load(), 301);
}

// The head has one deadline, however often a byte arrives.
TEST_F(EventServerTest, ATricklingHeadIsClosedAtItsDeadline) {
  EventServerOptions options;
  options.head_timeout_ms = 1000;
  options.read_timeout_ms = 30000;
  Start(options, Echo);
  RawClient c(port());
  const auto start = Clock::now();
  bool closed = false;
  const std::string line = "GET /trickle HTTP/1.1\r\nX-Slow: ";
  for (int i = 0; i < 100 && !closed; ++i) {
    c.Send(std::string(1, line[static_cast<size_t>(i) % line.size()]));
    c.ReadUntil([](const std::string&) { return false; }, 100, &closed);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(server_->stats().head_timeouts.load(), 1u);
}

TEST_F(EventServerTest, OldestIdleConnectionMakesRoomThenNewOnesAreRefused) {
  EventServerOptions options;
  options.max_connections_per_client = 3;
  options.retry_after_seconds = 7;
  Start(options, Echo);
  RawClient first(port());
  ASSERT_TRUE(first.Send("GET /1 HTTP/1.1\r\n\r\n"));
  ASSERT_EQ(BodyOf(first.ReadResponse()), "GET /1 ");  // now idle, the oldest
  RawClient second(port());
  RawClient third(port());
  ASSERT_TRUE(second.Send("GET /2 HTT"));  // mid-request: not idle
  ASSERT_TRUE(third.Send("GET /3 HTT"));
  for (int i = 0; i < 50 && server_->stats().idle.load() != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  RawClient fourth(port());
  EXPECT_TRUE(first.ClosedWithin(5000)) << "the idle connection was not closed for room";
  ASSERT_TRUE(fourth.Send("GET /4 HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(BodyOf(fourth.ReadResponse()), "GET /4 ");
  // second, third and fourth (idle again now) hold the three places; fourth
  // is idle and goes. Make it busy first so that nothing is idle.
  ASSERT_TRUE(fourth.Send("GET /4b HTT"));
  for (int i = 0; i < 50 && server_->stats().idle.load() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(server_->stats().idle.load(), 0) << "open " << server_->stats().open.load();
  RawClient fifth(port());
  std::string refused = fifth.ReadUntil([](const std::string&) { return false; }, 5000);
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 7"), std::string::npos) << refused;
  EXPECT_EQ(server_->stats().refused_client_limit.load(), 1u);
  EXPECT_EQ(server_->stats().evicted_idle.load(), 1u);
  ASSERT_TRUE(second.Send("P/1.1\r\n\r\n"));
  EXPECT_EQ(BodyOf(second.ReadResponse()), "GET /2 ");
}

TEST_F(EventServerTest, ExpectContinueAndChunkedBodies) {
  Start({}, Echo);
  RawClient c(port());
  ASSERT_TRUE(c.Send("POST /p HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  std::string interim = c.ReadUntil(
      [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; }, 5000);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("body"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "POST /p body");
  ASSERT_TRUE(c.Send("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"));
  ASSERT_TRUE(c.Send("2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "POST /c abcde");
}

// Checks a streamed body against the pattern; /refuse refuses at Open,
// /fail fails once 2 MiB were written. Counts what it saw in `log`.
struct SinkLog {
  std::atomic<int> opened{0};
  std::atomic<int> finished{0};
  std::atomic<int> destroyed{0};
  std::atomic<size_t> largest_piece{0};
};

class PatternSink : public RequestBodySink {
 public:
  explicit PatternSink(SinkLog* log) : log_(log) {}
  ~PatternSink() override { log_->destroyed++; }
  Status Open(const HttpRequest& head) override {
    log_->opened++;
    if (head.path == "/refuse") {
      return Status::PermissionDenied("no uploads here").WithHubError(HubError::kNone, 403);
    }
    fail_after_ = head.path == "/fail" ? (2u << 20) : UINT64_MAX;
    return Status::Ok();
  }
  Status Write(std::string_view piece) override {
    log_->largest_piece = std::max(log_->largest_piece.load(), piece.size());
    for (char ch : piece) {
      if (ch != PatternByte(received_)) return Status::InvalidArgument("wrong byte");
      ++received_;
    }
    if (received_ >= fail_after_) return Status::ResourceExhausted("disk full");
    return Status::Ok();
  }
  void Finish(const HttpRequest& head, HttpResponse& res) override {
    log_->finished++;
    res.set_content(head.method + " " + head.path + " " + std::to_string(received_) +
                        " body:" + head.body,
                    "text/plain");
  }

 private:
  SinkLog* log_;
  uint64_t received_ = 0;
  uint64_t fail_after_ = UINT64_MAX;
};

std::string Pattern(uint64_t n) {
  std::string out(n, '\0');
  for (uint64_t i = 0; i < n; ++i) out[i] = PatternByte(i);
  return out;
}

TEST_F(EventServerTest, UploadsStreamToTheirSinkInBoundedPieces) {
  SinkLog log;
  Start({}, Echo, [&log](const HttpRequest& head) -> std::unique_ptr<RequestBodySink> {
    if (head.method != "PUT") return nullptr;
    return std::make_unique<PatternSink>(&log);
  });
  const uint64_t size = 5 * (1u << 20) + 123;  // beyond max_body_bytes (1 MiB)
  RawClient c(port());
  ASSERT_TRUE(c.Send("PUT /u HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n"));
  ASSERT_TRUE(c.Send(Pattern(size)));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "PUT /u " + std::to_string(size) + " body:");
  EXPECT_LE(log.largest_piece.load(), size_t{1} << 20);
  // Chunked, with 100-continue, on the same connection.
  ASSERT_TRUE(c.Send(
      "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.ReadUntil([](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; },
                        5000),
            "HTTP/1.1 100 Continue\r\n\r\n");
  const std::string body = Pattern(3u << 20);
  for (size_t at = 0; at < body.size(); at += 700'000) {
    std::string part = body.substr(at, 700'000);
    char size_line[32];
    snprintf(size_line, sizeof(size_line), "%zx\r\n", part.size());
    ASSERT_TRUE(c.Send(size_line + part + "\r\n"));
  }
  ASSERT_TRUE(c.Send("0\r\n\r\n"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "PUT /c " + std::to_string(body.size()) + " body:");
  // Bodies that do not stream keep their limit.
  ASSERT_TRUE(c.Send("POST /p HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n"));
  EXPECT_NE(c.ReadResponse().find(" 413 "), std::string::npos);
  EXPECT_EQ(log.finished.load(), 2);
  EXPECT_EQ(log.destroyed.load(), 2);
}

TEST_F(EventServerTest, ARefusedOrFailedUploadIsAnsweredClosedAndItsSinkDropped) {
  SinkLog log;
  Start({}, Echo, [&log](const HttpRequest&) -> std::unique_ptr<RequestBodySink> {
    return std::make_unique<PatternSink>(&log);
  });
  {
    // Refused before the body: no 100 Continue, the answer, then close.
    RawClient c(port());
    ASSERT_TRUE(c.Send(
        "PUT /refuse HTTP/1.1\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"));
    std::string reply = c.ReadResponse();
    EXPECT_EQ(reply.rfind("HTTP/1.1 403 ", 0), 0u) << reply;
    EXPECT_NE(reply.find("no uploads here"), std::string::npos);
    EXPECT_TRUE(c.ClosedWithin(2000));
  }
  {
    RawClient c(port());
    const uint64_t size = 4u << 20;
    ASSERT_TRUE(c.Send("PUT /fail HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n"));
    c.Send(Pattern(size));  // the server may stop reading half-way
    std::string reply = c.ReadResponse();
    EXPECT_NE(reply.find("disk full"), std::string::npos) << reply.substr(0, 200);
    EXPECT_TRUE(c.ClosedWithin(2000));
  }
  {
    // A client that goes away mid-body.
    RawClient c(port());
    ASSERT_TRUE(c.Send("PUT /u HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n" + Pattern(1500000)));
  }
  for (int i = 0; i < 200 && log.destroyed.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(log.opened.load(), 3);
  EXPECT_EQ(log.destroyed.load(), 3);
  EXPECT_EQ(log.finished.load(), 0);
  // The server goes on.
  RawClient next(port());
  ASSERT_TRUE(next.Send("GET /x HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(BodyOf(next.ReadResponse()), "GET /x ");
}

TEST_F(EventServerTest, BadRequestsAreAnsweredAndClosed) {
  EventServerOptions options;
  options.limits.max_body_bytes = 10;
  Start(options, Echo);
  RawClient big(port());
  ASSERT_TRUE(big.Send("POST /p HTTP/1.1\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n"));
  bool closed = false;
  std::string r = big.ReadUntil([](const std::string&) { return false; }, 5000, &closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  EXPECT_TRUE(closed);
  RawClient junk(port());
  ASSERT_TRUE(junk.Send("\x16\x03\x01 not http at all\r\n\r\n"));
  r = junk.ReadUntil([](const std::string&) { return false; }, 5000, &closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
  EXPECT_TRUE(closed);
  EXPECT_EQ(server_->stats().bad_requests.load(), 2u);
}

TEST_F(EventServerTest, AThrowingHandlerAnswers500AndTheServerGoesOn) {
  Start({}, [](const HttpRequest& req, HttpResponse& res) {
    if (req.path == "/throw") throw std::runtime_error("boom");
    Echo(req, res);
  });
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /throw HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 500", 0), 0u);
  ASSERT_TRUE(c.Send("GET /after HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "GET /after ");
}

TEST_F(EventServerTest, IdleKeepAliveConnectionsAreClosedAfterTheirTimeout) {
  EventServerOptions options;
  options.keep_alive_timeout_ms = 300;
  Start(options, Echo);
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /a HTTP/1.1\r\n\r\n"));
  ASSERT_EQ(BodyOf(c.ReadResponse()), "GET /a ");
  EXPECT_TRUE(c.ClosedWithin(5000));
  EXPECT_EQ(server_->stats().idle_timeouts.load(), 1u);
  EXPECT_EQ(server_->stats().open.load(), 0);
}

}  // namespace
}  // namespace hubmirror
