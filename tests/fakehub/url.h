// Small URL helpers working on raw request targets.
//
// The fake hub routes on the raw target (httplib's Request::target) rather
// than the decoded path, so that "refs%2Fpr%2F1" stays one path segment.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakehub {

// Ordered name/value pairs; names may repeat ("expand=a&expand=b").
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A raw target split at the first '?'.
struct RawTarget {
  std::string path;   // Still percent-encoded.
  std::string query;  // Without the '?'; still encoded.
};

RawTarget SplitTarget(std::string_view target);

// Percent-decodes `s`; '+' becomes a space when `plus_is_space` (query and
// form encoding). Nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Percent-encodes everything except unreserved characters.
std::string PercentEncode(std::string_view s);

// Splits an encoded path ("/a/b%2Fc") into decoded segments ({"a", "b/c"}).
// Nullopt on a malformed escape.
std::optional<std::vector<std::string>> DecodePathSegments(std::string_view raw_path);

// Parses "a=1&b=2&a=3" (query strings and form bodies). Nullopt on a
// malformed escape.
std::optional<QueryParams> ParseQuery(std::string_view query);

// All values of `name`, in order.
std::vector<std::string> ParamValues(const QueryParams& params, std::string_view name);
// The first value of `name`, if present.
std::optional<std::string> ParamValue(const QueryParams& params, std::string_view name);

// "true"/"1"/"yes" (any case) -> true; anything else -> false.
bool ParseBool(std::string_view value);

// Base64url without padding, for opaque cursors.
std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view data);

// Joins segments with '/'.
std::string JoinSegments(const std::vector<std::string>& segments, size_t begin, size_t end);

}  // namespace fakehub
