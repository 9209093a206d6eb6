// The CDN host (cdn-lfs.huggingface.co / S3 behind CloudFront):
// GET/HEAD /lfs/<sha256>?expires=..&sig=.. serves LFS bytes.
//
// Like a presigned S3 URL it refuses an extra Authorization header (400),
// a bad signature (403) and an expired URL (403 "Request has expired").
// Bodies stream through CdnControl's shaping (rate, gate, drops).
#pragma once

#include <httplib.h>

#include "tests/fakehub/server_state.h"

namespace fakehub {

void ServeCdnHost(ServerState& state, const httplib::Request& req, httplib::Response& res);

}  // namespace fakehub
