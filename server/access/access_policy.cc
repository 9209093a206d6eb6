#include "server/access/access_policy.h"

#include <fnmatch.h>
#include <strings.h>

#include "store/hash.h"

namespace hubmirror {
namespace {

// Equal-length hex digests compared without an early exit.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& subject) {
  for (const std::string& pattern : patterns) {
    if (fnmatch(pattern.c_str(), subject.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::string AccessPatternSubject(const RepoKey& repo) {
  return repo.DisplayId();
}

AccessPolicy::AccessPolicy(AccessOptions options) : options_(std::move(options)) {}

Result<Caller> AccessPolicy::Identify(std::string_view authorization) const {
  Caller caller;
  if (authorization.empty()) return caller;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      strncasecmp(authorization.data(), kBearer.data(), kBearer.size()) != 0) {
    return Status::Unauthenticated("Authorization must be 'Bearer <token>'");
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  const std::string digest = Sha256Hex(token);
  const AccessToken* match = nullptr;
  for (const AccessToken& t : options_.tokens) {
    if (ConstantTimeEquals(digest, t.token_sha256)) match = &t;
  }
  if (match == nullptr) {
    // No tokens configured: access is not token-based, and a client's own
    // huggingface.co token (which huggingface_hub sends to any endpoint) is
    // simply not ours to judge.
    if (options_.tokens.empty()) return caller;
    return Status::Unauthenticated("Invalid credentials in Authorization header");
  }
  caller.name = match->name;
  caller.token = match;
  return caller;
}

Status AccessPolicy::Authorize(const Caller& caller, const RepoKey& repo, bool restricted) const {
  const std::string subject = AccessPatternSubject(repo);
  if (caller.anonymous()) {
    if (restricted) {
      return Status::Unauthenticated("Access to " + subject +
                                     " is restricted on this mirror: present a token allowed "
                                     "to read it (Authorization: Bearer <token>)")
          .WithHubError(HubError::kGatedRepo, 401);
    }
    if (!options_.anonymous) {
      return Status::Unauthenticated("This mirror requires a token (Authorization: Bearer <token>)")
          .WithHubError(HubError::kRepoNotFound, 401);
    }
    return Status::Ok();
  }
  if (MatchesAny(caller.token->repos, subject) || MatchesAny(caller.token->write, subject)) {
    return Status::Ok();
  }
  if (restricted) {
    return Status::PermissionDenied("Token '" + caller.name + "' is not allowed to read " + subject)
        .WithHubError(HubError::kGatedRepo, 403);
  }
  return Status::NotFound("Token '" + caller.name + "' is not allowed to read " + subject)
      .WithHubError(HubError::kRepoNotFound, 404);
}

Status AccessPolicy::AuthorizeWrite(const Caller& caller, const RepoKey& repo) const {
  const std::string subject = AccessPatternSubject(repo);
  if (caller.anonymous()) {
    return Status::Unauthenticated("Writing to " + subject +
                                   " needs a token with write rights (Authorization: Bearer "
                                   "<token>; `hf auth login` with a token of this mirror)")
        .WithHubError(HubError::kNone, 401);
  }
  if (MatchesAny(caller.token->write, subject)) return Status::Ok();
  return Status::PermissionDenied("Token '" + caller.name + "' may not write to " + subject +
                                  ": add a pattern matching it to the token's `write` list")
      .WithHubError(HubError::kNone, 403);
}

}  // namespace hubmirror
