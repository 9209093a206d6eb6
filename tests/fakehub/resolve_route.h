// GET/HEAD /[datasets/]{id}/resolve/{rev}/{path} on the API host.
//
// Regular files are served directly (ETag = git blob id, ranges honoured).
// LFS files answer 302 to a signed CDN URL with X-Linked-Etag/-Size, plus
// the Xet headers the real hub sends (X-Xet-Hash, Link rel="xet-auth");
// clients that Accept application/vnd.xet-fileinfo+json get Xet file info
// instead of the redirect, as on huggingface.co.
#pragma once

#include <httplib.h>

#include "tests/fakehub/repo_target.h"
#include "tests/fakehub/server_state.h"

namespace fakehub {

void HandleResolve(ServerState& state, const httplib::Request& req, httplib::Response& res,
                   const RepoRequest& request);

}  // namespace fakehub
