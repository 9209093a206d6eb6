// Turning a failed Status into the response a Hugging Face client understands:
// the Hub's status code, `X-Error-Code` (which the Python client maps to its
// exception types whatever the status), `X-Error-Message` and a JSON body
// {"error": ...}. See hub-protocol.md §6.
#pragma once

#include "server/http/http_message.h"

#include "store/status.h"

namespace hubmirror {

// The HTTP status for a Status. `authenticated` tells whether the request
// carried a token: like the Hub, a missing repo is 401 to anonymous callers.
int HttpStatusFor(const Status& status, bool authenticated);

// Fills `res` with the error answer for `status`.
void WriteError(const Status& status, bool authenticated, HttpResponse* res);

}  // namespace hubmirror
