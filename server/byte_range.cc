#include "server/byte_range.h"

#include <charconv>
#include <optional>

namespace hubmirror {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only (no sign, no spaces); nullopt on anything else or overflow.
std::optional<uint64_t> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

ByteRange ParseByteRange(std::string_view header, uint64_t size) {
  ByteRange ignored;
  header = Trim(header);
  constexpr std::string_view kPrefix = "bytes=";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) {
    return ignored;
  }
  std::string_view spec = Trim(header.substr(kPrefix.size()));
  if (spec.find(',') != std::string_view::npos) return ignored;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return ignored;
  std::string_view first_text = Trim(spec.substr(0, dash));
  std::string_view last_text = Trim(spec.substr(dash + 1));

  ByteRange range;
  if (first_text.empty()) {
    // Suffix range: the last n bytes.
    std::optional<uint64_t> n = ParseNumber(last_text);
    if (!n) return ignored;
    if (*n == 0 || size == 0) {
      range.kind = ByteRange::Kind::kUnsatisfiable;
      return range;
    }
    range.kind = ByteRange::Kind::kSatisfiable;
    range.first = *n >= size ? 0 : size - *n;
    range.last = size - 1;
    return range;
  }
  std::optional<uint64_t> first = ParseNumber(first_text);
  if (!first) return ignored;
  std::optional<uint64_t> last;
  if (!last_text.empty()) {
    last = ParseNumber(last_text);
    if (!last || *last < *first) return ignored;
  }
  if (*first >= size) {
    range.kind = ByteRange::Kind::kUnsatisfiable;
    return range;
  }
  range.kind = ByteRange::Kind::kSatisfiable;
  range.first = *first;
  range.last = last && *last < size - 1 ? *last : size - 1;
  return range;
}

}  // namespace hubmirror
