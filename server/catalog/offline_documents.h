// Offline documents: the Hub's answers to the refs, commits and repo-listing
// routes, built from what the store knows, for when the upstream cannot be
// asked (offline mode, or the upstream down and nothing cached). Pure
// functions over JSON; no I/O.
//
//   refs      the refs the index holds, each classified as a branch, tag,
//             convert or pull request (by name, or by the last upstream refs
//             document when one was kept)
//   commits   the one commit the revision resolves to, dated by its repo
//             info (the history before it is not known offline)
//   listings  the stored repos of a type, filtered, sorted and paged like
//             the Hub's /api/models (author, search, filter, pipeline_tag,
//             sort, direction, limit, full, expand, cursor)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/hub_route.h"
#include "store/index/index.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

// {"branches":[...],"converts":[...],"tags":[...]} (+"pullRequests" with
// `include_prs`); each {"name","ref","targetCommit"}. `refs` are the index's
// (the "HEAD" pseudo-ref is left out). `upstream_refs`, when not null, is an
// earlier upstream refs document: a ref it lists as a tag stays a tag. Refs
// of no known kind are branches.
nlohmann::json OfflineRefsJson(const std::vector<NamedRef>& refs, bool include_prs,
                               const nlohmann::json* upstream_refs);

// [{"id","title","message","authors":[],"date"}] for `commit`, dated by the
// "lastModified" of its repo info (which may be empty).
nlohmann::json OfflineCommitsJson(const std::string& commit, const std::string& info_json);

// What a listing request asks for, parsed from its query.
struct RepoListQuery {
  std::string author;
  std::vector<std::string> search;   // every one must be a substring of the id (any case)
  std::vector<std::string> filters;  // every one must be a tag (or the library, the task)
  std::string pipeline_tag;
  std::string sort;                  // "" = by id
  bool descending = false;           // direction=-1
  size_t limit = 0;                  // 0 = the default page size
  bool full = false;                 // siblings and every field
  std::vector<std::string> expand;   // only these keys (plus _id, id)
  size_t offset = 0;                 // from an offline cursor
};

// InvalidArgument for a malformed limit, direction or cursor. A cursor the
// upstream issued is no offline cursor: Unavailable (that page needs the
// upstream).
Result<RepoListQuery> ParseRepoListQuery(const HubRoute& route);

// One stored repo and its repo info at its default branch.
struct ListedRepo {
  RepoKey repo;
  nlohmann::json info;  // an object
};

// One page of a listing.
struct ListingPage {
  nlohmann::json items = nlohmann::json::array();
  // The offline cursor of the next page, or nullopt on the last.
  std::optional<std::string> next_cursor;
};

// The page `query` selects from `repos` (which are all of the listed type).
ListingPage OfflineRepoList(const std::vector<ListedRepo>& repos, const RepoListQuery& query);

// The listing entry of one repo as the Hub shapes it: _id, id, author,
// private, gated, downloads, likes, tags, pipeline_tag, library_name,
// createdAt, lastModified (+ sha, siblings, ... with `full`; only `expand`
// keys when given). Xet fields are never included.
nlohmann::json ListingItem(const ListedRepo& repo, const RepoListQuery& query);

// The page size of a listing without `limit`, and the most `limit` may ask.
constexpr size_t kDefaultListingPage = 1000;
constexpr size_t kMaxListingPage = 10000;

}  // namespace hubmirror
