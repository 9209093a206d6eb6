#include "server/ui/html.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace hubmirror {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i], or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n = 0;
  uint32_t min = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

constexpr std::string_view kCss = R"css(
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--accent:#0b5cad;--ok:#1a7f37;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#24292f;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
header .brand{font-weight:700;font-size:16px;color:#fff;text-decoration:none}
header nav a{color:#d0d7de;text-decoration:none;margin-right:16px}
header nav a.active,header nav a:hover{color:#fff;text-decoration:underline}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px;word-break:break-all}
h2{font-size:16px;margin:24px 0 8px}
a{color:var(--accent)}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
td.path{word-break:break-all}
td.hash{word-break:break-all;max-width:380px}
pre.cmd{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 12px;white-space:pre-wrap;word-break:break-all;user-select:all;margin:4px 0}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;border:1px solid var(--line);background:var(--soft)}
.badge.ok{color:var(--ok);border-color:var(--ok)}
.badge.warn{color:var(--warn);border-color:var(--warn)}
.refs a{margin-right:8px}
.refs a.current{font-weight:700}
form.filter{margin:8px 0;display:flex;gap:8px}
form.filter input[type=text]{flex:1;max-width:420px;padding:4px 8px;border:1px solid var(--line);border-radius:6px}
form.filter button{padding:4px 12px;border:1px solid var(--line);border-radius:6px;background:var(--soft)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
)css";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&#39;"; ++i; continue;
      default: break;
    }
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      out += kReplacement;
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string ShellQuote(std::string_view text) {
  bool plain = !text.empty();
  for (char c : text) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '/' || c == ':' || c == '@' || c == '%' ||
                      c == '+' || c == '=' || c == ',' || c == '-';
    if (!safe) plain = false;
  }
  if (plain) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

std::string HtmlBytes(uint64_t bytes) {
  return "<span title=\"" + std::to_string(bytes) + " bytes\">" + FormatByteSize(bytes) + "</span>";
}

std::string FormatAge(int64_t micros, int64_t now_micros) {
  const int64_t age_s = (now_micros - micros) / 1'000'000;
  if (age_s < 0 || age_s > 30 * 86400) return FormatUtcSeconds(micros);
  if (age_s < 5) return "just now";
  if (age_s < 60) return std::to_string(age_s) + " s ago";
  if (age_s < 3600) return std::to_string(age_s / 60) + " min ago";
  if (age_s < 86400) return std::to_string(age_s / 3600) + " h ago";
  const int64_t days = age_s / 86400;
  return std::to_string(days) + (days == 1 ? " day ago" : " days ago");
}

std::string HtmlTime(int64_t micros, int64_t now_micros) {
  const std::string utc = FormatUtcSeconds(micros);
  return "<time datetime=\"" + utc + "\" title=\"" + utc + "\">" +
         HtmlEscape(FormatAge(micros, now_micros)) + "</time>";
}

std::string FormatPercent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %%", fraction * 100.0);
  return buf;
}

std::string HtmlPage(std::string_view title, UiSection section, std::string_view body_html) {
  const auto nav = [section](UiSection s, const char* href, const char* label) {
    return std::string("<a href=\"") + href + "\"" + (s == section ? " class=\"active\"" : "") +
           ">" + label + "</a>";
  };
  std::string out;
  out.reserve(body_html.size() + kCss.size() + 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out += "<title>" + HtmlEscape(title) + " · hubmirror</title><style>";
  out += kCss;
  out += "</style></head><body><header><a class=\"brand\" href=\"/\">hubmirror</a><nav>";
  out += nav(UiSection::kRepos, "/", "Repositories");
  out += nav(UiSection::kStorage, "/ui/storage", "Storage");
  out += nav(UiSection::kSync, "/ui/sync", "Sync");
  out += "</nav></header><main>";
  out += body_html;
  out += "</main></body></html>\n";
  return out;
}

}  // namespace hubmirror
