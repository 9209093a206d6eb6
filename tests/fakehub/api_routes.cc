#include "tests/fakehub/api_routes.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/fakehub/control_routes.h"
#include "tests/fakehub/hub_errors.h"
#include "tests/fakehub/hub_json.h"
#include "tests/fakehub/listing_routes.h"
#include "tests/fakehub/pagination.h"
#include "tests/fakehub/repo_target.h"
#include "tests/fakehub/resolve_route.h"
#include "tests/fakehub/url.h"
#include "tests/fakehub/xet_routes.h"

namespace fakehub {
namespace {

using nlohmann::json;

constexpr char kJsonType[] = "application/json; charset=utf-8";

void SetJson(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(body.dump(), kJsonType);
}

bool IsGetOrHead(const httplib::Request& req) {
  return req.method == "GET" || req.method == "HEAD";
}

void HandleRepoInfo(httplib::Response& res, const Repo& repo, const std::string& revision,
                    const QueryParams& query) {
  const Commit* commit = repo.Resolve(revision);
  if (commit == nullptr) return SetRevisionNotFound(res, revision);
  bool blobs = ParseBool(ParamValue(query, "blobs").value_or("false"));
  SetJson(res, RepoInfoJson(repo, *commit, blobs, ParamValues(query, "expand")));
}

void HandleTree(const ServerState& state, httplib::Response& res, const Repo& repo,
                const RepoRequest& request, const RawTarget& raw, const QueryParams& query) {
  RevisionAndPath target = SplitRevision(repo, request.args);
  if (target.revision.empty()) return SetJsonError(res, 400, "Missing revision");
  const Commit* commit = repo.Resolve(target.revision);
  if (commit == nullptr) return SetRevisionNotFound(res, target.revision);
  bool recursive = ParseBool(ParamValue(query, "recursive").value_or("false"));
  bool expand = ParseBool(ParamValue(query, "expand").value_or("false"));
  std::optional<std::vector<TreeEntry>> entries = commit->List(target.path, recursive);
  if (!entries) return SetEntryNotFound(res, commit->id());

  size_t offset = 0;
  if (std::optional<std::string> cursor = ParamValue(query, "cursor")) {
    std::optional<size_t> decoded = DecodeCursor(*cursor);
    if (!decoded || *decoded > entries->size()) return SetJsonError(res, 400, "Invalid cursor");
    offset = *decoded;
  }
  size_t end = std::min(entries->size(), offset + state.options().page_size);
  json page = json::array();
  for (size_t i = offset; i < end; ++i)
    page.push_back(TreeEntryJson((*entries)[i], *commit, expand));
  LinkNextCursor(state, raw, end, entries->size(), res);
  SetJson(res, page);
}

// Reads {"paths": [...], "expand": bool} or paths=a&paths=b&expand=...
bool ParsePathsInfoBody(const httplib::Request& req, std::vector<std::string>* paths,
                        bool* expand) {
  bool is_json =
      req.get_header_value("Content-Type").find("application/json") != std::string::npos ||
      (!req.body.empty() && req.body.front() == '{');
  if (is_json) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object() || !body.contains("paths") ||
        !body["paths"].is_array()) {
      return false;
    }
    for (const json& path : body["paths"]) {
      if (!path.is_string()) return false;
      paths->push_back(path.get<std::string>());
    }
    const json& value = body.value("expand", json(false));
    *expand = value.is_boolean() ? value.get<bool>()
                                 : value.is_string() && ParseBool(value.get<std::string>());
    return true;
  }
  std::optional<QueryParams> form = ParseQuery(req.body);
  if (!form) return false;
  *paths = ParamValues(*form, "paths");
  *expand = ParseBool(ParamValue(*form, "expand").value_or("false"));
  return !paths->empty();
}

void HandlePathsInfo(const httplib::Request& req, httplib::Response& res, const Repo& repo,
                     const RepoRequest& request) {
  std::string revision = JoinSegments(request.args, 0, request.args.size());
  if (revision.empty()) return SetJsonError(res, 400, "Missing revision");
  const Commit* commit = repo.Resolve(revision);
  if (commit == nullptr) return SetRevisionNotFound(res, revision);
  std::vector<std::string> paths;
  bool expand = false;
  if (!ParsePathsInfoBody(req, &paths, &expand)) {
    return SetJsonError(res, 400, "Expected paths as form fields or a JSON {\"paths\": [...]}");
  }
  json entries = json::array();
  std::set<std::string> seen;
  for (const std::string& path : paths) {
    std::optional<TreeEntry> entry = commit->Lookup(path);
    if (entry && seen.insert(entry->path).second) {
      entries.push_back(TreeEntryJson(*entry, *commit, expand));
    }
  }
  SetJson(res, entries);
}

