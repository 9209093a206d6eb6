// AccessPolicy: who may read which repos through this mirror.
//
// Clients present `Authorization: Bearer <token>`. Tokens come from the
// config, each with a name (what the audit log records) and the repo patterns
// it may read (fnmatch over "org/name" for models and "datasets/org/name" for
// datasets; "*" is everything), and the patterns it may write (publish:
// only repos in the mirror's own namespaces, see server/publish/).
//
//   - A request with an unknown token is refused (401), whatever it asks for.
//   - Anonymous requests are allowed only when `anonymous` is on, and never
//     reach a restricted repo (gated or private upstream: the mirror may hold
//     it because its own upstream token was allowed to fetch it).
//   - A token reaches the repos its patterns match, restricted or not.
//
// Tokens are kept as SHA-256 digests and compared in constant time, so the
// policy never holds or logs a client's secret. Immutable after construction;
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct AccessToken {
  std::string name;          // who, in the audit log
  std::string token_sha256;  // lower-hex SHA-256 of the bearer token
  std::vector<std::string> repos;  // patterns this token may read
  // Patterns of repos this token may publish to (create, commit, delete);
  // writing implies reading them.
  std::vector<std::string> write;
};

struct AccessOptions {
  // Requests without a token may read public (not gated, not private) repos.
  bool anonymous = true;
  std::vector<AccessToken> tokens;
  // JSON-lines audit log of downloads; "" = no audit log.
  std::string audit_log_path;
};

// The identity a request was made with.
struct Caller {
  std::string name = "anonymous";
  const AccessToken* token = nullptr;  // null for anonymous
  bool anonymous() const { return token == nullptr; }
};

class AccessPolicy {
 public:
  explicit AccessPolicy(AccessOptions options);

  // Who sent `authorization` (the header's value, "" when absent).
  // Unauthenticated for a token the config does not know.
  Result<Caller> Identify(std::string_view authorization) const;

  // OK when `caller` may read `repo`; `restricted` tells whether the upstream
  // marks it gated or private. The error carries HubError::kGatedRepo for
  // restricted repos and kRepoNotFound otherwise (as the Hub hides repos).
  Status Authorize(const Caller& caller, const RepoKey& repo, bool restricted) const;

  // OK when `caller` may write to `repo`: Unauthenticated (401) for
  // anonymous callers, PermissionDenied (403) naming the missing right for
  // a token whose write patterns do not match.
  Status AuthorizeWrite(const Caller& caller, const RepoKey& repo) const;

 private:
  AccessOptions options_;
};

// "org/name", or "datasets/org/name": what access patterns match against.
std::string AccessPatternSubject(const RepoKey& repo);

}  // namespace hubmirror
