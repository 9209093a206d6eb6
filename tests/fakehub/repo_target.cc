#include "tests/fakehub/repo_target.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "tests/fakehub/url.h"

namespace fakehub {
namespace {

constexpr std::array<std::string_view, 7> kApiActions = {
    "revision", "tree", "paths-info", "resolve", "xet-read-token", "commits", "refs"};

// How many leading segments form the repo id (1 or 2).
size_t RepoIdLength(const Hub& hub, RepoType type, const std::vector<std::string>& segments,
                    size_t first) {
  size_t available = segments.size() - first;
  if (available >= 2 &&
      hub.FindRepo(type, segments[first] + "/" + segments[first + 1]) != nullptr) {
    return 2;
  }
  if (hub.FindRepo(type, segments[first]) != nullptr) return 1;
  if (available >= 2 &&
      std::find(kApiActions.begin(), kApiActions.end(), segments[first + 1]) != kApiActions.end()) {
    return 1;  // An unknown legacy id followed by an action.
  }
  return std::min<size_t>(available, 2);
}

RepoRequest MakeRequest(RepoType type, const std::vector<std::string>& segments, size_t first,
                        size_t id_length) {
  RepoRequest request;
  request.type = type;
  request.repo_id = JoinSegments(segments, first, first + id_length);
  size_t action_index = first + id_length;
  if (action_index < segments.size()) {
    request.action = segments[action_index];
    request.args.assign(segments.begin() + action_index + 1, segments.end());
  }
  return request;
}

}  // namespace

std::optional<RepoRequest> ParseApiRepoRequest(const Hub& hub,
                                               const std::vector<std::string>& segments) {
  if (segments.size() < 2) return std::nullopt;
  for (RepoType type : {RepoType::kModel, RepoType::kDataset, RepoType::kSpace}) {
    if (segments[0] == RepoTypePlural(type)) {
      return MakeRequest(type, segments, 1, RepoIdLength(hub, type, segments, 1));
    }
  }
  return std::nullopt;
}

std::optional<RepoRequest> ParseResolveRequest(const Hub& hub,
                                               const std::vector<std::string>& segments) {
  size_t first = 0;
  RepoType type = RepoType::kModel;
  if (!segments.empty() && segments[0] == "datasets") {
    type = RepoType::kDataset;
    first = 1;
  } else if (!segments.empty() && segments[0] == "spaces") {
    type = RepoType::kSpace;
    first = 1;
  } else if (!segments.empty() && segments[0] == "api") {
    return std::nullopt;
  }
  if (segments.size() <= first) return std::nullopt;
  RepoRequest request =
      MakeRequest(type, segments, first, RepoIdLength(hub, type, segments, first));
  if (request.action != "resolve") return std::nullopt;
  return request;
}

RevisionAndPath SplitRevision(const Repo& repo, const std::vector<std::string>& args) {
  if (args.empty()) return {};
  size_t taken = 0;
  for (size_t n = args.size(); n >= 1 && taken == 0; --n) {
    if (repo.refs().count(JoinSegments(args, 0, n)) > 0) taken = n;
  }
  if (taken == 0) taken = (args[0] == "refs" && args.size() >= 3) ? 3 : 1;
  return {JoinSegments(args, 0, taken), JoinSegments(args, taken, args.size())};
}

}  // namespace fakehub
