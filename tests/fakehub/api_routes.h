// The API host (huggingface.co): request dispatch and the /api/ endpoints
// (repo info, tree, paths-info, whoami-v2). Resolve lives in
// resolve_route.h, the /_fake/ test endpoints in control_routes.h.
#pragma once

#include <httplib.h>

#include "tests/fakehub/server_state.h"

namespace fakehub {

// Serves any request that reached the API host, routing on the raw target.
void ServeApiHost(ServerState& state, const httplib::Request& req, httplib::Response& res);

}  // namespace fakehub