void HandleWhoami(const httplib::Request& req, httplib::Response& res) {
  if (BearerToken(req).empty()) {
    return SetJsonError(res, 401, "Invalid credentials in Authorization header");
  }
  SetJson(res, {{"name", "fake-user"},
                {"type", "user"},
                {"orgs", json::array()},
                {"auth",
                 {{"type", "access_token"},
                  {"accessToken",
                   {{"displayName", "fake"},
                    {"role", "read"},
                    {"createdAt", "2024-01-02T03:04:05.000Z"}}}}}});
}

void HandleApi(ServerState& state, const httplib::Request& req, httplib::Response& res,
               const RawTarget& raw, const std::vector<std::string>& segments,
               const QueryParams& query) {
  if (segments.size() == 1 && segments[0] == "whoami-v2") {
    if (!IsGetOrHead(req)) return SetJsonError(res, 405, "Method not allowed");
    return HandleWhoami(req, res);
  }
  for (RepoType type : {RepoType::kModel, RepoType::kDataset, RepoType::kSpace}) {
    if (segments.size() == 1 && segments[0] == RepoTypePlural(type)) {
      if (!IsGetOrHead(req)) return SetJsonError(res, 405, "Method not allowed");
      return HandleRepoList(state, res, type, raw, query);
    }
  }
  std::optional<RepoRequest> request = ParseApiRepoRequest(state.hub(), segments);
  if (!request) return SetJsonError(res, 404, "Not Found");
  const Repo* repo = state.hub().FindRepo(request->type, request->repo_id);
  if (repo == nullptr) return SetRepoNotFound(req, res);
  if (!CheckGatedAccess(req, res, *repo, state.options().gated_token)) return;

  bool is_post = req.method == "POST";
  if (request->action == "paths-info") {
    if (!is_post) return SetJsonError(res, 405, "Method not allowed");
    return HandlePathsInfo(req, res, *repo, *request);
  }
  if (!IsGetOrHead(req)) return SetJsonError(res, 405, "Method not allowed");
  if (request->action.empty()) return HandleRepoInfo(res, *repo, "HEAD", query);
  if (request->action == "revision" && !request->args.empty()) {
    return HandleRepoInfo(res, *repo, JoinSegments(request->args, 0, request->args.size()), query);
  }
  if (request->action == "tree") return HandleTree(state, res, *repo, *request, raw, query);
  if (request->action == "xet-read-token" && !request->args.empty()) {
    return HandleXetReadToken(state, req, res, *repo,
                              JoinSegments(request->args, 0, request->args.size()));
  }
  if (request->action == "refs" && request->args.empty()) return HandleRefs(res, *repo, query);
  if (request->action == "commits" && !request->args.empty()) {
    return HandleCommits(state, res, *repo, JoinSegments(request->args, 0, request->args.size()),
                         raw, query);
  }
  SetJsonError(res, 404, "Not Found");
}

}  // namespace

void ServeApiHost(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  RawTarget raw = SplitTarget(req.target);
  std::optional<std::vector<std::string>> segments = DecodePathSegments(raw.path);
  std::optional<QueryParams> query = ParseQuery(raw.query);
  if (!segments || !query) return SetJsonError(res, 400, "Malformed percent-encoding in URL");

  if (!segments->empty() && (*segments)[0] == "_fake") {
    return HandleControl(state, req, res, *segments, *query);
  }
  if (!segments->empty() && (*segments)[0] == "api") {
    std::vector<std::string> rest(segments->begin() + 1, segments->end());
    return HandleApi(state, req, res, raw, rest, *query);
  }
  if (std::optional<RepoRequest> request = ParseResolveRequest(state.hub(), *segments)) {
    if (!IsGetOrHead(req)) return SetJsonError(res, 405, "Method not allowed");
    return HandleResolve(state, req, res, *request);
  }
  SetJsonError(res, 404, "Not Found");
}

}  // namespace fakehub
