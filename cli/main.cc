// hubmirror: a self-hosted mirror and cache of Hugging Face-compatible hubs.
#include <curl/curl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"hubmirror: a self-hosted mirror and cache of the Hugging Face Hub"};
  app.require_subcommand(1);
  hubmirror::CommandRegistry registry;
  hubmirror::AddServeCommand(&app, &registry);
  hubmirror::AddSyncCommand(&app, &registry);
  hubmirror::AddInventoryCommand(&app, &registry);
  hubmirror::AddExportCommand(&app, &registry);
  hubmirror::AddImportCommand(&app, &registry);
  hubmirror::AddPullCommand(&app, &registry);
  hubmirror::AddStoreCommands(&app, &registry);
  hubmirror::AddMaintenanceCommands(&app, &registry);

  CLI11_PARSE(app, argc, argv);
  if (!registry.selected) return 2;
  // Descriptors are cheap and the store opens many (a xorb file per xorb a
  // reader or a deduplicating writer touches, one per connection): take the
  // hard limit rather than a shell's soft 1024.
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code = registry.selected();
  curl_global_cleanup();
  return code;
}
