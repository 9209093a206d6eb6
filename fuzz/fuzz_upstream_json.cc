// Upstream JSON (tree, paths-info, repo info, repo lists): parsed or refused,
// never a crash, and every accepted path is a valid repo path.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fetcher/hub_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto entries = hubmirror::ParseTreeEntries(json);
  if (entries.ok()) {
    for (const hubmirror::EntryRecord& e : *entries) {
      if (!hubmirror::ValidateRepoPath(e.path).ok()) std::abort();
    }
  }
  (void)hubmirror::ParseRevisionInfo(json);
  auto ids = hubmirror::ParseRepoIds(json);
  if (ids.ok()) {
    for (const std::string& id : *ids) {
      if (!hubmirror::ValidateRepoId(id).ok()) std::abort();
    }
  }
  return 0;
}
