// Test-only control endpoints under /_fake/ on the API host:
//   GET  /_fake/stats                         request counters and log
//   POST /_fake/reset-stats
//   POST /_fake/cdn-gate?pause_after=N | ?open=1
//   POST /_fake/cdn-rate?bytes_per_sec=N      (0 = unlimited)
//   POST /_fake/drop-connection?after=N&count=K   (count defaults to 1)
//   GET  /_fake/manifest                      every repo, ref and file
// These requests are not counted in the stats.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "tests/fakehub/server_state.h"
#include "tests/fakehub/url.h"

namespace fakehub {

// `segments` are the decoded path segments, starting with "_fake".
void HandleControl(ServerState& state, const httplib::Request& req, httplib::Response& res,
                   const std::vector<std::string>& segments, const QueryParams& query);

}  // namespace fakehub
