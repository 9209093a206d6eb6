// HubServer's metadata answers: status, whoami, repo info, tree,
// paths-info, the cached API documents (refs, commits, listings) and the
// storage figures. Routing, downloads and the rest: hub_server.cc.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "server/catalog/json_views.h"
#include "server/error_response.h"
#include "server/hub_server.h"
#include "server/paths_info_request.h"
#include "server/url_text.h"

namespace hubmirror {
namespace {

using nlohmann::json;

bool HasToken(const HttpRequest& req) { return req.has_header("Authorization"); }

}  // namespace

void HubServer::HandleStatus(HttpResponse& res) {
  json status = {{"service", "hubmirror"},
                 {"version", HUBMIRROR_VERSION},
                 {"offline", options_.offline},
                 {"upstream", options_.offline ? "" : options_.upstreams.front().endpoint}};
  Result<std::pair<uint64_t, uint64_t>> totals = index_->ObjectTotals();
  if (totals.ok()) {
    // Distinct contents and their size; what they occupy on disk after
    // chunk-level dedup and compression is at /api/admin/storage.
    status["objects"] = totals->first;
    status["unique_object_bytes"] = totals->second;
  }
  res.set_content(status.dump(2) + "\n", "application/json");
}

void HubServer::HandleWhoAmI(const Caller& caller, const HttpRequest& req,
                             HttpResponse& res) {
  // `hf auth login` and whoAmI() validate a token here. The mirror answers for
  // its own tokens (an unknown one was refused with 401 before this point)
  // and never asks the upstream: it must not learn who is asking.
  if (!HasToken(req)) {
    return WriteError(
        Status::Unauthenticated("whoami needs a token (Authorization: Bearer <token>)"), false,
        &res);
  }
  res.set_content(WhoAmIJson(caller.name, started_at_).dump(), "application/json");
}

void HubServer::HandleRepoInfo(const HubRoute& route, const Caller& caller,
                           const HttpRequest& req, HttpResponse& res) {
  Result<Resolution> resolved = ResolveAuthorized(route, caller);
  if (!resolved.ok()) return WriteError(resolved.status(), HasToken(req), &res);
  Result<std::string> info = catalog_->RepoInfoJson(route.repo, resolved->commit);
  if (!info.ok()) return WriteError(info.status(), HasToken(req), &res);
  Result<std::string> view = RepoInfoView(*info, route);
  if (!view.ok()) return WriteError(view.status(), HasToken(req), &res);
  if (resolved->stale) res.set_header("X-Hubmirror-Stale", "1");
  res.set_content(*view, "application/json");
}

void HubServer::HandleTree(const HubRoute& route, const Caller& caller,
                           const HttpRequest& req, HttpResponse& res) {
  Result<Resolution> resolved = ResolveAuthorized(route, caller);
  if (!resolved.ok()) return WriteError(resolved.status(), HasToken(req), &res);
  const bool recursive = route.QueryBool("recursive");
  const bool expand = route.QueryBool("expand");
  Result<std::vector<EntryRecord>> entries =
      catalog_->ListTree(route.repo, resolved->commit, route.path, recursive);
  if (!entries.ok()) return WriteError(entries.status(), HasToken(req), &res);

  // The cursor is the index of the first entry of the page: listings of a
  // commit never change, so an offset is stable.
  size_t offset = 0;
  auto cursor = route.query.find("cursor");
  if (cursor != route.query.end()) {
    const std::string& c = cursor->second;
    auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), offset);
    if (ec != std::errc() || ptr != c.data() + c.size() || offset > entries->size()) {
      return WriteError(Status::InvalidArgument("invalid cursor"), HasToken(req), &res);
    }
  }
  const size_t page_size = static_cast<size_t>(std::max(1, options_.tree_page_size));
  const size_t end = std::min(entries->size(), offset + page_size);
  std::vector<EntryRecord> page(entries->begin() + offset, entries->begin() + end);
  if (expand) catalog_->FillLastCommits(route.repo, resolved->commit, &page);

  if (end < entries->size()) {
    // Later pages name the commit, not the branch: a branch that moves
    // between two pages must not splice two listings together.
    std::string next = PublicBaseUrl(req) + "/api/" + RepoTypePlural(route.repo.type) + "/" +
                       route.repo.id + "/tree/" + resolved->commit;
    if (!route.path.empty()) next += "/" + UrlEncode(route.path, true);
    next += "?recursive=" + std::string(recursive ? "true" : "false") +
            "&expand=" + std::string(expand ? "true" : "false") + "&cursor=" + std::to_string(end);
    res.set_header("Link", "<" + next + ">; rel=\"next\"");
  }
  if (resolved->stale) res.set_header("X-Hubmirror-Stale", "1");
  json listed = EntriesToJson(page, expand);
  AddXetHashes(route.repo, resolved->commit, page, &listed);
  res.set_content(listed.dump(), "application/json");
}

