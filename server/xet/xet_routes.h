// XetRoutes: the mirror as a Xet CAS for the files it stores
// (../shared/xet-protocol.md (e)), so that clients with hf_xet or the JS
// XetBlob fetch chunk ranges in parallel from the mirror instead of one
// HTTP stream.
//
//   resolve        a stored LFS file's answer carries X-Xet-Hash and
//                  Link: <token URL>; rel="xet-auth", <v1 URL>;
//                  rel="xet-reconstruction-info" (OfferFor, AddResolveHeaders)
//   read token     GET /api/{type}s/{id}/xet-read-token/{rev}: the caller was
//                  authorized for the repo at rev; answers JSON {casUrl,
//                  accessToken, exp} and the X-Xet-* headers
//   reconstruction GET /xet/v{1,2}/reconstructions/{hash}, Bearer read token:
//                  only a file some commit of the token's repo lists
//   xorb bytes     GET /xet/xorbs/{hash}?range&exp&sig: the signed record
//                  range, from the stored xorb file
//
// A stored file is offered under the store's own Xet hash. A file not
// stored yet is offered only when the mirror pulls over Xet and the upstream
// offers it (asked once per file, OfferColdFor): under the upstream's hash,
// whose reconstruction then pulls the file through first (waiting up to
// kColdWaitSeconds, else 503, which hf_xet retries). Otherwise the resolve
// answer carries no Xet signal and clients use HTTP, which pulls it through.
//
// Thread-safe: handlers run on server threads concurrently; collaborators
// must outlive it.
#pragma once

#include "server/http/http_message.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "server/access/access_policy.h"
#include "server/access/audit_log.h"
#include "server/hub_route.h"
#include "server/options.h"
#include "server/pull_through.h"
#include "server/ops/server_metrics.h"
#include "server/xet/xet_signer.h"
#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/index/index.h"

namespace hubmirror {

class XetRoutes {
 public:
  // `audit` and `metrics` may be null.
  XetRoutes(const XetOptions& options, Env* env, const XetSigner* signer, Index* index,
            ChunkedObjectStore* store, AuditLog* audit, ServerMetrics* metrics);

  // The Xet hash to offer for `entry` (an LFS file whose bytes are stored
  // with a Xet hash), or "". Either answer is remembered for
  // kOfferTtlSeconds, so that a cached HEAD does not touch the store's
  // catalog each time (a file stored meanwhile is offered that much later; a
  // file evicted meanwhile is pulled again by its reconstruction, as a cold
  // one is).
  std::string OfferFor(const RepoKey& repo, const std::string& commit, const EntryRecord& entry);
  // The Xet headers of a resolve answer (HEAD, GET and the JS probe).
  void AddResolveHeaders(const std::string& base_url, const HubRoute& route,
                         const std::string& commit, const std::string& xet_hash,
                         HttpResponse* res) const;

  // Offering files not stored yet (serve wires them when pulling over Xet;
  // both must outlive this). Set before the server runs.
  void EnableColdOffers(PullThrough* pull_through, Upstream* upstream, int64_t stall_timeout_ms);
  // Called after each reconstruction served (eviction's recency), like the
  // resolve GET listener. Set before the server runs.
  using DownloadListener = std::function<void(const RepoKey& repo, const std::string& sha256)>;
  void set_download_listener(DownloadListener listener) { on_download_ = std::move(listener); }
  // For an LFS file not stored: the upstream's Xet hash when it offers the
  // file over Xet (its answer kept per file), else "".
  std::string OfferColdFor(const RepoKey& repo, const std::string& commit,
                           const EntryRecord& entry);

  // kXetReadToken, for a caller already authorized to read route.repo.
  void AnswerReadToken(const HubRoute& route, const Caller& caller, const std::string& base_url,
                       HttpResponse* res) const;
  // kXetReconstruction and kXetXorb: they carry the Xet credentials, not a
  // mirror token.
  void HandleReconstruction(const HubRoute& route, const HttpRequest& req,
                            const std::string& base_url, HttpResponse* res);
  void HandleXorb(const HubRoute& route, const HttpRequest& req, HttpResponse* res);

 private:
  int64_t NowSeconds() const;
  // A file announced under an upstream hash and not stored then.
  struct ColdFile {
    RepoKey repo;
    std::string commit;
    EntryRecord entry;
  };
  std::optional<ColdFile> FindCold(const std::string& xet_hash);
  // Pulls a cold file through (or joins its pull) and waits for it.
  Result<XetServedFile> PullCold(const ColdFile& cold);

  const XetOptions& options_;
  Env* env_;
  const XetSigner* signer_;
  Index* index_;
  ChunkedObjectStore* store_;
  AuditLog* audit_;
  ServerMetrics* metrics_;
  PullThrough* pull_through_ = nullptr;
  Upstream* upstream_ = nullptr;
  int64_t stall_timeout_ms_ = 0;
  DownloadListener on_download_;
  std::mutex mu_;
  // "type/id@commit/path" -> the upstream's Xet hash, "" for no offer.
  std::map<std::string, std::string> cold_offers_;  // guarded by mu_
  std::map<std::string, ColdFile> cold_by_hash_;    // guarded by mu_
  struct StoredOffer {
    std::string xet_hash;
    int64_t checked_at_micros = 0;
  };
  std::map<std::string, StoredOffer> stored_offers_;  // by sha256 ("" = not stored); guarded by mu_
};

// Where clients reach the mirror's CAS: `base_url` + "/xet" (no trailing
// slash; the client appends /v1/..., /v2/...).
std::string XetCasUrl(const std::string& base_url);

// The answer to a Xet token request (read or write): JSON {casUrl,
// accessToken, exp} and the same in X-Xet-* headers, never cached.
void WriteXetTokenAnswer(const std::string& cas_url, const std::string& token, int64_t exp,
                         HttpResponse* res);

// The Bearer credential of a CAS request (a Xet read or write token), or "".
std::string XetBearerToken(const HttpRequest& req);

}  // namespace hubmirror
