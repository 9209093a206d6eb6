// One HTTP exchange over a libcurl easy handle: no redirect following, no
// retries. Builds the request headers (Authorization only for the endpoint's
// origin), applies the timeouts of UpstreamOptions, collects the response
// headers, and either buffers the body (capped) or streams a 2xx body to a
// StreamTarget.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fetcher/upstream.h"
#include "store/status.h"

namespace hubmirror {

// Cap on a buffered 2xx body (metadata answers); larger is InvalidArgument.
constexpr size_t kMaxMetadataBody = size_t{64} << 20;
// Error bodies are truncated to this many bytes (not an error).
constexpr size_t kMaxErrorBody = size_t{64} << 10;
// Cap on the total size of response headers.
constexpr size_t kMaxHeaderBytes = size_t{1} << 20;

enum class Method { kGet, kHead, kPost };
const char* MethodName(Method m);

struct Request {
  Method method = Method::kGet;
  std::string url;
  std::string post_body;  // form-encoded, for kPost
  std::string range;      // e.g. "bytes=N-", or empty
  // Metadata requests get the whole-request timeout and may be compressed;
  // file bodies get neither (Accept-Encoding: identity).
  bool metadata = true;
  // Sent as "Authorization: Bearer" instead of the endpoint's token (a Xet
  // CAS token), whatever the origin.
  std::string bearer;
  // No Authorization at all (presigned URLs, which refuse one).
  bool anonymous = false;
};

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;          // empty when streamed to a StreamTarget
  std::string redirect_url;  // for 3xx: Location resolved against the request URL

  // The first value of a header (name in lower case), or nullptr.
  const std::string* Header(std::string_view name) const;
  // The first value of a header, or "".
  std::string HeaderOr(std::string_view name) const;
  // All values of a header joined with ", ".
  std::string JoinedHeader(std::string_view name) const;
  bool IsRedirect() const {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }
  bool IsSuccess() const { return status >= 200 && status < 300; }
};

// Receives the body of a 2xx answer instead of Response::body.
class StreamTarget {
 public:
  virtual ~StreamTarget() = default;
  // Called once with the status and headers, before the first body byte
  // (or after the transfer when the body is empty).
  virtual Status Begin(const Response& response) = 0;
  // A non-OK status aborts the transfer and is what PerformExchange returns.
  virtual Status Write(const char* data, size_t n) = 0;
};

// Performs `req` on `curl` (which is reset first, keeping its connections).
// Any HTTP answer, whatever its status, is a Response; a failed transfer is
// mapped by CurlCodeToStatus(), and an aborted body (cap exceeded, target
// error) returns the abort reason.
Result<Response> PerformExchange(CURL* curl, const Request& req, const UpstreamOptions& options,
                                 StreamTarget* target);

// The Status for a non-2xx, non-3xx answer (HttpErrorToStatus), with the
// upstream token redacted from its message and body should the upstream echo it.
Status ErrorAnswerToStatus(Response response, const UpstreamOptions& options,
                           const std::string& what);

// Parses a decimal uint64 (digits only); false on anything else.
bool ParseUint(std::string_view s, uint64_t* out);

}  // namespace hubmirror
