// Link headers: a "next" URL, when found, is an absolute http(s) URL (the
// scheme is case-insensitive, as in RFC 3986).
#include <strings.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fetcher/link_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  std::optional<std::string> next = hubmirror::ParseNextLink(header);
  if (next && strncasecmp(next->c_str(), "http://", 7) != 0 &&
      strncasecmp(next->c_str(), "https://", 8) != 0) {
    std::abort();
  }
  return 0;
}
