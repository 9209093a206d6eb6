#include "server/ui/web_ui.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>

#include "server/error_response.h"
#include "server/ui/html.h"
#include "server/ui/web_ui_pages.h"

namespace hubmirror {
namespace {

// Bounds on the work one page view does.
constexpr size_t kMaxReposListed = 5000;
constexpr size_t kMaxFileRows = 2000;
// Commits of a published repo's history shown on its page.
constexpr size_t kMaxHistoryRows = 10;
constexpr size_t kMaxFilterLength = 256;

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

std::string QueryValue(const HubRoute& route, const std::string& key) {
  auto it = route.query.find(key);
  return it == route.query.end() ? "" : it->second;
}

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// "models/org/name", "datasets/org/name" or "spaces/org/name" (the rest of
// /ui/repo/).
Result<RepoKey> ParseRepoPath(std::string_view rest) {
  RepoKey repo;
  const size_t before = rest.size();
  repo.type = TakeRepoTypePrefix(&rest);
  if (rest.size() == before) return Status::NotFound("no such page");
  HM_RETURN_IF_ERROR(ValidateRepoId(rest));
  repo.id = std::string(rest);
  return repo;
}

}  // namespace

struct WebUi::RepoState {
  std::vector<NamedRef> refs;
  std::string default_ref;     // "main", else "HEAD", else the first ref; "" if none
  std::string default_commit;  // its commit
};

WebUi::WebUi(const ServerOptions& options, Env* env, Index* index, RepoCatalog* catalog,
             const AccessPolicy* access, WebUiSources sources)
    : options_(options),
      env_(env),
      index_(index),
      catalog_(catalog),
      access_(access),
      sources_(std::move(sources)) {}

void WebUi::Handle(const HubRoute& route, const Caller& caller, const HttpRequest& req,
                   HttpResponse& res) const {
  Page page = Render(route, caller, BaseUrl(req));
  res.status = page.status;
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  if (page.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"hubmirror\"");
  res.set_content(std::move(page.html), "text/html; charset=utf-8");
}

std::string WebUi::BaseUrl(const HttpRequest& req) const {
  if (!options_.public_url.empty()) {
    std::string url = options_.public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  const std::string host = req.get_header_value("Host");
  if (IsPlausibleHost(host)) return "http://" + host;
  const bool v6 = req.local_addr.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + req.local_addr + "]" : req.local_addr) + ":" +
         std::to_string(req.local_port);
}

WebUi::Page WebUi::Render(const HubRoute& route, const Caller& caller,
                          const std::string& base_url) const {
  if (caller.anonymous() && !options_.access.anonymous) {
    return Error(401, "This mirror does not allow anonymous access: send an access token "
                      "(Authorization: Bearer TOKEN).");
  }
  const std::string& path = route.path;
  if (path.empty()) return Home(caller, base_url);
  if (path == "storage") return Storage(caller);
  if (path == "sync") return Sync();
  if (path.starts_with("repo/")) return Repo(route, caller, base_url);
  return Error(404, "There is no such page.");
}

WebUi::Page WebUi::Error(int status, const std::string& message) const {
  return Page{status, RenderErrorPage(status, message)};
}

WebUi::Page WebUi::Denied(const Caller& caller, const Status& status) const {
  const int http = HttpStatusFor(status, !caller.anonymous());
  // Like the Hub, a missing repo is 401 to anonymous callers too, so the
  // answer does not tell whether a restricted repo is mirrored.
  if (http == 401) {
    return Error(401, "This repository is not stored here, or it is restricted: sign in with an "
                      "access token allowed to read it.");
  }
  if (http == 403) return Error(403, "Your access token may not read this repository.");
  return Error(404, "This repository is not stored on this mirror.");
}

Result<WebUi::RepoState> WebUi::LoadRepoState(const RepoKey& repo) const {
  RepoState state;
  HM_ASSIGN_OR_RETURN(state.refs, index_->ListRefs(repo));
  const NamedRef* chosen = nullptr;
  for (const char* preferred : {"main", "HEAD"}) {
    for (const NamedRef& ref : state.refs) {
      if (chosen == nullptr && ref.name == preferred) chosen = &ref;
    }
  }
  if (chosen == nullptr && !state.refs.empty()) chosen = &state.refs.front();
  if (chosen != nullptr) {
    state.default_ref = chosen->name;
    state.default_commit = chosen->record.commit;
  }
  return state;
}

bool WebUi::RestrictedLocally(const RepoKey& repo, const std::string& commit) const {
  if (commit.empty()) return true;
  Result<std::optional<CommitRecord>> record = index_->GetCommit(repo, commit);
  // Without stored repo info the catalog would ask the upstream; the UI never does.
  if (!record.ok() || !record->has_value() || (*record)->info_json.empty()) return true;
  Result<bool> restricted = catalog_->IsRestricted(repo, commit);
  return !restricted.ok() || *restricted;
}

WebUi::Page WebUi::Home(const Caller& caller, const std::string& base_url) const {
  Result<std::vector<RepoKey>> repos = index_->ListRepos();
  if (!repos.ok()) return Error(500, "Cannot read the index: " + repos.status().message());
  Result<std::vector<ObjectRecord>> objects = index_->ListObjects();
  if (!objects.ok()) return Error(500, "Cannot read the index: " + objects.status().message());
  std::unordered_map<std::string, uint64_t> object_sizes;
  for (const ObjectRecord& o : *objects) object_sizes.emplace(o.sha256, o.size);

  std::set<std::string> published;
  if (Result<std::vector<HostedRepoRecord>> hosted = index_->ListHostedRepos(); hosted.ok()) {
    for (const HostedRepoRecord& h : *hosted) published.insert(h.repo.ToString());
  }

  HomeView view;
  view.base_url = base_url;
  view.offline = options_.offline;
  view.now_micros = env_->NowMicros();
  for (const RepoKey& repo : *repos) {
    if (view.repos.size() >= kMaxReposListed) {
      view.truncated = true;
      break;
    }
    Result<RepoState> state = LoadRepoState(repo);
    if (!state.ok()) continue;
    const bool restricted = RestrictedLocally(repo, state->default_commit);
    if (!access_->Authorize(caller, repo, restricted).ok()) continue;
    RepoListRow row;
    row.repo = repo;
    row.refs = state->refs.size();
    row.restricted = restricted;
    row.published = published.count(repo.ToString()) != 0;
    if (Result<std::vector<RepoFileObject>> files = index_->ListRepoFileObjects(repo); files.ok()) {
      std::set<std::string> seen;
      for (const RepoFileObject& f : *files) {
        auto stored = object_sizes.find(f.sha256);
        if (f.sha256.empty() || stored == object_sizes.end() || !seen.insert(f.sha256).second) {
          continue;
        }
        ++row.files;
        row.stored_bytes += stored->second;
      }
    }
    if (sources_.last_access_micros) row.last_access_micros = sources_.last_access_micros(repo);
    view.repos.push_back(std::move(row));
  }
  return Page{200, RenderHomePage(view)};
}

WebUi::Page WebUi::Repo(const HubRoute& route, const Caller& caller,
                        const std::string& base_url) const {
  Result<RepoKey> repo = ParseRepoPath(std::string_view(route.path).substr(5));
  if (!repo.ok()) return Error(404, "There is no such repository page.");
  Result<RepoState> state = LoadRepoState(*repo);
  if (!state.ok()) return Error(500, "Cannot read the index: " + state.status().message());

  RepoPageView view;
  view.repo = *repo;
  view.base_url = base_url;
  view.refs = state->refs;
  view.now_micros = env_->NowMicros();
  view.revision = QueryValue(route, "rev");
  if (view.revision.empty()) {
    view.revision = state->default_ref;
    view.commit = state->default_commit;
  } else if (!ValidateRevision(view.revision).ok()) {
    return Error(400, "That is not a valid revision.");
  } else {
    for (const NamedRef& ref : state->refs) {
      if (ref.name == view.revision) view.commit = ref.record.commit;
    }
    if (view.commit.empty() && IsCommitSha(view.revision)) {
      Result<std::optional<CommitRecord>> known = index_->GetCommit(*repo, view.revision);
      if (known.ok() && known->has_value()) view.commit = view.revision;
    }
  }
  // Access is checked before saying anything about the revision.
  const std::string& check_commit = view.commit.empty() ? state->default_commit : view.commit;
  view.restricted = RestrictedLocally(*repo, check_commit);
  if (Status allowed = access_->Authorize(caller, *repo, view.restricted); !allowed.ok()) {
    return Denied(caller, allowed);
  }
  if (view.commit.empty()) {
    return Error(404, state->refs.empty() ? "This repository is not stored on this mirror."
                                          : "That revision is not stored on this mirror.");
  }

  Result<std::optional<CommitRecord>> record = index_->GetCommit(*repo, view.commit);
  if (record.ok() && record->has_value()) {
    view.tree_complete = (*record)->tree_complete;
    nlohmann::json info = nlohmann::json::parse((*record)->info_json, nullptr, false);
    if (info.is_object() && info.contains("lastModified") && info["lastModified"].is_string()) {
      view.last_modified = info["lastModified"].get<std::string>();
    }
  }
  if (sources_.last_access_micros) view.last_access_micros = sources_.last_access_micros(*repo);
  if (Result<std::optional<HostedRepoRecord>> hosted = index_->GetHostedRepo(*repo);
      hosted.ok() && hosted->has_value()) {
    view.published = true;
    view.created_by = (*hosted)->created_by;
    std::string at = view.commit;
    for (size_t i = 0; i < kMaxHistoryRows && !at.empty(); ++i) {
      Result<std::optional<HostedCommitRecord>> c = index_->GetHostedCommit(*repo, at);
      if (!c.ok() || !c->has_value()) break;
      view.history.push_back(**c);
      at = (*c)->parent;
    }
  }

  view.query = QueryValue(route, "q");
  if (view.query.size() > kMaxFilterLength) view.query.resize(kMaxFilterLength);
  Result<std::vector<EntryRecord>> entries =
      index_->ListEntries(*repo, view.commit, "", /*recursive=*/true);
  if (!entries.ok()) return Error(500, "Cannot read the index: " + entries.status().message());
  for (const EntryRecord& e : *entries) {
    if (e.is_directory) continue;
    ++view.files_total;
    if (!view.query.empty() && !ContainsIgnoringCase(e.path, view.query)) continue;
    ++view.files_matching;
    if (view.files.size() >= kMaxFileRows) continue;
    FileRow row;
    row.path = e.path;
    row.size = e.size;
    row.is_lfs = e.is_lfs;
    row.git_oid = e.oid;
    if (e.is_lfs) {
      row.sha256 = e.lfs_sha256;
      Result<std::optional<ObjectRecord>> object = index_->GetObject(e.lfs_sha256);
      row.stored = object.ok() && object->has_value();
    } else {
      Result<std::optional<ObjectRecord>> object = index_->FindObjectByGitSha1(e.oid);
      if (object.ok() && object->has_value()) {
        row.sha256 = (*object)->sha256;
        row.stored = true;
      }
    }
    view.files.push_back(std::move(row));
  }
  return Page{200, RenderRepoPage(view)};
}

WebUi::Page WebUi::Storage(const Caller& caller) const {
  StorageView view;
  if (sources_.hit_ratio) view.hit_ratio = sources_.hit_ratio();
  if (sources_.storage_usage) {
    Result<StorageUsage> usage = sources_.storage_usage();
    if (usage.ok()) {
      StorageUsage visible = std::move(usage).value();
      std::erase_if(visible.repos, [&](const RepoUsage& r) {
        Result<RepoState> state = LoadRepoState(r.repo);
        if (!state.ok()) return true;
        return !access_->Authorize(caller, r.repo, RestrictedLocally(r.repo, state->default_commit))
                    .ok();
      });
      view.usage = std::move(visible);
    } else {
      view.usage_error = usage.status().message();
    }
  }
  return Page{200, RenderStoragePage(view)};
}

WebUi::Page WebUi::Sync() const {
  SyncView view;
  view.options = &options_.sync;
  view.offline = options_.offline;
  view.now_micros = env_->NowMicros();
  if (sources_.sync_status) view.status = sources_.sync_status();
  return Page{200, RenderSyncPage(view)};
}

}  // namespace hubmirror
