#include "fetcher/link_header.h"

#include <cctype>

namespace hubmirror {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool IsAbsoluteHttpUrl(std::string_view url) {
  std::string_view rest;
  if (StartsWithIgnoreCase(url, "https://")) {
    rest = url.substr(8);
  } else if (StartsWithIgnoreCase(url, "http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;  // needs a host
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// True if a rel value (already unquoted) lists `want` among its
// space-separated relation types.
bool RelHas(std::string_view rel, std::string_view want) {
  size_t i = 0;
  while (i < rel.size()) {
    while (i < rel.size() && IsSpace(rel[i])) ++i;
    size_t start = i;
    while (i < rel.size() && !IsSpace(rel[i])) ++i;
    if (i > start && EqualsIgnoreCase(rel.substr(start, i - start), want)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> ParseNextLink(std::string_view header) {
  return ParseLinkWithRel(header, "next");
}

std::optional<std::string> ParseLinkWithRel(std::string_view header, std::string_view rel) {
  size_t pos = 0;
  while (pos < header.size()) {
    // Skip separators before a link-value.
    while (pos < header.size() && (IsSpace(header[pos]) || header[pos] == ',')) ++pos;
    if (pos >= header.size()) break;
    if (header[pos] != '<') return std::nullopt;  // malformed
    size_t close = header.find('>', pos + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view target = Trim(header.substr(pos + 1, close - pos - 1));
    pos = close + 1;
    bool is_next = false;
    // Parameters: ; name[=value], value a token or a quoted string.
    while (pos < header.size()) {
      while (pos < header.size() && IsSpace(header[pos])) ++pos;
      if (pos >= header.size() || header[pos] == ',') break;
      if (header[pos] != ';') return std::nullopt;
      ++pos;
      while (pos < header.size() && IsSpace(header[pos])) ++pos;
      size_t name_start = pos;
      while (pos < header.size() && header[pos] != '=' && header[pos] != ';' &&
             header[pos] != ',' && !IsSpace(header[pos])) {
        ++pos;
      }
      std::string_view name = header.substr(name_start, pos - name_start);
      while (pos < header.size() && IsSpace(header[pos])) ++pos;
      std::string value;
      if (pos < header.size() && header[pos] == '=') {
        ++pos;
        while (pos < header.size() && IsSpace(header[pos])) ++pos;
        if (pos < header.size() && header[pos] == '"') {
          ++pos;
          bool closed = false;
          while (pos < header.size()) {
            char c = header[pos++];
            if (c == '\\' && pos < header.size()) {
              value.push_back(header[pos++]);
            } else if (c == '"') {
              closed = true;
              break;
            } else {
              value.push_back(c);
            }
          }
          if (!closed) return std::nullopt;
        } else {
          size_t vstart = pos;
          while (pos < header.size() && header[pos] != ';' && header[pos] != ',' &&
                 !IsSpace(header[pos])) {
            ++pos;
          }
          value = std::string(header.substr(vstart, pos - vstart));
        }
      }
      if (EqualsIgnoreCase(name, "rel") && RelHas(value, rel)) is_next = true;
    }
    if (is_next) {
      if (!IsAbsoluteHttpUrl(target)) return std::nullopt;
      return std::string(target);
    }
  }
  return std::nullopt;
}

}  // namespace hubmirror
