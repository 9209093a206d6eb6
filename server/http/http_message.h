// HttpRequest / HttpResponse: one HTTP/1.1 exchange as the route handlers see
// it, independent of the connection layer that reads and writes it
// (event_server.h). Handlers fill an HttpResponse; the connection layer
// frames it (status line, Content-Length, Connection) and sends it.
//
// Plain values: not thread-safe, owned by one request at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "store/status.h"

namespace hubmirror {

// Header names compare case-insensitively (RFC 9110 §5.1).
struct HeaderNameLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
using HttpHeaders = std::multimap<std::string, std::string, HeaderNameLess>;

// Hands bytes of a response body to the connection; false when the client is
// gone (the producer should stop).
using BodyWriter = std::function<bool(const char* data, size_t n)>;

// Writes bytes of a streamed body from `offset` on, at least one and at most
// `length` (what is left of the body), in order, through `write`; returns
// false to end the response early (the client sees a transfer shorter than
// Content-Length, never wrong bytes). Called again from where the previous
// call left off until the body is done; each call should write a bounded
// piece (about a MiB), which is what the connection then holds at most.
// Calls come from the connection layer's worker threads, one at a time.
using BodyProducer = std::function<bool(uint64_t offset, uint64_t length, const BodyWriter& write)>;

// Whether the producer can write at `offset` now without waiting (true), or
// else arranges for `wake` to be called once it can or has failed (false);
// `wake` may then be called from any thread, at most once. An empty `wake`
// only asks. A connection parked on it holds no thread.
using BodyReadiness = std::function<bool(uint64_t offset, std::function<void()> wake)>;

struct HttpRequest {
  std::string method;
  // As received: path and query, not decoded.
  std::string target;
  // The target up to '?'.
  std::string path;
  // "HTTP/1.1" or "HTTP/1.0".
  std::string version;
  HttpHeaders headers;
  std::string body;
  std::string remote_addr;
  int remote_port = 0;
  std::string local_addr;
  int local_port = 0;

  bool has_header(std::string_view name) const;
  // The first value of `name`, or `fallback`.
  std::string get_header_value(std::string_view name, const char* fallback = "") const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  // The body, unless a producer streams it.
  std::string body;
  // A streamed body of `content_length` bytes.
  BodyProducer producer;
  BodyReadiness readiness;
  uint64_t content_length = 0;

  // Adds a header line (a name may repeat). Values with CR or LF are dropped:
  // a header never splits into two.
  void set_header(std::string_view name, std::string_view value);
  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name, const char* fallback = "") const;
  // The whole body, with its Content-Type.
  void set_content(std::string body, std::string_view content_type);
  // A body of `length` bytes produced while it is sent. For HEAD the
  // producer is never called; Content-Length still says `length`.
  void set_content_provider(uint64_t length, std::string_view content_type, BodyProducer producer,
                            BodyReadiness readiness = nullptr);
  // Bytes the body has (the Content-Length sent).
  uint64_t BodyLength() const { return producer ? content_length : body.size(); }
};

// Takes a request body as it arrives, for bodies too large to hold in memory
// (uploads). The connection layer asks a BodySinkFactory for one when a head
// has been read; the sink then sees, on pool threads and one call at a time:
// Open() before any byte is read (a refusal answers the request without
// reading its body; "Expect: 100-continue" is answered only after Open()),
// Write() for each piece in order (an error answers the request and closes
// the connection), Finish() once the whole body was written, which answers
// the request as a handler would. Destroyed when the exchange ends, however
// it ends: a sink that did not reach Finish() must leave nothing behind.
class RequestBodySink {
 public:
  virtual ~RequestBodySink() = default;
  // The error's http_status() (or 400) and Hub error code answer the request.
  virtual Status Open(const HttpRequest& head) = 0;
  virtual Status Write(std::string_view piece) = 0;
  virtual void Finish(const HttpRequest& head, HttpResponse& res) = 0;
};

// Called on the loop thread for every request head with a body: a sink for
// requests whose body should stream, nullptr for those to be read whole into
// HttpRequest::body. Must not block (match the route, nothing more).
using BodySinkFactory = std::function<std::unique_ptr<RequestBodySink>(const HttpRequest& head)>;

// The reason phrase of a status code ("Not Found"); "" for unknown codes.
const char* HttpReasonPhrase(int status);

}  // namespace hubmirror
