#include "server/hub_route.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace hubmirror {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return segments;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::string JoinSegments(const std::vector<std::string_view>& segments, size_t from) {
  std::string out;
  for (size_t i = from; i < segments.size(); ++i) {
    if (i > from) out.push_back('/');
    out.append(segments[i]);
  }
  return out;
}

bool ContainsEncodedSlash(std::string_view raw) {
  for (size_t i = 0; i + 2 < raw.size(); ++i) {
    if (raw[i] == '%' && raw[i + 1] == '2' && (raw[i + 2] == 'f' || raw[i + 2] == 'F')) {
      return true;
    }
  }
  return false;
}

// The repo id at the start of `segs` (the part after /api/{type}s/ or after
// the optional datasets/ prefix): "org/name" when segs[2] is `action`,
// a legacy "name" when segs[1] is. Returns how many segments it used, 0 if
// `action` is in neither place.
size_t RepoIdSegments(const std::vector<std::string_view>& segs, std::string_view action) {
  if (segs.size() >= 3 && segs[2] == action) return 2;
  if (segs.size() >= 2 && segs[1] == action) return 1;
  return 0;
}

// Reads a revision at segs[i] for tree and resolve URLs: one (possibly
// %2F-encoded) segment, or the raw three segments of refs/pr/N and
// refs/convert/NAME. Returns the number of segments consumed.
Result<size_t> ReadRevision(const std::vector<std::string_view>& segs, size_t i,
                            std::string* revision) {
  if (i >= segs.size()) return Status::InvalidArgument("missing revision");
  HM_ASSIGN_OR_RETURN(std::string first, PercentDecode(segs[i], false));
  if (first == "refs" && i + 2 < segs.size() && (segs[i + 1] == "pr" || segs[i + 1] == "convert")) {
    HM_ASSIGN_OR_RETURN(std::string last, PercentDecode(segs[i + 2], false));
    *revision = "refs/" + std::string(segs[i + 1]) + "/" + last;
    return size_t{3};
  }
  *revision = std::move(first);
  return size_t{1};
}

Status ValidateRepo(const HubRoute& route) {
  HM_RETURN_IF_ERROR(ValidateRepoId(route.repo.id));
  return ValidateRevision(route.revision);
}

// The type named by the first segment of an API path ("models", "datasets",
// "spaces"), or nullopt.
std::optional<RepoType> ApiRepoType(std::string_view segment) {
  for (RepoType t : kAllRepoTypes) {
    if (segment == RepoTypePlural(t)) return t;
  }
  return std::nullopt;
}

Result<HubRoute> ParseApiRoute(std::string_view method, std::vector<std::string_view> segs) {
  // segs: {models|datasets|spaces}, id..., action, ...
  HubRoute route;
  std::optional<RepoType> type = ApiRepoType(segs[0]);
  if (!type) return Status::NotFound("no such API route");
  route.repo.type = *type;
  segs.erase(segs.begin());
  const bool read = method == "GET" || method == "HEAD";
  if (segs.empty() || (segs.size() == 1 && segs[0].empty())) {
    // GET /api/models: the listing of repos of that type.
    if (!read) return Status::NotFound("repo listings are GET only");
    route.kind = RouteKind::kRepoList;
    return route;
  }
  if (segs[0].empty()) return Status::NotFound("no such API route");

  for (std::string_view action :
       {"revision", "tree", "paths-info", "commits", "refs", "xet-read-token"}) {
    size_t id_segs = RepoIdSegments(segs, action);
    if (id_segs == 0) continue;
    route.repo.id = std::string(segs[0]);
    if (id_segs == 2) route.repo.id += "/" + std::string(segs[1]);
    size_t rev_at = id_segs + 1;
    if (action == "refs") {
      // Nothing may follow: /api/models/org/name/refs/x is no route.
      if (rev_at != segs.size()) continue;
      if (!read) return Status::NotFound("refs is GET only");
      route.kind = RouteKind::kRefs;
      HM_RETURN_IF_ERROR(ValidateRepoId(route.repo.id));
      return route;
    }
    if (action == "tree") {
      if (!read) return Status::NotFound("tree is GET only");
      route.kind = RouteKind::kTree;
      HM_ASSIGN_OR_RETURN(size_t used, ReadRevision(segs, rev_at, &route.revision));
      std::string raw_path = JoinSegments(segs, rev_at + used);
      if (!raw_path.empty() && raw_path.back() == '/') raw_path.pop_back();
      HM_ASSIGN_OR_RETURN(route.path, PercentDecode(raw_path, false));
      HM_RETURN_IF_ERROR(ValidateRepoPath(route.path, /*allow_empty=*/true));
    } else {
      // The whole remainder is the revision, encoded or raw.
      if (rev_at >= segs.size()) return Status::InvalidArgument("missing revision");
      if (action == "paths-info") {
        if (method != "POST") return Status::NotFound("paths-info is POST only");
        route.kind = RouteKind::kPathsInfo;
      } else {
        if (!read) return Status::NotFound(std::string(action) + " is GET only");
        route.kind = action == "revision"         ? RouteKind::kRepoInfo
                     : action == "xet-read-token" ? RouteKind::kXetReadToken
                                                  : RouteKind::kCommits;
      }
      HM_ASSIGN_OR_RETURN(route.revision, PercentDecode(JoinSegments(segs, rev_at), false));
    }
    HM_RETURN_IF_ERROR(ValidateRepo(route));
    return route;
  }

  // GET /api/{type}s/{id}: repo info at the default branch.
  if (segs.size() > 2) return Status::NotFound("no such API route");
  if (!read) return Status::NotFound("repo info is GET only");
  route.kind = RouteKind::kRepoInfo;
  route.repo.id = JoinSegments(segs, 0);
  route.revision = "HEAD";
  HM_RETURN_IF_ERROR(ValidateRepo(route));
  return route;
}

