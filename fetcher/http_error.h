// Translation of upstream failures into Status, done once at the boundary.
//
// Messages name the request ("GET https://host/path") without its query
// string (CDN URLs carry signatures) and never include a token.
#pragma once

#include <curl/curl.h>

#include <string>
#include <string_view>

#include "store/status.h"

namespace hubmirror {

// What an upstream error response said.
struct HttpErrorInfo {
  int http_status = 0;
  std::string error_code;     // X-Error-Code, may be empty
  std::string error_message;  // X-Error-Message, may be empty
  std::string body;           // (a prefix of) the body, may be empty
};

// Maps a non-2xx, non-3xx upstream answer to a Status:
//   X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound -> NotFound,
//   GatedRepo -> PermissionDenied (Unauthenticated on a 401), each with the
//   HubError and the upstream HTTP status attached;
//   X-Error-Message "Access to this resource is disabled." -> kDisabled;
//   otherwise 401 -> Unauthenticated, 403 -> PermissionDenied,
//   404/410 -> NotFound, 408/429/5xx -> Unavailable (retryable),
//   other 4xx -> InvalidArgument; anything else -> Unavailable.
// `what` names the request, e.g. "GET https://hf.co/api/models/x".
Status HttpErrorToStatus(const HttpErrorInfo& info, const std::string& what);

// Maps a failed transfer: CURLE_OPERATION_TIMEDOUT -> DeadlineExceeded;
// connect, resolve, send, receive, partial file, empty reply and TLS
// handshake failures -> Unavailable; anything else -> Internal.
// `detail` is curl's error buffer (may be empty).
Status CurlCodeToStatus(CURLcode code, std::string_view detail, const std::string& what);

// "METHOD url" with the query string and fragment removed, for messages.
std::string DescribeRequest(std::string_view method, std::string_view url);

// A Retry-After value in whole seconds, converted to milliseconds; -1 when
// absent or not a plain number (HTTP dates are ignored).
long ParseRetryAfterMs(std::string_view value);

}  // namespace hubmirror
