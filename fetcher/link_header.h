// Parsing of RFC 8288 Link headers, as the Hub uses them for pagination.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hubmirror {

// The target of the first link whose rel (quoted or not, possibly one of
// several space-separated relation types) is "next", e.g. from
//   <https://hf.co/api/x?cursor=a>; rel="next", <https://...>; rel="prev"
// Only absolute http(s) targets are returned; anything else (a relative
// reference, a malformed header, no next link) gives nullopt.
std::optional<std::string> ParseNextLink(std::string_view link_header);
// The same for any relation type (e.g. "xet-auth").
std::optional<std::string> ParseLinkWithRel(std::string_view link_header, std::string_view rel);

}  // namespace hubmirror
