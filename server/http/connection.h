// Connection: one client connection of the EventServer, and the work done
// for it on pool threads (running the handler, producing body hops).
//
// Ownership: the loop owns every Connection (shared_ptr, so that a pool job
// can hold one). `state` says who may touch the rest: while it is kBusy, only
// the one pool job running for it; otherwise only the loop thread. The
// hand-over is the pool's queue (loop -> job) and the loop's completion queue
// (job -> loop), both under mutexes, which order the accesses.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "fetcher/local_files.h"
#include "server/http/http_message.h"
#include "server/http/request_head.h"

namespace hubmirror {

struct Connection {
  enum class State {
    kHead,    // reading a request head (none yet: idle)
    kBody,    // reading a request body
    kBusy,    // a pool job runs the handler or a body hop
    kWrite,   // the loop sends `out`
    kParked,  // waiting for the producer's readiness wake
  };

  uint64_t id = 0;
  UniqueFd fd;
  std::string peer;
  int peer_port = 0;
  std::string local;
  int local_port = 0;

  State state = State::kHead;
  // Monotonic ms at which the current state gives up (0 = never).
  int64_t deadline_ms = 0;
  // While reading a head: when the whole head must be complete.
  int64_t head_deadline_ms = 0;
  int requests_done = 0;

  // Bytes received and not consumed; how much of it FindHeadEnd has seen.
  std::string in;
  size_t head_scanned = 0;
  // The exchange under way (valid from the parsed head to the response's end).
  std::optional<RequestHead> head;
  std::optional<ChunkedBodyDecoder> chunked;
  // A streamed body: where it goes, the piece being gathered for the next
  // Write, how many body bytes were taken off the wire, whether all were.
  std::unique_ptr<RequestBodySink> sink;
  std::string piece;
  uint64_t body_received = 0;
  bool body_complete = false;
  // "100 Continue" is still owed (sent once the sink is open).
  bool continue_owed = false;
  HttpResponse res;
  bool head_only = false;
  bool keep_alive = true;
  // After `out` is sent: go on reading the body (an interim 100 Continue).
  bool continue_reading_body = false;
  // After `out` is sent: close (an error answer the server produced).
  bool close_after_write = false;

  // Bytes to send, from out_sent on.
  std::string out;
  size_t out_sent = 0;
  // Body bytes produced so far, of body_total.
  uint64_t body_sent = 0;
  uint64_t body_total = 0;
  // The client is gone, or the producer failed: close once back on the loop.
  bool broken = false;
  // Which readiness wake is current (stale ones are ignored).
  uint64_t park_generation = 0;

  // Position in the loop's idle list, when idle.
  bool idle_listed = false;
  std::list<Connection*>::iterator idle_pos;

  // Sends as much of `out` as the socket takes now (non-blocking). Marks the
  // connection broken on a send error. True when `out` is empty afterwards.
  bool SendPending();
  // Produces one hop of the body (pool thread; the producer must be ready):
  // sends straight from the producer's buffers while the socket takes them,
  // keeps the rest in `out`.
  void ProduceHop();
  // Runs the handler for the parsed request and frames its response into
  // `out` (pool thread), then sends what the socket takes and, when the body
  // is ready, its first hop.
  // A handler that throws answers what `internal_error` fills in.
  void Respond(const std::function<void(const HttpRequest&, HttpResponse&)>& handler,
               const std::function<void(HttpResponse*)>& internal_error,
               int keep_alive_max_requests, bool stopping);
  // Pool thread, streamed bodies: opens the sink (`opening`; nothing to
  // send), or writes `data` to it and, when it was the last piece, answers through
  // the sink's Finish as Respond does. A refusal frames the error into
  // `out` and marks the connection to close after it.
  void FeedSink(bool opening, std::string data, const std::function<void(const Status&, HttpResponse*)>& error,
                const std::function<void(HttpResponse*)>& internal_error,
                int keep_alive_max_requests, bool stopping);
  // Frames `res` (already filled) into `out`.
  void Frame(bool stopping, int keep_alive_max_requests);
  // Forgets the exchange (releasing the producer and what it holds).
  void EndExchange();
};

}  // namespace hubmirror
