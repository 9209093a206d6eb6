// Serving a blob's bytes (in memory or from a local file) with single-range support, the way the Hub and
// its CDN do: 200, 206 + Content-Range, or 416 + "Content-Range: bytes */N".
//
// httplib's own range handling is disabled for the fake hub (see main.cc);
// this file is the only place ranges are interpreted. Multi-range requests
// are answered with the full body (allowed by RFC 9110).
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

struct RangeRequest {
  enum class Kind { kNone, kSatisfiable, kUnsatisfiable };
  Kind kind = Kind::kNone;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Interprets a Range header value against a body of `size` bytes. Absent,
// malformed, inverted or multi-range values yield kNone (serve everything).
RangeRequest ParseRange(std::string_view header, uint64_t size);

// Shapes one body transfer (throttle, pause, drop). Used by the CDN host;
// called from the httplib worker thread that writes the response.
class TransferShaper {
 public:
  virtual ~TransferShaper() = default;
  // Before each chunk: `sent` body bytes of this response are out, the
  // writer would like to send `wanted` more. Returns how many it may send
  // now (1..wanted), or 0 to abort and close the connection. May block, but
  // only for a bounded time.
  virtual size_t Admit(uint64_t sent, size_t wanted) = 0;
  // After a chunk of `n` bytes was handed to the socket.
  virtual void OnSent(size_t n) = 0;
};

// Creates the shaper of one body transfer; may be empty (no shaping).
using ShaperFactory = std::function<std::shared_ptr<TransferShaper>()>;

// Answers `req` with `bytes` (or the requested range of it), streaming through
// a content provider: straight from memory, or in pread chunks from a file. `make_shaper` is called only when a
// body will actually be sent (GET, non-empty, not 416).
void ServeBytes(const httplib::Request& req, httplib::Response& res,
                std::shared_ptr<const BlobBytes> bytes, const std::string& content_type,
                const ShaperFactory& make_shaper);

}  // namespace fakehub
