// The API host's listings: repos of a type (GET /api/{models,datasets,
// spaces}), a repo's refs (/refs) and its commit history (/commits/{rev}),
// shaped and paginated like huggingface.co's.
#pragma once

#include <httplib.h>

#include <string>

#include "tests/fakehub/hub_model.h"
#include "tests/fakehub/server_state.h"
#include "tests/fakehub/url.h"

namespace fakehub {

// author, search, filter, pipeline_tag, sort, direction, limit, full,
// expand, cursor. Without sort: fixture order.
void HandleRepoList(const ServerState& state, httplib::Response& res, RepoType type,
                    const RawTarget& raw, const QueryParams& query);

// {"branches","converts","tags"} (+"pullRequests" with include_prs=1).
void HandleRefs(httplib::Response& res, const Repo& repo, const QueryParams& query);

// The history of `revision`, newest first: `limit` (default 50) per page,
// page `p` (0-based), X-Total-Count, Link rel="next" with p+1;
// expand[]=formatted adds {"formatted": {title, message}}.
void HandleCommits(const ServerState& state, httplib::Response& res, const Repo& repo,
                   const std::string& revision, const RawTarget& raw, const QueryParams& query);

}  // namespace fakehub
