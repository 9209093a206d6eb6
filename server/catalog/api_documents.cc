#include "server/catalog/api_documents.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "fetcher/hub_json.h"
#include "server/catalog/json_views.h"
#include "server/catalog/offline_documents.h"
#include "server/url_text.h"
#include "store/human_format.h"

namespace hubmirror {
namespace {

using nlohmann::json;
using Query = std::multimap<std::string, std::string>;

// "a=1&b=2" from decoded parameters, in key order (so that equal requests
// make equal cache keys), without the keys in `drop`.
std::string EncodeQuery(const Query& query, std::initializer_list<const char*> drop = {}) {
  std::string out;
  for (const auto& [key, value] : query) {
    if (std::find_if(drop.begin(), drop.end(), [&](const char* d) { return key == d; }) !=
        drop.end()) {
      continue;
    }
    if (!out.empty()) out += "&";
    out += UrlEncode(key, false) + "=" + UrlEncode(value, false);
  }
  return out;
}

std::string WithQuery(std::string path, const std::string& query) {
  return query.empty() ? path : path + "?" + query;
}

std::string RepoApiPath(const RepoKey& repo) {
  return "/api/" + std::string(RepoTypePlural(repo.type)) + "/" + repo.id;
}

// Listing entries lose the Xet signals, exactly as repo info does.
void StripXet(json* item) {
  if (!item->is_object()) return;
  item->erase("xetEnabled");
  if (auto siblings = item->find("siblings"); siblings != item->end() && siblings->is_array()) {
    for (json& s : *siblings) {
      if (s.is_object()) s.erase("xetHash");
    }
  }
}

}  // namespace

ApiDocuments::ApiDocuments(const ServerOptions& options, Env* env, Index* index,
                           ApiDocumentCache* cache, RepoCatalog* catalog,
                           const AccessPolicy* access)
    : options_(options),
      env_(env),
      index_(index),
      cache_(cache),
      catalog_(catalog),
      access_(access) {}

Result<CachedDocument> ApiDocuments::Online(const std::string& key,
                                            const std::string& upstream_path) {
  // Offline, nothing is fresh: what an earlier online run kept is only a
  // hint for the answers built from the store.
  Upstream* upstream = catalog_->upstream();
  if (upstream == nullptr) return Status::Unavailable("offline");
  const int64_t ttl_micros = options_.revision_ttl_seconds * 1'000'000;
  HM_ASSIGN_OR_RETURN(std::optional<CachedDocument> cached, cache_->Get(key));
  if (cached && env_->NowMicros() - cached->fetched_at_micros < ttl_micros) return *cached;
  return flight_.Do(key, [&]() -> Result<CachedDocument> {
    HM_ASSIGN_OR_RETURN(ApiPage page, catalog_->failure_hold()->Ask([&] {
                          return upstream->GetApiPage(upstream_path);
                        }));
    CachedDocument doc;
    doc.body = std::move(page.body);
    doc.next = std::move(page.next);
    doc.total_count = page.total_count;
    doc.fetched_at_micros = env_->NowMicros();
    HM_RETURN_IF_ERROR(cache_->Put(key, doc));
    return doc;
  });
}

Result<Resolution> ApiDocuments::Authorize(const RepoKey& repo, const std::string& revision,
                                           const Caller& caller) {
  HM_ASSIGN_OR_RETURN(Resolution resolved, catalog_->ResolveRevision(repo, revision));
  HM_ASSIGN_OR_RETURN(bool restricted, catalog_->IsRestricted(repo, resolved.commit));
  HM_RETURN_IF_ERROR(access_->Authorize(caller, repo, restricted));
  return resolved;
}

Result<ApiAnswer> ApiDocuments::Refs(const HubRoute& route, const Caller& caller) {
  HM_ASSIGN_OR_RETURN(Resolution head, Authorize(route.repo, "HEAD", caller));
  const bool include_prs = route.QueryBool("include_prs");
  if (catalog_->IsHosted(route.repo)) {
    // Published here: the index knows every ref and its kind.
    HM_ASSIGN_OR_RETURN(std::vector<NamedRef> refs, index_->ListRefs(route.repo));
    HM_ASSIGN_OR_RETURN(std::vector<HostedRef> kinds, index_->ListHostedRefs(route.repo));
    json tags = {{"tags", json::array()}};
    for (const HostedRef& ref : kinds) {
      if (ref.is_tag) tags["tags"].push_back({{"name", ref.name}});
    }
    ApiAnswer answer;
    answer.body = OfflineRefsJson(refs, include_prs, &tags).dump();
    return answer;
  }
  const std::string path = WithQuery(RepoApiPath(route.repo) + "/refs",
                                     include_prs ? "include_prs=1" : "");
  const std::string key = "refs " + path;
  ApiAnswer answer;
  if (!head.stale) {
    Result<CachedDocument> doc = Online(key, path);
    if (doc.ok()) {
      answer.body = std::move(doc->body);
      return answer;
    }
    if (!doc.status().retryable()) return std::move(doc).status();
  }
  // From the store: its refs, with the kinds an earlier upstream answer
  // (with or without pull requests) gave.
  HM_ASSIGN_OR_RETURN(std::vector<NamedRef> refs, index_->ListRefs(route.repo));
  HM_ASSIGN_OR_RETURN(std::optional<CachedDocument> kept, cache_->Get(key));
  if (!kept) {
    const std::string other = RepoApiPath(route.repo) + (include_prs ? "/refs" : "/refs?include_prs=1");
    HM_ASSIGN_OR_RETURN(kept, cache_->Get("refs " + other));
  }
  json upstream_refs = kept ? json::parse(kept->body, nullptr, false) : json();
  answer.body =
      OfflineRefsJson(refs, include_prs, upstream_refs.is_object() ? &upstream_refs : nullptr)
          .dump();
  answer.stale = true;
  return answer;
}

Result<ApiAnswer> ApiDocuments::Commits(const HubRoute& route, const Caller& caller) {
  HM_ASSIGN_OR_RETURN(Resolution resolved, Authorize(route.repo, route.revision, caller));
  if (catalog_->IsHosted(route.repo)) return HostedCommits(route, resolved.commit);
  const std::string path =
      WithQuery(RepoApiPath(route.repo) + "/commits/" + EncodeRevisionForUrl(route.revision),
                EncodeQuery(route.query));
  const std::string key = "commits " + path;
  ApiAnswer answer;
  if (!resolved.stale) {
    Result<CachedDocument> doc = Online(key, path);
    if (doc.ok()) {
      answer.body = std::move(doc->body);
      answer.next = std::move(doc->next);
      answer.total_count = doc->total_count;
      return answer;
    }
    if (!doc.status().retryable()) return std::move(doc).status();
  }
  answer.stale = true;
  // A kept history serves while it still starts where the revision is now.
  HM_ASSIGN_OR_RETURN(std::optional<CachedDocument> kept, cache_->Get(key));
  if (kept) {
    json history = json::parse(kept->body, nullptr, false);
    const bool first_page = route.query.count("p") == 0 && route.query.count("cursor") == 0;
    const bool current = history.is_array() &&
                         (!first_page || (!history.empty() && history[0].is_object() &&
                                          history[0].value("id", "") == resolved.commit));
    if (current) {
      answer.body = std::move(kept->body);
      answer.next = std::move(kept->next);
      answer.total_count = kept->total_count;
      return answer;
    }
  }
  if (route.query.count("p") > 0 || route.query.count("cursor") > 0) {
    answer.body = "[]";  // the pages after the one commit known offline
    return answer;
  }
  HM_ASSIGN_OR_RETURN(std::string info, catalog_->RepoInfoJson(route.repo, resolved.commit));
  answer.body = OfflineCommitsJson(resolved.commit, info).dump();
  answer.total_count = 1;
  return answer;
}

Result<ApiAnswer> ApiDocuments::RepoList(const HubRoute& route, const Caller& caller) {
  const RepoType type = route.repo.type;
  const std::string list_path = "/api/" + std::string(RepoTypePlural(type));
  // The access filter below needs every item's private and gated flags,
  // also when the client expands other keys only.
  Query upstream_query = route.query;
  std::vector<std::string> added;
  const std::vector<std::string> expand = route.QueryValues("expand");
  if (!expand.empty()) {
    for (const char* flag : {"private", "gated"}) {
      if (std::find(expand.begin(), expand.end(), flag) == expand.end()) {
        upstream_query.emplace("expand", flag);
        added.push_back(flag);
      }
    }
  }
  const std::string path = WithQuery(list_path, EncodeQuery(upstream_query));
  const std::string key = "list " + path;
  Result<CachedDocument> doc = Online(key, path);
  bool stale = false;
  if (!doc.ok()) {
    if (!doc.status().retryable()) return std::move(doc).status();
    // A first page lists what the store holds; a later page of an upstream
    // listing can only be the one kept from when the upstream answered.
    if (route.query.count("cursor") == 0) return OfflineRepoListAnswer(route, caller);
    HM_ASSIGN_OR_RETURN(std::optional<CachedDocument> kept, cache_->Get(key));
    if (!kept) return OfflineRepoListAnswer(route, caller);
    doc = std::move(*kept);
    stale = true;
  }
  json items = json::parse(doc->body, nullptr, false);
  if (!items.is_array()) {
    return Status::InvalidArgument("upstream listing of " + list_path + " is not a JSON array")
        .WithHubError(HubError::kNone, 502);
  }
  json visible = json::array();
  for (json& item : items) {
    if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) continue;
    RepoKey repo{type, item["id"].get<std::string>()};
    if (!ValidateRepoId(repo.id).ok()) continue;
    if (!access_->Authorize(caller, repo, InfoIsRestricted(item)).ok()) continue;
    StripXet(&item);
    for (const std::string& flag : added) item.erase(flag);
    visible.push_back(std::move(item));
  }
  ApiAnswer answer;
  answer.body = visible.dump();
  answer.stale = stale;
  answer.next = std::move(doc->next);
  answer.total_count = doc->total_count;
  return answer;
}

