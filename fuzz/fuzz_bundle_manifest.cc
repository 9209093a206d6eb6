// Bundle manifests (the JSON an air-gapped side imports): decoded and
// validated or refused, never a crash; an accepted manifest re-encodes to
// one that decodes to the same thing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/bundle/bundle_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto manifest = hubmirror::DecodeBundleManifest(json);
  if (!manifest.ok()) return 0;
  auto again = hubmirror::DecodeBundleManifest(hubmirror::EncodeBundleManifest(*manifest));
  if (!again.ok() || again->objects != manifest->objects || again->xorbs != manifest->xorbs ||
      again->carries_xorbs != manifest->carries_xorbs) {
    std::abort();
  }
  return 0;
}
