#include "fetcher/hf_client_defaults.h"

#include <cstdlib>

namespace hubmirror {
namespace {

Result<std::string> ExpandHome(std::string path, const EnvLookup& env) {
  if (path != "~" && path.rfind("~/", 0) != 0) return path;
  std::optional<std::string> home = env("HOME");
  if (!home) return Status::InvalidArgument("cannot expand '~' in " + path + ": HOME is not set");
  return *home + path.substr(1);
}

std::string TrimTrailingSlashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Result<RepoKey> ParseRepoSpec(std::string_view spec) {
  RepoKey repo;
  repo.type = TakeRepoTypePrefix(&spec);
  repo.id = std::string(spec);
  if (Status valid = ValidateRepoId(repo.id); !valid.ok()) {
    return Status::InvalidArgument("bad repo '" + std::string(spec) + "' (expected org/name, " +
                                   "datasets/org/name or a legacy name): " + valid.message());
  }
  return repo;
}

Result<std::string> ResolveEndpoint(const std::string& flag, const EnvLookup& env) {
  std::string endpoint = flag;
  if (endpoint.empty()) endpoint = env("HF_ENDPOINT").value_or(kDefaultPullEndpoint);
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("endpoint '" + endpoint +
                                   "' is not an http:// or https:// URL");
  }
  return endpoint;
}

Result<std::string> ResolveHubCacheDir(const std::string& flag, const EnvLookup& env) {
  std::string dir;
  if (!flag.empty()) {
    dir = flag;
  } else if (std::optional<std::string> hub_cache = env("HF_HUB_CACHE")) {
    dir = *hub_cache;
  } else if (std::optional<std::string> hf_home = env("HF_HOME")) {
    dir = *hf_home + "/hub";
  } else if (std::optional<std::string> xdg = env("XDG_CACHE_HOME")) {
    dir = *xdg + "/huggingface/hub";
  } else {
    dir = "~/.cache/huggingface/hub";
  }
  HM_ASSIGN_OR_RETURN(std::string expanded, ExpandHome(std::move(dir), env));
  return TrimTrailingSlashes(std::move(expanded));
}

std::string ResolveToken(const EnvLookup& env) { return env("HF_TOKEN").value_or(""); }

}  // namespace hubmirror