Result<ApiAnswer> ApiDocuments::OfflineRepoListAnswer(const HubRoute& route,
                                                      const Caller& caller) {
  HM_ASSIGN_OR_RETURN(RepoListQuery query, ParseRepoListQuery(route));
  HM_ASSIGN_OR_RETURN(std::vector<RepoKey> stored, index_->ListRepos());
  std::vector<ListedRepo> repos;
  for (const RepoKey& repo : stored) {
    if (repo.type != route.repo.type) continue;
    // The repo info at its default branch; the last ref known otherwise.
    HM_ASSIGN_OR_RETURN(std::vector<NamedRef> refs, index_->ListRefs(repo));
    const NamedRef* head = nullptr;
    for (const char* name : {"HEAD", "main"}) {
      for (const NamedRef& r : refs) {
        if (head == nullptr && r.name == name) head = &r;
      }
    }
    if (head == nullptr && !refs.empty()) head = &refs.front();
    if (head == nullptr) continue;
    HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> commit,
                        index_->GetCommit(repo, head->record.commit));
    if (!commit || commit->info_json.empty()) continue;
    json info = json::parse(commit->info_json, nullptr, false);
    if (!info.is_object()) continue;
    if (!access_->Authorize(caller, repo, InfoIsRestricted(info)).ok()) continue;
    repos.push_back(ListedRepo{repo, std::move(info)});
  }
  ListingPage page = OfflineRepoList(repos, query);
  ApiAnswer answer;
  answer.body = page.items.dump();
  answer.stale = true;
  if (page.next_cursor) {
    answer.next = WithQuery("/api/" + std::string(RepoTypePlural(route.repo.type)),
                            EncodeQuery(route.query, {"cursor"}));
    answer.next += (answer.next.find('?') == std::string::npos ? "?cursor=" : "&cursor=") +
                   UrlEncode(*page.next_cursor, false);
  }
  return answer;
}

