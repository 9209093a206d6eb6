#include "tests/fakehub/options.h"

#include <charconv>
#include <string_view>

namespace fakehub {
namespace {

template <typename T>
bool ParseInt(std::string_view text, T min, T* out) {
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < min) {
    return false;
  }
  *out = value;
  return true;
}

bool ParseHostPort(std::string_view text, HostPort* out) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  int port = 0;
  if (!ParseInt(text.substr(colon + 1), 0, &port) || port > 65535) return false;
  *out = HostPort{std::string(text.substr(0, colon)), port};
  return true;
}

}  // namespace

const char* UsageText() {
  return "usage: hubmirror-fakehub --listen HOST:PORT --cdn-listen HOST:PORT [--page-size N] "
         "[--gated-token TOKEN] [--cdn-url-ttl SECONDS] "
         "[--extra-file REPO_ID:PATH_IN_REPO:LOCAL_FILE]...";
}

std::optional<Options> ParseOptions(int argc, char** argv, std::string* error) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "missing value for " + std::string(arg);
      return std::nullopt;
    }
    bool ok = true;
    if (arg == "--listen") {
      ok = ParseHostPort(value, &options.listen);
    } else if (arg == "--cdn-listen") {
      ok = ParseHostPort(value, &options.cdn_listen);
    } else if (arg == "--page-size") {
      ok = ParseInt<size_t>(value, 1, &options.page_size);
    } else if (arg == "--gated-token") {
      options.gated_token = std::string(value);
      ok = !value.empty();
    } else if (arg == "--cdn-url-ttl") {
      ok = ParseInt<int64_t>(value, 0, &options.cdn_url_ttl_seconds);
    } else if (arg == "--extra-file") {
      std::optional<ExtraFile> file = ParseExtraFile(std::string(value));
      ok = file.has_value();
      if (ok) options.extra_files.push_back(std::move(*file));
    } else {
      *error = "unknown flag " + std::string(arg);
      return std::nullopt;
    }
    if (!ok) {
      *error = "bad value for " + std::string(arg) + ": " + std::string(value);
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace fakehub
