// HubRoute: a request target of the Hugging Face Hub API, parsed and validated.
//
// ParseHubRoute works on the raw request target (before any decoding), because
// the meaning of "/" depends on where it is: a revision arrives either
// percent-encoded ("refs%2Fpr%2F1") or raw ("refs/pr/1"), while a repo id is
// never encoded. Every component is percent-decoded exactly once and then
// checked by the validators in store/repo_key.h, so a HubRoute that parsed
// is safe to use as an index key or in an upstream URL.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

enum class RouteKind {
  kStatus,     // GET /api/status: a JSON status document
  kRepoInfo,   // GET /api/{type}s/{id}[/revision/{rev}]
  kTree,       // GET /api/{type}s/{id}/tree/{rev}[/{path}]
  kPathsInfo,  // POST /api/{type}s/{id}/paths-info/{rev}
  kResolve,    // GET|HEAD /[datasets/]{id}/resolve/{rev}/{path}
  kAdminStorage,  // GET /api/admin/storage
  kUi,         // GET / and /ui/...: the web UI; `path` is the decoded rest after "/ui/"
  kMetrics,    // GET /metrics (Prometheus text format)
  kHealthz,    // GET /healthz: the process is alive
  kReadyz,     // GET /readyz: the store and index can serve
  kWhoAmI,     // GET /api/whoami-v2: who the presented token is on this mirror
  kRefs,       // GET /api/{type}s/{id}/refs: branches, tags, converts (and PRs)
  kCommits,    // GET /api/{type}s/{id}/commits/{rev}: the history, paginated
  kRepoList,   // GET /api/{models,datasets,spaces}: listing; `repo.type` says which
  // Xet (../shared/xet-protocol.md (e)); the CAS routes live under /xet.
  kXetReadToken,       // GET /api/{type}s/{id}/xet-read-token/{rev}
  kXetReconstruction,  // GET /xet/v{1,2}/reconstructions/{hash}: `path` = hash, `api_version`
  kXetXorb,            // GET /xet/xorbs/{hash}?range=..&exp=..&sig=..: `path` = hash
};

struct HubRoute {
  RouteKind kind = RouteKind::kStatus;
  RepoKey repo;
  // Decoded. For kRepoInfo without /revision/ this is "HEAD" (the default branch).
  std::string revision;
  // Decoded; the file for kResolve, the folder ("" = root) for kTree.
  std::string path;
  // Decoded query parameters; a key may repeat (expand=a&expand=b). A key
  // sent in array form ("expand[]=a", as some clients do) is stored without
  // the "[]".
  std::multimap<std::string, std::string> query;
  // kXetReconstruction: 1 or 2.
  int api_version = 0;

  // All values of a query parameter, in order.
  std::vector<std::string> QueryValues(const std::string& key) const;
  // A boolean query parameter: true/True/TRUE/1 are true; absent is `fallback`.
  bool QueryBool(const std::string& key, bool fallback = false) const;
};

// Whether routes of this kind name a repo (and so carry a validated id,
// revision and path); the others are fixed paths with only a query (kRefs
// carries an id but no revision).
bool RouteHasRepo(RouteKind kind);

// Parses `target` (path and query, as received). NotFound for a target that is
// no Hub route; InvalidArgument (-> 400) for a Hub route with a bad component.
Result<HubRoute> ParseHubRoute(std::string_view method, std::string_view target);

// Percent-decoding. With `plus_is_space` for form/query values. Fails on a
// malformed escape ("%zz", "%4").
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// Parses "a=1&b=2&b=3" (decoded keys and values).
Result<std::multimap<std::string, std::string>> ParseQueryString(std::string_view query);

}  // namespace hubmirror