Result<ApiAnswer> ApiDocuments::HostedCommits(const HubRoute& route, const std::string& head) {
  // The history from `head` along first parents, newest first, in pages.
  constexpr size_t kPageSize = 100;
  constexpr size_t kMaxHistory = 100'000;
  size_t page = 0;
  if (std::vector<std::string> p = route.QueryValues("p"); !p.empty()) {
    auto [ptr, ec] = std::from_chars(p.back().data(), p.back().data() + p.back().size(), page);
    if (ec != std::errc() || ptr != p.back().data() + p.back().size() || page > kMaxHistory) {
      return Status::InvalidArgument("invalid page 'p'");
    }
  }
  json items = json::array();
  size_t total = 0;
  for (std::string at = head; !at.empty() && total < kMaxHistory; ++total) {
    HM_ASSIGN_OR_RETURN(std::optional<HostedCommitRecord> commit,
                        index_->GetHostedCommit(route.repo, at));
    if (!commit) break;
    if (total >= page * kPageSize && total < (page + 1) * kPageSize) {
      std::string message = commit->summary;
      if (!commit->description.empty()) message += "\n\n" + commit->description;
      items.push_back({{"id", commit->commit},
                       {"title", commit->summary},
                       {"message", message},
                       {"authors", json::array({{{"user", commit->author}}})},
                       {"date", FormatUtcMillis(commit->at_micros)}});
    }
    at = commit->parent;
  }
  ApiAnswer answer;
  answer.body = items.dump();
  answer.total_count = static_cast<int64_t>(total);
  if ((page + 1) * kPageSize < total) {
    answer.next = RepoApiPath(route.repo) + "/commits/" + EncodeRevisionForUrl(route.revision) +
                  "?p=" + std::to_string(page + 1);
  }
  return answer;
}

}  // namespace hubmirror
