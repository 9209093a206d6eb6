// XetSigner: the mirror's Xet credentials, minted and checked with one
// secret key (HMAC-SHA256), so that nothing about them is kept per client.
//
//   read token   what GET .../xet-read-token/{rev} hands out and the CAS
//                routes take as "Authorization: Bearer": bound to one repo
//                and to the caller it was issued to, valid until `exp`.
//   write token  what GET .../xet-write-token/{rev} hands out to a caller
//                allowed to write the repo; the CAS upload routes (xorbs,
//                shards, the dedup query) take it. A read token is never
//                a write token and the other way round.
//   range URL    the query of a xorb range URL in a reconstruction
//                ("range=S-E&exp=..&sig=.."): authorizes exactly those bytes
//                of that xorb, without a header (hf_xet fetches xorb bytes
//                with a client that sends none), until `exp`.
//
// A token or URL is accepted only if its MAC matches and it has not
// expired; the key never leaves the process. Thread-safe (immutable).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/env.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

// What a read token grants: reading files of `repo` (the files its commits
// list), on behalf of `who`, until `expires_at` (unix seconds).
struct XetReadGrant {
  RepoKey repo;
  std::string who;
  int64_t expires_at = 0;
};

class XetSigner {
 public:
  // `key`: 32 or more secret bytes (LoadOrCreateXetKey).
  explicit XetSigner(std::string key);

  std::string IssueReadToken(const XetReadGrant& grant) const;
  // The grant of a token this key issued; Unauthenticated for anything else
  // or a token expired at `now_seconds`.
  Result<XetReadGrant> CheckReadToken(std::string_view token, int64_t now_seconds) const;
  // The same for write tokens (the grant then means: may upload for `repo`).
  std::string IssueWriteToken(const XetReadGrant& grant) const;
  Result<XetReadGrant> CheckWriteToken(std::string_view token, int64_t now_seconds) const;

  // The query string authorizing bytes [first, last] (inclusive) of the
  // xorb `xorb_hex` until `expires_at`.
  std::string SignRange(std::string_view xorb_hex, uint64_t first, uint64_t last,
                        int64_t expires_at) const;
  // Checks a range query ("range=S-E&exp=..&sig=..", already split into its
  // values) for `xorb_hex`; PermissionDenied when the signature does not
  // match or has expired (hf_xet answers a 403 by asking for fresh URLs).
  Status CheckRange(std::string_view xorb_hex, std::string_view range, std::string_view exp,
                    std::string_view sig, int64_t now_seconds, uint64_t* first,
                    uint64_t* last) const;

 private:
  std::string Mac(std::string_view message) const;  // hex
  std::string IssueToken(std::string_view scope, const XetReadGrant& grant) const;
  Result<XetReadGrant> CheckToken(std::string_view scope, std::string_view token,
                                  int64_t now_seconds) const;

  const std::string key_;
};

// The key kept in `path` (created with 32 random bytes, mode 0600, when
// absent): tokens stay valid across a restart of the server.
Result<std::string> LoadOrCreateXetKey(Env* env, const std::string& path);

}  // namespace hubmirror
