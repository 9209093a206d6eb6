// The body of POST /api/{type}s/{id}/paths-info/{rev}, parsed and checked:
// JSON {"paths": [...], "expand": bool} (JS client) or a form
// paths=a&paths=b&expand=false (Python). Pure; thread-safe.
#pragma once

#include "server/http/http_message.h"

#include <string>
#include <vector>

#include "store/status.h"

namespace hubmirror {

// At most this many paths per request.
inline constexpr size_t kMaxPathsPerRequest = 10'000;

// InvalidArgument (nothing filled in usefully) for a malformed body, too
// many paths or an invalid path. Trailing '/' of folder names is dropped.
Status ParsePathsInfoBody(const HttpRequest& req, std::vector<std::string>* paths,
                          bool* expand);

}  // namespace hubmirror
