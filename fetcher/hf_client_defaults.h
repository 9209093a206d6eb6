// How huggingface_hub clients pick their defaults, for `hubmirror pull` to
// behave the same: repo names on the command line, the hub endpoint, the
// cache folder and the token.
//
// Environment variables are read through an EnvLookup, so callers (and
// tests) decide where they come from; these functions keep no state and are
// thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

// Returns a variable's value, or nullopt when unset. Empty values count as
// unset, as in huggingface_hub.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnvLookup();

inline constexpr const char* kDefaultPullEndpoint = "http://127.0.0.1:8080";

// "org/name" or legacy "name" (a model); "datasets/org/name" or
// "datasets/name" (a dataset); "models/org/name" is accepted too. The id is
// validated (ValidateRepoId).
Result<RepoKey> ParseRepoSpec(std::string_view spec);

// --endpoint, else HF_ENDPOINT, else kDefaultPullEndpoint; trailing '/'
// removed. Must be an http:// or https:// URL.
Result<std::string> ResolveEndpoint(const std::string& flag, const EnvLookup& env);

// --cache-dir, else HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. A leading
// "~/" is expanded with HOME.
Result<std::string> ResolveHubCacheDir(const std::string& flag, const EnvLookup& env);

// HF_TOKEN, or "" for anonymous access.
std::string ResolveToken(const EnvLookup& env);

}  // namespace hubmirror
