// URL pieces built from untrusted text: percent-encoding for paths and
// query values, and the check that a Host header may be echoed into a URL.
// Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace hubmirror {

// Percent-encodes everything but RFC 3986 unreserved characters; with
// `keep_slash`, '/' stays literal (for a path of several segments).
std::string UrlEncode(std::string_view text, bool keep_slash);

// Whether a Host header value looks like host[:port] (letters, digits, '.',
// '-', ':', '[', ']'), so it may be echoed back in a URL.
bool IsPlausibleHost(std::string_view host);

}  // namespace hubmirror
