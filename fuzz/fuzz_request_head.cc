// Request heads and chunked bodies as the connection layer reads them: bytes
// from any client. Contract: a head found is within the limit, and fed a
// byte at a time FindHeadEnd finds the same end; a parsed head's body
// framing is unambiguous; the chunked decoder never consumes more than it
// was given nor grows the body past its limit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http/request_head.h"

using namespace hubmirror;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  RequestLimits limits;
  limits.max_head_bytes = 2048;
  limits.max_header_count = 20;
  limits.max_body_bytes = 4096;

  Result<size_t> end = FindHeadEnd(input, 0, limits);
  size_t scanned = 0;
  Result<size_t> stepwise = size_t{0};
  for (size_t n = 1; n <= input.size(); ++n) {
    stepwise = FindHeadEnd(input.substr(0, n), scanned, limits);
    if (!stepwise.ok() || *stepwise != 0) break;
    scanned = n;
  }
  if (end.ok() && *end > 0) {
    if (*end > limits.max_head_bytes || *end > input.size()) std::abort();
    if (!stepwise.ok() || *stepwise != *end) std::abort();
    Result<RequestHead> head = ParseRequestHead(input.substr(0, *end), limits);
    if (head.ok()) {
      if (head->framing == BodyFraming::kLength && head->content_length > limits.max_body_bytes) {
        std::abort();
      }
      if (head->request.method.empty() || head->request.target.empty()) std::abort();
    }
  }

  ChunkedBodyDecoder decoder(limits.max_body_bytes);
  std::string body;
  size_t offset = 0;
  // Fed in two parts, as if split across reads.
  for (std::string_view part : {input.substr(0, input.size() / 2), input}) {
    if (offset > part.size()) break;
    Result<size_t> used = decoder.Feed(part.substr(offset), &body);
    if (!used.ok()) break;
    if (*used > part.size() - offset) std::abort();
    offset += *used;
  }
  if (body.size() > limits.max_body_bytes) std::abort();
  return 0;
}
