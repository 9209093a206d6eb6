// hubmirror: a self-hosted mirror and cache of Hugging Face-compatible hubs.
#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli/serve_command.h"
#include "server/options.h"

namespace {

struct ServeFlags {
  std::string config;
  std::string listen;
  std::string store;
  std::string upstream;
  bool offline = false;
  int64_t revision_ttl = -1;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hubmirror: a self-hosted mirror and cache of the Hugging Face Hub"};
  app.require_subcommand(1);

  ServeFlags flags;
  CLI::App* serve = app.add_subcommand("serve", "Serve the Hub API, pulling through from upstream");
  serve->add_option("--config", flags.config, "TOML config file (flags override it)");
  serve->add_option("--listen", flags.listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve->add_option("--store", flags.store, "Store directory (default ./data)");
  serve->add_option("--upstream", flags.upstream, "Upstream hub URL (default https://huggingface.co)");
  serve->add_flag("--offline", flags.offline, "Never contact the upstream");
  serve->add_option("--revision-ttl", flags.revision_ttl,
                    "Seconds a branch/tag resolution is trusted (default 300)");
  serve->footer("The upstream token is read from HF_TOKEN (or upstream.token in the config).");

  CLI11_PARSE(app, argc, argv);

  hubmirror::ServerOptions options;
  if (!flags.config.empty()) {
    hubmirror::Status s = hubmirror::LoadConfigFile(flags.config, &options);
    if (!s.ok()) {
      std::fprintf(stderr, "hubmirror: %s\n", s.message().c_str());
      return 2;
    }
  }
  if (!flags.listen.empty()) {
    hubmirror::Status s = hubmirror::ParseListenAddress(flags.listen, &options);
    if (!s.ok()) {
      std::fprintf(stderr, "hubmirror: --listen: %s\n", s.message().c_str());
      return 2;
    }
  }
  if (!flags.store.empty()) options.store_dir = flags.store;
  if (!flags.upstream.empty()) options.upstream.endpoint = flags.upstream;
  while (!options.upstream.endpoint.empty() && options.upstream.endpoint.back() == '/') {
    options.upstream.endpoint.pop_back();
  }
  if (flags.offline) options.offline = true;
  if (flags.revision_ttl >= 0) options.revision_ttl_seconds = flags.revision_ttl;
  if (const char* token = std::getenv("HF_TOKEN"); token != nullptr && *token != '\0') {
    options.upstream.token = token;
  }
  if (hubmirror::Status s = hubmirror::ValidateOptions(options); !s.ok()) {
    std::fprintf(stderr, "hubmirror: %s\n", s.message().c_str());
    return 2;
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code = hubmirror::RunServe(options);
  curl_global_cleanup();
  return code;
}
