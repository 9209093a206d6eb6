#include "tests/fakehub/pagination.h"

#include <charconv>

namespace fakehub {
namespace {

constexpr std::string_view kCursorPrefix = "offset:";

}  // namespace

std::string EncodeCursor(size_t offset) {
  return Base64UrlEncode(std::string(kCursorPrefix) + std::to_string(offset));
}

std::optional<size_t> DecodeCursor(std::string_view cursor) {
  std::optional<std::string> text = Base64UrlDecode(cursor);
  if (!text || text->compare(0, kCursorPrefix.size(), kCursorPrefix) != 0) return std::nullopt;
  size_t offset = 0;
  const char* begin = text->data() + kCursorPrefix.size();
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(begin, end, offset);
  if (begin == end || ec != std::errc() || ptr != end) return std::nullopt;
  return offset;
}

std::string NextPageUrl(const ServerState& state, const RawTarget& raw, std::string_view param,
                        const std::string& value) {
  std::string query;
  size_t start = 0;
  while (start < raw.query.size()) {
    size_t amp = raw.query.find('&', start);
    std::string_view pair = std::string_view(raw.query).substr(
        start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!pair.empty() && pair.substr(0, pair.find('=')) != param) {
      query += std::string(pair) + "&";
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return state.api_base_url() + raw.path + "?" + query + std::string(param) + "=" + value;
}

void LinkNextCursor(const ServerState& state, const RawTarget& raw, size_t end, size_t total,
                    httplib::Response& res) {
  if (end >= total) return;
  res.set_header("Link",
                 "<" + NextPageUrl(state, raw, "cursor", EncodeCursor(end)) + ">; rel=\"next\"");
}

}  // namespace fakehub
