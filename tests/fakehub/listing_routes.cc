#include "tests/fakehub/listing_routes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "tests/fakehub/hub_errors.h"
#include "tests/fakehub/hub_json.h"
#include "tests/fakehub/pagination.h"

namespace fakehub {
namespace {

using nlohmann::json;

constexpr char kJsonType[] = "application/json; charset=utf-8";
constexpr size_t kDefaultCommitsPage = 50;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<size_t> ParsePositive(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  size_t n = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) return 0;
  return n;
}

bool HasTag(const Repo& repo, const std::string& tag) {
  const RepoCard& card = repo.card();
  return std::find(card.tags.begin(), card.tags.end(), tag) != card.tags.end() ||
         card.library_name == tag || card.pipeline_tag == tag;
}

// The listing entry of a repo: a summary, everything with `full`, or only
// the `expand` keys (plus _id and id).
json ListItem(const Repo& repo, bool full, const std::vector<std::string>& expand) {
  const Commit& head = *repo.Resolve("HEAD");
  json info = RepoInfoJson(repo, head, /*blobs=*/false, {});
  info["trendingScore"] = repo.card().likes;
  if (!expand.empty()) {
    json view = {{"_id", info["_id"]}, {"id", info["id"]}};
    for (const std::string& key : expand) {
      if (info.contains(key)) view[key] = info[key];
    }
    return view;
  }
  if (full) return info;
  json item = json::object();
  for (const char* key : {"_id", "id", "author", "likes", "trendingScore", "private", "gated",
                          "downloads", "tags", "pipeline_tag", "library_name", "createdAt",
                          "modelId", "sdk"}) {
    if (info.contains(key)) item[key] = info[key];
  }
  return item;
}

json SortKey(const Repo& repo, const std::string& sort) {
  const RepoCard& card = repo.card();
  if (sort == "downloads") return card.downloads;
  if (sort == "likes" || sort == "trendingScore") return card.likes;
  if (sort == "createdAt") return card.created_at;
  if (sort == "lastModified") return repo.Resolve("HEAD")->date();
  return repo.id();
}

json RefJson(const std::string& name, const std::string& ref, const std::string& commit) {
  return {{"name", name}, {"ref", ref}, {"targetCommit", commit}};
}

}  // namespace

void HandleRepoList(const ServerState& state, httplib::Response& res, RepoType type,
                    const RawTarget& raw, const QueryParams& query) {
  std::optional<std::string> author = ParamValue(query, "author");
  std::vector<std::string> search = ParamValues(query, "search");
  std::vector<std::string> filters;
  for (const std::string& f : ParamValues(query, "filter")) {
    for (size_t start = 0; start <= f.size();) {
      size_t comma = std::min(f.find(',', start), f.size());
      if (comma > start) filters.push_back(f.substr(start, comma - start));
      start = comma + 1;
    }
  }
  std::optional<std::string> pipeline_tag = ParamValue(query, "pipeline_tag");
  std::vector<const Repo*> repos;
  for (const Repo& repo : state.hub().repos()) {
    if (repo.type() != type || (author && repo.card().author != *author)) continue;
    if (pipeline_tag && repo.card().pipeline_tag != *pipeline_tag) continue;
    const std::string id = Lower(repo.id());
    bool match = true;
    for (const std::string& s : search) match = match && id.find(Lower(s)) != std::string::npos;
    for (const std::string& f : filters) match = match && HasTag(repo, f);
    if (match) repos.push_back(&repo);
  }
  if (std::optional<std::string> sort = ParamValue(query, "sort")) {
    std::optional<std::string> direction = ParamValue(query, "direction");
    if (direction && *direction != "-1" && *direction != "1") {
      return SetJsonError(res, 400, "direction must be -1 or 1");
    }
    // The Hub sorts from the largest down unless told direction=1.
    const bool descending = !direction || *direction == "-1";
    std::stable_sort(repos.begin(), repos.end(), [&](const Repo* a, const Repo* b) {
      json ka = SortKey(*a, *sort), kb = SortKey(*b, *sort);
      return descending ? kb < ka : ka < kb;
    });
  }
  size_t page_size = state.options().page_size;
  if (std::optional<size_t> limit = ParsePositive(ParamValue(query, "limit"))) {
    if (*limit == 0) return SetJsonError(res, 400, "limit must be a positive integer");
    page_size = std::min<size_t>(*limit, 1000);
  }
  size_t offset = 0;
  if (std::optional<std::string> cursor = ParamValue(query, "cursor")) {
    std::optional<size_t> decoded = DecodeCursor(*cursor);
    if (!decoded || *decoded > repos.size()) return SetJsonError(res, 400, "Invalid cursor");
    offset = *decoded;
  }
  const bool full = ParseBool(ParamValue(query, "full").value_or("false"));
  const std::vector<std::string> expand = ParamValues(query, "expand");
  size_t end = std::min(repos.size(), offset + page_size);
  json page = json::array();
  for (size_t i = offset; i < end; ++i) page.push_back(ListItem(*repos[i], full, expand));
  LinkNextCursor(state, raw, end, repos.size(), res);
  res.status = 200;
  res.set_content(page.dump(), kJsonType);
}

