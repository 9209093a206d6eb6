#include "server/catalog/offline_documents.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace hubmirror {
namespace {

using nlohmann::json;

constexpr std::string_view kOfflineCursorPrefix = "offline-";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ParseSize(std::string_view text, size_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

// The names an upstream refs document lists as tags.
std::set<std::string> UpstreamTags(const json* upstream_refs) {
  std::set<std::string> tags;
  if (upstream_refs == nullptr || !upstream_refs->is_object()) return tags;
  auto it = upstream_refs->find("tags");
  if (it == upstream_refs->end() || !it->is_array()) return tags;
  for (const json& tag : *it) {
    if (tag.is_object() && tag.contains("name") && tag["name"].is_string()) {
      tags.insert(tag["name"].get<std::string>());
    }
  }
  return tags;
}

const json* Field(const json& info, const char* key) {
  auto it = info.find(key);
  return it == info.end() ? nullptr : &*it;
}

std::string StringField(const json& info, const char* key) {
  const json* v = Field(info, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

bool HasTag(const json& info, const std::string& tag) {
  const json* tags = Field(info, "tags");
  if (tags != nullptr && tags->is_array()) {
    for (const json& t : *tags) {
      if (t.is_string() && t.get<std::string>() == tag) return true;
    }
  }
  return StringField(info, "library_name") == tag || StringField(info, "pipeline_tag") == tag;
}

bool Matches(const ListedRepo& r, const RepoListQuery& q) {
  if (!q.author.empty()) {
    const std::string author = StringField(r.info, "author");
    const bool owns = author == q.author || r.repo.id.rfind(q.author + "/", 0) == 0;
    if (!owns) return false;
  }
  const std::string id = Lower(r.repo.id);
  for (const std::string& s : q.search) {
    if (id.find(Lower(s)) == std::string::npos) return false;
  }
  for (const std::string& f : q.filters) {
    if (!HasTag(r.info, f)) return false;
  }
  if (!q.pipeline_tag.empty() && StringField(r.info, "pipeline_tag") != q.pipeline_tag) {
    return false;
  }
  return true;
}

// The value a repo sorts by: numbers for counts, strings (ISO dates, ids)
// otherwise. Missing values sort as the smallest.
json SortValue(const ListedRepo& r, const std::string& sort) {
  if (sort.empty() || sort == "id") return r.repo.id;
  // The Hub's trending score is not known offline; likes stand in for it.
  const std::string key = sort == "trendingScore" || sort == "trending_score" ? "likes" : sort;
  const json* v = Field(r.info, key.c_str());
  return v == nullptr ? json() : *v;
}

}  // namespace

json OfflineRefsJson(const std::vector<NamedRef>& refs, bool include_prs,
                     const json* upstream_refs) {
  const std::set<std::string> tags = UpstreamTags(upstream_refs);
  json out = {{"branches", json::array()}, {"converts", json::array()}, {"tags", json::array()}};
  if (include_prs) out["pullRequests"] = json::array();
  constexpr std::string_view kConvert = "refs/convert/";
  for (const NamedRef& ref : refs) {
    if (ref.name == "HEAD") continue;
    const std::string& commit = ref.record.commit;
    if (ref.name.rfind("refs/pr/", 0) == 0) {
      if (include_prs) {
        out["pullRequests"].push_back(
            {{"name", ref.name}, {"ref", ref.name}, {"targetCommit", commit}});
      }
    } else if (ref.name.rfind(kConvert, 0) == 0) {
      out["converts"].push_back({{"name", ref.name.substr(kConvert.size())},
                                 {"ref", ref.name},
                                 {"targetCommit", commit}});
    } else if (ref.name.rfind("refs/", 0) == 0) {
      continue;  // a ref namespace no client lists
    } else if (tags.count(ref.name) > 0) {
      out["tags"].push_back(
          {{"name", ref.name}, {"ref", "refs/tags/" + ref.name}, {"targetCommit", commit}});
    } else {
      out["branches"].push_back(
          {{"name", ref.name}, {"ref", "refs/heads/" + ref.name}, {"targetCommit", commit}});
    }
  }
  return out;
}

json OfflineCommitsJson(const std::string& commit, const std::string& info_json) {
  json info = json::parse(info_json, nullptr, false);
  std::string date = "1970-01-01T00:00:00.000Z";
  if (info.is_object()) {
    std::string modified = StringField(info, "lastModified");
    if (!modified.empty()) date = modified;
  }
  return json::array({{{"id", commit},
                       {"title", ""},
                       {"message", ""},
                       {"authors", json::array()},
                       {"date", date}}});
}

Result<RepoListQuery> ParseRepoListQuery(const HubRoute& route) {
  RepoListQuery q;
  auto one = [&route](const char* key) {
    std::vector<std::string> values = route.QueryValues(key);
    return values.empty() ? std::string() : values.back();
  };
  q.author = one("author");
  q.search = route.QueryValues("search");
  q.filters = route.QueryValues("filter");
  q.pipeline_tag = one("pipeline_tag");
  q.sort = one("sort");
  q.full = route.QueryBool("full");
  q.expand = route.QueryValues("expand");
  // Python sends filter=a&filter=b, the JS client one comma list per tag.
  std::vector<std::string> split;
  for (const std::string& f : q.filters) {
    for (size_t start = 0; start <= f.size();) {
      size_t comma = f.find(',', start);
      if (comma == std::string::npos) comma = f.size();
      if (comma > start) split.push_back(f.substr(start, comma - start));
      start = comma + 1;
    }
  }
  q.filters = std::move(split);
  const std::string direction = one("direction");
  if (!direction.empty()) {
    if (direction != "-1" && direction != "1") {
      return Status::InvalidArgument("direction must be -1 or 1");
    }
    q.descending = direction == "-1";
  } else {
    // The Hub sorts by a count or a date from the largest down.
    q.descending = !q.sort.empty() && q.sort != "id";
  }
  const std::string limit = one("limit");
  if (!limit.empty()) {
    if (!ParseSize(limit, &q.limit) || q.limit == 0) {
      return Status::InvalidArgument("limit must be a positive integer");
    }
    q.limit = std::min(q.limit, kMaxListingPage);
  }
  const std::string cursor = one("cursor");
  if (!cursor.empty()) {
    if (cursor.rfind(kOfflineCursorPrefix, 0) != 0) {
      return Status::Unavailable(
          "this page of the listing came from the upstream, which cannot be asked now");
    }
    if (!ParseSize(std::string_view(cursor).substr(kOfflineCursorPrefix.size()), &q.offset)) {
      return Status::InvalidArgument("invalid cursor");
    }
  }
  return q;
}

json ListingItem(const ListedRepo& r, const RepoListQuery& query) {
  json full = r.info;
  full.erase("xetEnabled");
  full["_id"] = full.value("_id", r.repo.id);
  full["id"] = r.repo.id;
  if (auto siblings = full.find("siblings"); siblings != full.end() && siblings->is_array()) {
    for (json& sibling : *siblings) {
      if (sibling.is_object() && sibling.contains("rfilename")) {
        sibling = json{{"rfilename", sibling["rfilename"]}};
      }
    }
  }
  if (!query.expand.empty()) {
    json view = {{"_id", full["_id"]}, {"id", full["id"]}};
    for (const std::string& key : query.expand) {
      if (full.contains(key)) view[key] = full[key];
    }
    return view;
  }
  if (query.full) return full;
  static const char* const kSummaryKeys[] = {
      "_id",          "id",        "author",       "private",   "gated",
      "disabled",     "downloads", "likes",        "tags",      "pipeline_tag",
      "library_name", "createdAt", "lastModified", "sha",       "modelId",
      "sdk"};
  json summary = json::object();
  for (const char* key : kSummaryKeys) {
    if (full.contains(key)) summary[key] = full[key];
  }
  return summary;
}

ListingPage OfflineRepoList(const std::vector<ListedRepo>& repos, const RepoListQuery& query) {
  std::vector<const ListedRepo*> selected;
  for (const ListedRepo& r : repos) {
    if (Matches(r, query)) selected.push_back(&r);
  }
  std::stable_sort(selected.begin(), selected.end(),
                   [&query](const ListedRepo* a, const ListedRepo* b) {
                     const json va = SortValue(*a, query.sort);
                     const json vb = SortValue(*b, query.sort);
                     if (va == vb) return a->repo.id < b->repo.id;
                     return query.descending ? vb < va : va < vb;
                   });
  ListingPage page;
  const size_t page_size = query.limit > 0 ? query.limit : kDefaultListingPage;
  const size_t begin = std::min(query.offset, selected.size());
  const size_t end = std::min(selected.size(), begin + page_size);
  for (size_t i = begin; i < end; ++i) page.items.push_back(ListingItem(*selected[i], query));
  // `limit` is the page size: Python stops after `limit` items, the JS
  // client asks for at most 500 a page and follows the link for more.
  if (end < selected.size()) {
    page.next_cursor = std::string(kOfflineCursorPrefix) + std::to_string(end);
  }
  return page;
}

}  // namespace hubmirror
