// The status line and header block of a response, as the connection layer
// frames it: the handler's headers plus Content-Length and Connection, which
// only the connection layer decides.
#pragma once

#include <string>

#include "server/http/http_message.h"

namespace hubmirror {

struct ResponseFraming {
  // "HTTP/1.0" clients get keep-alive only when they asked for it, and never
  // a chunked body.
  bool http10 = false;
  bool keep_alive = true;
};

// The head of `res` ending in the blank line. Content-Length is the body's
// length (also for HEAD, where no body follows) except for 1xx, 204 and 304,
// which have none; handler-set Content-Length, Connection and
// Transfer-Encoding headers are replaced.
std::string SerializeResponseHead(const HttpResponse& res, const ResponseFraming& framing);

// Whether a response with this status carries a body at all.
bool StatusHasBody(int status);

}  // namespace hubmirror
