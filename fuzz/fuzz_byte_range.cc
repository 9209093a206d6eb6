// Range headers against a few sizes: a satisfiable answer always lies inside
// the content.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/byte_range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  for (uint64_t content : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, UINT64_MAX / 2}) {
    hubmirror::ByteRange r = hubmirror::ParseByteRange(header, content);
    if (r.kind != hubmirror::ByteRange::Kind::kSatisfiable) continue;
    if (r.first > r.last || r.last >= content || r.length() > content) std::abort();
  }
  return 0;
}