Result<HubRoute> ParseResolveRoute(std::string_view method, std::vector<std::string_view> segs) {
  HubRoute route;
  route.kind = RouteKind::kResolve;
  if ((segs[0] == "datasets" || segs[0] == "spaces") &&
      RepoIdSegments({segs.begin() + 1, segs.end()}, "resolve") != 0) {
    route.repo.type = segs[0] == "datasets" ? RepoType::kDataset : RepoType::kSpace;
    segs.erase(segs.begin());
  }
  size_t id_segs = RepoIdSegments(segs, "resolve");
  if (id_segs == 0) return Status::NotFound("no such route");
  if (method != "GET" && method != "HEAD") return Status::NotFound("resolve is GET/HEAD only");
  route.repo.id = std::string(segs[0]);
  if (id_segs == 2) route.repo.id += "/" + std::string(segs[1]);
  size_t rev_at = id_segs + 1;
  HM_ASSIGN_OR_RETURN(size_t used, ReadRevision(segs, rev_at, &route.revision));
  std::string raw_path = JoinSegments(segs, rev_at + used);
  // No client encodes the separators of a file path; an encoded one only
  // shows up in attempts to smuggle "..%2f" past a filter.
  if (ContainsEncodedSlash(raw_path)) {
    return Status::InvalidArgument("invalid path: encoded '/' (%2F) in a file path");
  }
  HM_ASSIGN_OR_RETURN(route.path, PercentDecode(raw_path, false));
  HM_RETURN_IF_ERROR(ValidateRepo(route));
  HM_RETURN_IF_ERROR(ValidateRepoPath(route.path));
  return route;
}

// /xet/v{1,2}/reconstructions/{hash} and /xet/xorbs/{hash}; segs after "xet".
Result<HubRoute> ParseXetRoute(std::string_view method, const std::vector<std::string_view>& segs) {
  if (method != "GET" && method != "HEAD") return Status::NotFound("Xet CAS routes are GET only");
  HubRoute route;
  std::string_view hash;
  if (segs.size() == 3 && (segs[0] == "v1" || segs[0] == "v2") && segs[1] == "reconstructions") {
    route.kind = RouteKind::kXetReconstruction;
    route.api_version = segs[0] == "v1" ? 1 : 2;
    hash = segs[2];
  } else if (segs.size() == 2 && segs[0] == "xorbs") {
    route.kind = RouteKind::kXetXorb;
    hash = segs[1];
  } else {
    return Status::NotFound("no such Xet route on this server");
  }
  if (hash.size() != 64 ||
      !std::all_of(hash.begin(), hash.end(), [](char c) { return HexValue(c) >= 0; })) {
    return Status::InvalidArgument("invalid Xet hash '" + std::string(hash.substr(0, 80)) +
                                   "': 64 hex digits expected");
  }
  route.path = std::string(hash);
  for (char& c : route.path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return route;
}

}  // namespace

