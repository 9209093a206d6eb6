// Error replies and access checks shaped like huggingface.co's: a status,
// X-Error-Code / X-Error-Message headers and a {"error": ...} JSON body.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

// {"error": message} with `status`, no X-Error-* headers (malformed requests).
void SetJsonError(httplib::Response& res, int status, std::string_view message);
// `status` with X-Error-Code: code, X-Error-Message: message, JSON body.
void SetHubError(httplib::Response& res, int status, std::string_view code,
                 std::string_view message);

// Unknown repository: 401 without an Authorization header, 404 with one.
void SetRepoNotFound(const httplib::Request& req, httplib::Response& res);
void SetRevisionNotFound(httplib::Response& res, std::string_view revision);
// 404 EntryNotFound; `commit` (if not empty) goes into X-Repo-Commit.
void SetEntryNotFound(httplib::Response& res, std::string_view commit);

// The token of an "Authorization: Bearer <token>" header, or "".
std::string BearerToken(const httplib::Request& req);

// For a gated repo without the right token: answers 401 GatedRepo and
// returns false. Otherwise returns true and leaves `res` alone.
bool CheckGatedAccess(const httplib::Request& req, httplib::Response& res, const Repo& repo,
                      std::string_view gated_token);

}  // namespace fakehub
