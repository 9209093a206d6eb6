#include "tests/fakehub/url.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace fakehub {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

RawTarget SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {std::string(target), ""};
  return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 0xf]);
    }
  }
  return out;
}

std::optional<std::vector<std::string>> DecodePathSegments(std::string_view raw_path) {
  std::vector<std::string> segments;
  if (!raw_path.empty() && raw_path.front() == '/') raw_path.remove_prefix(1);
  if (raw_path.empty()) return segments;
  size_t start = 0;
  while (true) {
    size_t slash = raw_path.find('/', start);
    std::string_view raw = raw_path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    std::optional<std::string> decoded = PercentDecode(raw, /*plus_is_space=*/false);
    if (!decoded) return std::nullopt;
    segments.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

std::optional<QueryParams> ParseQuery(std::string_view query) {
  QueryParams params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    size_t end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto name = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
      auto value = PercentDecode(
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
      if (!name || !value) return std::nullopt;
      params.emplace_back(std::move(*name), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return params;
}

std::vector<std::string> ParamValues(const QueryParams& params, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : params) {
    if (key == name) values.push_back(value);
  }
  return values;
}

std::optional<std::string> ParamValue(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool ParseBool(std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "true" || lower == "1" || lower == "yes";
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : data) {
    const char* pos = std::find(kBase64Url, kBase64Url + 64, c);
    if (pos == kBase64Url + 64) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(pos - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string JoinSegments(const std::vector<std::string>& segments, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end && i < segments.size(); ++i) {
    if (i > begin) out.push_back('/');
    out += segments[i];
  }
  return out;
}

}  // namespace fakehub
