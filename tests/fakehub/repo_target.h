// Splits decoded path segments into repository id, action, revision and
// file path, the way huggingface.co does.
//
// Repo ids are never encoded and may have one segment ("gpt-mini") or two
// ("acme/tiny-model"); known repositories decide ambiguous splits. Revisions
// may arrive as one encoded segment ("refs%2Fpr%2F1", already decoded to
// "refs/pr/1" here) or raw over several segments ("refs", "pr", "1").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

// A request addressed to one repository.
struct RepoRequest {
  RepoType type = RepoType::kModel;
  std::string repo_id;
  // "" (repo info), "revision", "tree", "paths-info", "resolve", or any
  // other (unsupported) word that followed the id.
  std::string action;
  std::vector<std::string> args;  // Decoded segments after the action.
};

// `segments` are the decoded segments after "/api/"; the first one must be
// "models", "datasets" or "spaces". Nullopt when the target names no
// repository.
std::optional<RepoRequest> ParseApiRepoRequest(const Hub& hub,
                                               const std::vector<std::string>& segments);

// `segments` are all decoded segments of a "/[datasets/|spaces/]{id}/resolve/..."
// target. Nullopt when it is not a resolve URL of a supported repo type.
std::optional<RepoRequest> ParseResolveRequest(const Hub& hub,
                                               const std::vector<std::string>& segments);

struct RevisionAndPath {
  std::string revision;
  std::string path;  // "" when no path followed the revision.
};

// Splits `args` ({rev...}[/{path...}]) using `repo`'s ref names: the longest
// run of leading segments that names a ref wins; otherwise an unknown
// "refs/x/y" takes three segments and anything else one.
RevisionAndPath SplitRevision(const Repo& repo, const std::vector<std::string>& args);

}  // namespace fakehub