void HubServer::HandlePathsInfo(const HubRoute& route, const Caller& caller,
                           const HttpRequest& req, HttpResponse& res) {
  std::vector<std::string> paths;
  bool expand = false;
  Status parsed = ParsePathsInfoBody(req, &paths, &expand);
  if (!parsed.ok()) return WriteError(parsed, HasToken(req), &res);
  Result<Resolution> resolved = ResolveAuthorized(route, caller);
  if (!resolved.ok()) return WriteError(resolved.status(), HasToken(req), &res);
  Result<std::vector<EntryRecord>> entries =
      catalog_->LookupEntries(route.repo, resolved->commit, paths);
  if (!entries.ok()) return WriteError(entries.status(), HasToken(req), &res);
  if (expand) catalog_->FillLastCommits(route.repo, resolved->commit, &*entries);
  if (resolved->stale) res.set_header("X-Hubmirror-Stale", "1");
  json listed = EntriesToJson(*entries, expand);
  AddXetHashes(route.repo, resolved->commit, *entries, &listed);
  res.set_content(listed.dump(), "application/json");
}

void HubServer::HandleApiDocument(const HubRoute& route, const Caller& caller,
                                  const HttpRequest& req, HttpResponse& res) {
  if (documents_ == nullptr) {
    return WriteError(Status::NotFound("no such API route on this server"), HasToken(req), &res);
  }
  Result<ApiAnswer> answer = route.kind == RouteKind::kRefs      ? documents_->Refs(route, caller)
                             : route.kind == RouteKind::kCommits ? documents_->Commits(route, caller)
                                                                 : documents_->RepoList(route, caller);
  if (!answer.ok()) return WriteError(answer.status(), HasToken(req), &res);
  if (!answer->next.empty()) {
    res.set_header("Link", "<" + PublicBaseUrl(req) + answer->next + ">; rel=\"next\"");
  }
  if (answer->total_count >= 0) {
    res.set_header("X-Total-Count", std::to_string(answer->total_count));
  }
  if (answer->stale) res.set_header("X-Hubmirror-Stale", "1");
  res.set_content(answer->body, "application/json");
}

void HubServer::HandleAdminStorage(const Caller& caller, const HttpRequest& req,
                                   HttpResponse& res) {
  // The figures name every stored repo, gated ones included: with tokens
  // configured, only a token that may read everything ("*") sees them.
  const bool tokens_configured = !options_.access.tokens.empty();
  const bool allowed =
      !tokens_configured ||
      (!caller.anonymous() &&
       std::find(caller.token->repos.begin(), caller.token->repos.end(), "*") !=
           caller.token->repos.end());
  if (!allowed) {
    return WriteError(Status::PermissionDenied("storage figures need a token allowed \"*\""),
                      HasToken(req), &res);
  }
  if (!storage_report_) {
    return WriteError(Status::NotFound("no storage report on this server"), HasToken(req), &res);
  }
  Result<std::string> report = storage_report_();
  if (!report.ok()) return WriteError(report.status(), HasToken(req), &res);
  res.set_content(*report, "application/json");
}

}  // namespace hubmirror
