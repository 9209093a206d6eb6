// ApiDocuments: the read routes whose answers the index does not model, as
// whole JSON documents: a repo's refs (GET /api/{type}s/{id}/refs), its
// commit history (/commits/{rev}) and the listings of repos
// (GET /api/{models,datasets,spaces}).
//
// Online, a document is asked upstream (with the mirror's own token, never
// the client's), kept in the ApiDocumentCache and answered from there for
// revision_ttl_seconds. When the upstream cannot be asked (offline, or
// unreachable and the cached copy expired or absent) the answer comes from
// what the store knows (OfflineDocuments) and is marked stale:
//   refs      the refs the index holds (tags stay tags when an upstream
//             refs document was kept)
//   commits   the kept history when it still starts at the commit the
//             revision resolves to, else that one commit
//   listings  the stored repos, filtered, sorted and paged locally
// A Hub verdict (RepoNotFound, RevisionNotFound, GatedRepo) is passed on.
// Listings only show repos the caller may read; refs and commits need the
// same access as the repo's files.
//
// Thread-safe. Every pointer must outlive the object; the catalog's upstream
// is null when offline.
#pragma once

#include <cstdint>
#include <string>

#include "server/access/access_policy.h"
#include "server/hub_route.h"
#include "server/options.h"
#include "server/catalog/repo_catalog.h"
#include "server/catalog/single_flight.h"
#include "store/index/api_document_cache.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/status.h"

namespace hubmirror {

struct ApiAnswer {
  std::string body;  // JSON
  // The next page as a path and query on this mirror, or "".
  std::string next;
  int64_t total_count = -1;  // X-Total-Count, or -1
  bool stale = false;        // the upstream could not be asked
};

class ApiDocuments {
 public:
  ApiDocuments(const ServerOptions& options, Env* env, Index* index, ApiDocumentCache* cache,
               RepoCatalog* catalog, const AccessPolicy* access);
  ApiDocuments(const ApiDocuments&) = delete;
  ApiDocuments& operator=(const ApiDocuments&) = delete;

  Result<ApiAnswer> Refs(const HubRoute& route, const Caller& caller);
  Result<ApiAnswer> Commits(const HubRoute& route, const Caller& caller);
  Result<ApiAnswer> RepoList(const HubRoute& route, const Caller& caller);

 private:
  // A published repo's history from the index (no upstream involved).
  Result<ApiAnswer> HostedCommits(const HubRoute& route, const std::string& head);
  // A document as the upstream answers `upstream_path`, from the cache while
  // fresh. Unavailable/DeadlineExceeded when the upstream cannot be asked
  // (then the caller answers from the store); a Hub verdict otherwise.
  Result<CachedDocument> Online(const std::string& key, const std::string& upstream_path);
  // Resolves `revision` and checks that `caller` may read the repo.
  Result<Resolution> Authorize(const RepoKey& repo, const std::string& revision,
                               const Caller& caller);
  Result<ApiAnswer> OfflineRepoListAnswer(const HubRoute& route, const Caller& caller);

  const ServerOptions& options_;
  Env* env_;
  Index* index_;
  ApiDocumentCache* cache_;
  RepoCatalog* catalog_;
  const AccessPolicy* access_;
  SingleFlight<CachedDocument> flight_;
};

}  // namespace hubmirror
