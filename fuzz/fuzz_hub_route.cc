// Request targets as a client could send them: every parse either fails with
// InvalidArgument/NotFound or yields components that pass the validators.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/hub_route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  for (const char* method : {"GET", "POST"}) {
    hubmirror::Result<hubmirror::HubRoute> route = hubmirror::ParseHubRoute(method, input);
    if (!route.ok()) continue;
    // Only repo routes carry ids, revisions and paths; the others are fixed
    // paths (refs carries an id alone).
    if (route->kind == hubmirror::RouteKind::kRefs &&
        !hubmirror::ValidateRepoId(route->repo.id).ok()) {
      std::abort();
    }
    if (!hubmirror::RouteHasRepo(route->kind)) continue;
    // A route that parsed must be safe to use as a key and in a URL.
    if (!hubmirror::ValidateRepoId(route->repo.id).ok()) std::abort();
    if (!hubmirror::ValidateRevision(route->revision).ok()) std::abort();
    if (!hubmirror::ValidateRepoPath(route->path, /*allow_empty=*/true).ok()) std::abort();
  }
  return 0;
}
