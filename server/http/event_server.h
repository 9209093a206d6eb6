// EventServer: the HTTP/1.1 connection layer. One event-loop thread (epoll)
// holds every connection — idle, sending a head slowly, waiting for a body
// that is still arriving from upstream, or streaming — so an open connection
// costs memory (a few KiB), not a thread. Work that may block (the route
// handler, producing body bytes from the store) runs on a bounded WorkPool.
//
// Per connection, in order: read the head (one deadline for the whole head,
// limits on its size and header count), read the body (Content-Length or
// chunked, limited; an upload streams to a RequestBodySink on the pool in
// pieces of up to 1 MiB, the socket unread while a piece is written, so a
// client can never make the server hold more), run the handler on the pool, send the head and body
// (bodies from a BodyProducer in hops of at most 1 MiB, each on the pool, the
// next only once the socket took the last; a producer that would wait parks
// the connection on its BodyReadiness without a thread), then keep-alive.
//
// Limits on open connections, in total and per client address: over one, the
// oldest idle connection (no request under way) is closed to make room; if
// none is idle, the new connection gets 503 with Retry-After and is closed.
//
// Lifecycle: Bind() once, Run() on one thread until Stop() (any thread).
// Run() returns after every handler has returned. The handler is called
// concurrently from pool threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/http/http_message.h"
#include "server/http/listen_socket.h"
#include "server/http/request_head.h"
#include "store/status.h"

namespace hubmirror {

class EventServerMailbox;

struct EventServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  // Threads running handlers and body hops.
  int worker_threads = 64;
  RequestLimits limits;
  // A body that streams to a RequestBodySink (limits.max_body_bytes bounds
  // only bodies read whole).
  uint64_t max_streamed_body_bytes = uint64_t{1} << 40;
  // From the connection's first byte (or its opening) to the end of the head.
  int64_t head_timeout_ms = 15'000;
  // An idle keep-alive connection is closed after this long.
  int64_t keep_alive_timeout_ms = 5'000;
  int keep_alive_max_requests = 1000;
  // A request (head or body) whose client sends nothing for this long, or a
  // response whose client takes nothing: closed.
  int64_t read_timeout_ms = 30'000;
  int64_t write_timeout_ms = 60'000;
  // A response parked on its producer's readiness for this long is ended.
  int64_t body_wait_timeout_ms = 60'000;
  size_t max_connections = 16'384;
  size_t max_connections_per_client = 4'096;
  int retry_after_seconds = 5;
};

// Counts kept by the loop, read from any thread (metrics).
struct ConnectionStats {
  std::atomic<int64_t> open{0};
  // Open connections with no request under way (new or keep-alive).
  std::atomic<int64_t> idle{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_total_limit{0};
  std::atomic<uint64_t> refused_client_limit{0};
  // Idle connections closed to make room for a new one.
  std::atomic<uint64_t> evicted_idle{0};
  std::atomic<uint64_t> head_timeouts{0};
  std::atomic<uint64_t> idle_timeouts{0};
  // Request bodies, writes and parked bodies that made no progress in time.
  std::atomic<uint64_t> io_timeouts{0};
  // Requests refused before a handler saw them (malformed, over a limit).
  std::atomic<uint64_t> bad_requests{0};
};

class EventServer {
 public:
  using Handler = std::function<void(const HttpRequest& req, HttpResponse& res)>;
  // Fills the answer to a request the server itself refuses (`status` carries
  // the HTTP status as its http_status()).
  using ErrorWriter = std::function<void(const Status& status, HttpResponse* res)>;

  // `sinks` (may be empty) picks the requests whose bodies stream.
  EventServer(EventServerOptions options, Handler handler, ErrorWriter error_writer,
              BodySinkFactory sinks = nullptr);
  ~EventServer();
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  Status Bind();
  int port() const { return port_; }
  Status Run();
  // Safe from any thread once Bind() returned (also before Run()).
  void Stop();

  const ConnectionStats& stats() const { return stats_; }

 private:
  class Loop;
  const EventServerOptions options_;
  // Created by Bind(); shared with the loop and with readiness wakes.
  std::shared_ptr<EventServerMailbox> mailbox_;
  const Handler handler_;
  const ErrorWriter error_writer_;
  const BodySinkFactory sinks_;
  ListenSocket listen_;
  int port_ = 0;
  ConnectionStats stats_;
  std::atomic<bool> stop_requested_{false};
  std::unique_ptr<Loop> loop_;
};

}  // namespace hubmirror
