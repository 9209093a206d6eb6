// Request heads and bodies off the wire: the parsing half of the connection
// layer, kept apart from sockets so that it can be tested (and fuzzed) on
// bytes alone.
//
// The parser is strict where leniency lets one request be read two ways
// (request smuggling): a head with both Transfer-Encoding and Content-Length,
// conflicting Content-Lengths, obsolete line folding, or a transfer coding
// other than "chunked" is refused. Limits bound what one client can make the
// server hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "store/status.h"

namespace hubmirror {

struct RequestLimits {
  // The request line and all header lines together (-> 431 beyond).
  size_t max_head_bytes = 64 * 1024;
  // Header lines (-> 431 beyond).
  size_t max_header_count = 100;
  // One line: the request line (-> 414 beyond) or a header line (-> 431),
  // as nginx's large_client_header_buffers.
  size_t max_line_bytes = 8 * 1024;
  // A request body, declared or chunked (-> 413 beyond).
  uint64_t max_body_bytes = 1 << 20;
};

// Where a head ends in `buffer`: the number of bytes up to and including the
// blank line, 0 while it is incomplete. An error (431) once the head is
// longer than the limit allows. `already_scanned` is the size `buffer` had at
// the previous call (0 at first), so that a head arriving a byte at a time
// costs linear time.
Result<size_t> FindHeadEnd(std::string_view buffer, size_t already_scanned,
                           const RequestLimits& limits);

enum class BodyFraming { kNone, kLength, kChunked };

struct RequestHead {
  // method, target, path, version and headers are filled.
  HttpRequest request;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  // Whether the client keeps the connection open after this exchange.
  bool keep_alive = true;
  // "Expect: 100-continue": the client waits for an interim answer.
  bool expect_continue = false;
};

// Parses a complete head (as delimited by FindHeadEnd). Errors carry the HTTP
// status to answer (400, 413, 431, 501, 505, 417) as their http_status().
Result<RequestHead> ParseRequestHead(std::string_view head, const RequestLimits& limits);

// Decodes a chunked body as its bytes arrive (RFC 9112 §7.1); trailers are
// read and dropped. Not thread-safe.
class ChunkedBodyDecoder {
 public:
  explicit ChunkedBodyDecoder(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  // Consumes a prefix of `input`, appending decoded bytes to `body`. Returns
  // how many input bytes were consumed (the rest is waiting for more, or
  // belongs to the next request once done()). An error (400 or 413) for a
  // malformed or oversize body.
  Result<size_t> Feed(std::string_view input, std::string* body);
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  const uint64_t max_body_bytes_;
  State state_ = State::kSize;
  uint64_t chunk_left_ = 0;
  uint64_t total_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace hubmirror
