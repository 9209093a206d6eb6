// HTML building blocks for the web UI: escaping, URL encoding, human-readable
// sizes and times, and the page layout.
//
// Every string that reaches a page from an upstream (repo ids, file paths,
// ref names, commit titles) or from the request goes through HtmlEscape,
// which is safe in element text and in quoted attribute values alike; URLs
// are built with UrlEncode before being escaped. The layout carries its own
// inline CSS and references nothing outside the page, so the UI works on an
// air-gapped network (and under the strict Content-Security-Policy the UI
// sends). Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/url_text.h"
#include "store/human_format.h"

namespace hubmirror {

// Replaces & < > " ' with character references, and control bytes (other
// than tab and newline) and invalid UTF-8 with U+FFFD, so the result can be
// placed in element text or a single- or double-quoted attribute value.
std::string HtmlEscape(std::string_view text);

// Wraps `text` in single quotes for a POSIX shell unless it is made of
// characters a shell never interprets ([A-Za-z0-9._/:@%+=,-]).
std::string ShellQuote(std::string_view text);

// <span title="N bytes">human</span>: the exact figure on hover.
std::string HtmlBytes(uint64_t bytes);
// "just now", "42 s ago", "3 min ago", "5 h ago", "2 days ago"; the UTC time
// for anything older than 30 days or in the future.
std::string FormatAge(int64_t micros, int64_t now_micros);
// <time datetime="UTC" title="UTC">age</time>.
std::string HtmlTime(int64_t micros, int64_t now_micros);
// A percentage with one decimal, "42.0 %".
std::string FormatPercent(double fraction);

// Which top-level section a page belongs to (highlighted in the navigation).
enum class UiSection { kRepos, kStorage, kSync, kNone };

// A complete HTML document: head (charset, title, inline CSS), the
// navigation bar, then `body_html` (already escaped markup). `title` is
// escaped here.
std::string HtmlPage(std::string_view title, UiSection section, std::string_view body_html);

}  // namespace hubmirror
