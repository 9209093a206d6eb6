#include "server/paths_info_request.h"

#include <nlohmann/json.hpp>

#include "server/hub_route.h"
#include "store/repo_key.h"

namespace hubmirror {

using nlohmann::json;

Status ParsePathsInfoBody(const HttpRequest& req, std::vector<std::string>* paths,
                          bool* expand) {
  const std::string content_type = req.get_header_value("Content-Type");
  if (content_type.find("application/json") != std::string::npos) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("paths") ||
        !body["paths"].is_array()) {
      return Status::InvalidArgument("paths-info body must be {\"paths\": [...]}");
    }
    for (const json& p : body["paths"]) {
      if (!p.is_string()) return Status::InvalidArgument("paths-info: every path must be a string");
      paths->push_back(p.get<std::string>());
    }
    if (body.contains("expand")) {
      if (!body["expand"].is_boolean()) return Status::InvalidArgument("expand must be a boolean");
      *expand = body["expand"].get<bool>();
    }
  } else {
    HM_ASSIGN_OR_RETURN(auto form, ParseQueryString(req.body));
    HubRoute holder;
    holder.query = std::move(form);
    *paths = holder.QueryValues("paths");
    *expand = holder.QueryBool("expand");
  }
  if (paths->size() > kMaxPathsPerRequest) {
    return Status::InvalidArgument("paths-info: at most " + std::to_string(kMaxPathsPerRequest) +
                                   " paths per request");
  }
  for (std::string& p : *paths) {
    // Clients send the root folder as "" or "/"-suffixed folder names.
    while (!p.empty() && p.back() == '/') p.pop_back();
    HM_RETURN_IF_ERROR(ValidateRepoPath(p));
  }
  return Status::Ok();
}

}  // namespace hubmirror
