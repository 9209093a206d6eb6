// Command-line options of hubmirror-fakehub, parsed once at startup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakehub/extra_files.h"

namespace fakehub {

struct HostPort {
  std::string host;
  int port = 0;  // 0 = any free port.
};

struct Options {
  HostPort listen{"127.0.0.1", 0};                  // --listen: the API host (huggingface.co).
  HostPort cdn_listen{"127.0.0.1", 0};              // --cdn-listen: the LFS CDN host.
  size_t page_size = 50;                            // --page-size: tree entries per page (>= 1).
  std::string gated_token = "hf_fake_gated_token";  // --gated-token: grants acme/gated-model.
  int64_t cdn_url_ttl_seconds = 3600;               // --cdn-url-ttl: lifetime of signed CDN URLs.
  std::vector<ExtraFile> extra_files;               // --extra-file (repeatable): local LFS files.
};

// Parses argv ("--flag value" or "--flag=value"). On error returns nullopt
// and sets `error` to a one-line message.
std::optional<Options> ParseOptions(int argc, char** argv, std::string* error);

// One usage line for --help and errors.
const char* UsageText();

}  // namespace fakehub