void HandleRefs(httplib::Response& res, const Repo& repo, const QueryParams& query) {
  const bool include_prs = ParseBool(ParamValue(query, "include_prs").value_or("false"));
  json refs = {{"branches", json::array()}, {"converts", json::array()}, {"tags", json::array()}};
  if (include_prs) refs["pullRequests"] = json::array();
  for (const auto& [name, commit] : repo.refs()) {
    switch (repo.KindOf(name)) {
      case RefKind::kBranch:
        refs["branches"].push_back(RefJson(name, "refs/heads/" + name, commit));
        break;
      case RefKind::kTag:
        refs["tags"].push_back(RefJson(name, "refs/tags/" + name, commit));
        break;
      case RefKind::kConvert:
        refs["converts"].push_back(RefJson(name.substr(13), name, commit));
        break;
      case RefKind::kPullRequest:
        if (include_prs) refs["pullRequests"].push_back(RefJson(name, name, commit));
        break;
    }
  }
  res.status = 200;
  res.set_content(refs.dump(), kJsonType);
}

void HandleCommits(const ServerState& state, httplib::Response& res, const Repo& repo,
                   const std::string& revision, const RawTarget& raw, const QueryParams& query) {
  const Commit* commit = repo.Resolve(revision);
  if (commit == nullptr) return SetRevisionNotFound(res, revision);
  std::optional<size_t> limit = ParsePositive(ParamValue(query, "limit"));
  std::optional<size_t> page_number = ParsePositive(ParamValue(query, "p"));
  if ((limit && *limit == 0) || (ParamValue(query, "p") && !page_number)) {
    return SetJsonError(res, 400, "Invalid pagination parameters");
  }
  const size_t page_size = std::min<size_t>(limit.value_or(kDefaultCommitsPage), 1000);
  const size_t p = page_number.value_or(0);
  // Python sends expand[]=formatted.
  std::vector<std::string> expand = ParamValues(query, "expand[]");
  for (std::string& e : ParamValues(query, "expand")) expand.push_back(std::move(e));
  const bool formatted = std::find(expand.begin(), expand.end(), "formatted") != expand.end();
  const std::vector<const Commit*> history = repo.History(*commit);
  json page = json::array();
  const size_t begin = std::min(history.size(), p * page_size);
  const size_t end = std::min(history.size(), begin + page_size);
  for (size_t i = begin; i < end; ++i) {
    const Commit& c = *history[i];
    json item = {{"id", c.id()},
                 {"title", c.title()},
                 {"message", ""},
                 {"authors", json::array({{{"user", c.author()},
                                           {"avatar", "https://cdn.example/" + c.author()}}})},
                 {"date", c.date()}};
    if (formatted) item["formatted"] = {{"title", "<p>" + c.title() + "</p>"}, {"message", ""}};
    page.push_back(std::move(item));
  }
  res.set_header("X-Total-Count", std::to_string(history.size()));
  if (end < history.size()) {
    res.set_header("Link", "<" + NextPageUrl(state, raw, "p", std::to_string(p + 1)) +
                               ">; rel=\"next\"");
  }
  res.status = 200;
  res.set_content(page.dump(), kJsonType);
}

}  // namespace fakehub
