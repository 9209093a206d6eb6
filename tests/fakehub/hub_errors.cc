#include "tests/fakehub/hub_errors.h"

#include <nlohmann/json.hpp>

namespace fakehub {

void SetJsonError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json; charset=utf-8");
}

void SetHubError(httplib::Response& res, int status, std::string_view code,
                 std::string_view message) {
  res.set_header("X-Error-Code", std::string(code));
  res.set_header("X-Error-Message", std::string(message));
  SetJsonError(res, status, message);
}

void SetRepoNotFound(const httplib::Request& req, httplib::Response& res) {
  SetHubError(res, req.has_header("Authorization") ? 404 : 401, "RepoNotFound",
              "Repository not found");
}

void SetRevisionNotFound(httplib::Response& res, std::string_view revision) {
  SetHubError(res, 404, "RevisionNotFound", "Invalid rev id: " + std::string(revision));
}

void SetEntryNotFound(httplib::Response& res, std::string_view commit) {
  if (!commit.empty()) res.set_header("X-Repo-Commit", std::string(commit));
  SetHubError(res, 404, "EntryNotFound", "Entry not found");
}

std::string BearerToken(const httplib::Request& req) {
  constexpr std::string_view kPrefix = "Bearer ";
  std::string header = req.get_header_value("Authorization");
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) {
    return "";
  }
  return header.substr(kPrefix.size());
}

bool CheckGatedAccess(const httplib::Request& req, httplib::Response& res, const Repo& repo,
                      std::string_view gated_token) {
  if (!repo.gated() || BearerToken(req) == gated_token) return true;
  SetHubError(res, 401, "GatedRepo",
              "Access to " + std::string(RepoTypeName(repo.type())) + " " + repo.id() +
                  " is restricted. You must have access to it and be authenticated to access "
                  "it. Please log in.");
  return false;
}

}  // namespace fakehub
