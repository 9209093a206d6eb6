// The fake hub's Xet service, as the Hub splits it:
//   API host  GET /api/{type}s/{id}/xet-read-token/{rev}: a read token for
//             the CAS (JSON {casUrl, accessToken, exp} and X-Xet-* headers);
//             gated repos need the gated token, like every API call.
//   CDN host  GET /cas/v1|v2/reconstructions/{hash} (Bearer read token,
//             Range), and GET /xorbs/{hash}?range=S-E&expires=..&sig=..: the
//             presigned xorb byte ranges a reconstruction hands out; like S3
//             they refuse an Authorization header (400) and expired or
//             forged signatures (403).
// Faults (FaultPlan): xet-down, xet-expired-url, xet-truncated,
// xet-corrupt-chunk.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "tests/fakehub/server_state.h"
#include "tests/fakehub/url.h"

namespace fakehub {

void HandleXetReadToken(ServerState& state, const httplib::Request& req, httplib::Response& res,
                        const Repo& repo, const std::string& revision);
// `segments` starts with "cas" or "xorbs".
void ServeXetCas(ServerState& state, const httplib::Request& req, httplib::Response& res,
                 const std::vector<std::string>& segments, const QueryParams& query);

}  // namespace fakehub