bool RouteHasRepo(RouteKind kind) {
  switch (kind) {
    case RouteKind::kRepoInfo:
    case RouteKind::kTree:
    case RouteKind::kPathsInfo:
    case RouteKind::kResolve:
    case RouteKind::kCommits:
    case RouteKind::kXetReadToken:
      return true;
    case RouteKind::kStatus:
    case RouteKind::kAdminStorage:
    case RouteKind::kUi:
    case RouteKind::kMetrics:
    case RouteKind::kHealthz:
    case RouteKind::kReadyz:
    case RouteKind::kWhoAmI:
    case RouteKind::kRefs:
    case RouteKind::kRepoList:
    case RouteKind::kXetReconstruction:
    case RouteKind::kXetXorb:
      return false;
  }
  return false;
}

std::vector<std::string> HubRoute::QueryValues(const std::string& key) const {
  std::vector<std::string> values;
  auto [begin, end] = query.equal_range(key);
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

bool HubRoute::QueryBool(const std::string& key, bool fallback) const {
  auto it = query.find(key);
  if (it == query.end()) return fallback;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true" || v == "1";
}

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return Status::InvalidArgument("malformed percent-encoding");
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return Status::InvalidArgument("malformed percent-encoding");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::multimap<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::multimap<std::string, std::string> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view key = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      HM_ASSIGN_OR_RETURN(std::string k, PercentDecode(key, true));
      HM_ASSIGN_OR_RETURN(std::string v, PercentDecode(value, true));
      params.emplace(std::move(k), std::move(v));
    }
    start = amp + 1;
  }
  return params;
}

Result<HubRoute> ParseHubRoute(std::string_view method, std::string_view target) {
  size_t qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  std::string_view query = qmark == std::string_view::npos ? "" : target.substr(qmark + 1);
  if (path.empty() || path[0] != '/') return Status::InvalidArgument("request target must start with '/'");

  Result<HubRoute> route = Status::NotFound("no such route");
  std::vector<std::string_view> segs = SplitSegments(path.substr(1));
  const bool read = method == "GET" || method == "HEAD";
  auto fixed = [](RouteKind kind) {
    HubRoute fixed_route;
    fixed_route.kind = kind;
    return fixed_route;
  };
  if (read && path == "/api/status") {
    route = fixed(RouteKind::kStatus);
  } else if (read && path == "/api/whoami-v2") {
    route = fixed(RouteKind::kWhoAmI);
  } else if (read && path == "/api/admin/storage") {
    route = fixed(RouteKind::kAdminStorage);
  } else if (read && path == "/metrics") {
    route = fixed(RouteKind::kMetrics);
  } else if (read && path == "/healthz") {
    route = fixed(RouteKind::kHealthz);
  } else if (read && path == "/readyz") {
    route = fixed(RouteKind::kReadyz);
  } else if (segs.size() >= 2 && segs[0] == "xet") {
    route = ParseXetRoute(method, {segs.begin() + 1, segs.end()});
  } else if (segs.size() >= 2 && segs[0] == "api") {
    route = ParseApiRoute(method, {segs.begin() + 1, segs.end()});
  } else {
    route = ParseResolveRoute(method, segs);
    // The UI lives under /ui/; a file of a repo named ui/* still resolves.
    const bool ui_path = path == "/" || path == "/ui" || path.starts_with("/ui/");
    if (read && ui_path && !route.ok() && route.status().code() == StatusCode::kNotFound) {
      HubRoute ui_route = fixed(RouteKind::kUi);
      std::string_view rest = path.size() > 4 ? path.substr(4) : std::string_view();
      HM_ASSIGN_OR_RETURN(ui_route.path, PercentDecode(rest, /*plus_is_space=*/false));
      route = std::move(ui_route);
    }
  }
  if (!route.ok()) return route;
  HM_ASSIGN_OR_RETURN(auto params, ParseQueryString(query));
  for (auto& [key, value] : params) {
    std::string name = key;
    if (name.size() > 2 && name.ends_with("[]")) name.resize(name.size() - 2);
    route->query.emplace(std::move(name), std::move(value));
  }
  return route;
}

}  // namespace hubmirror
