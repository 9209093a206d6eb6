// How `hubmirror` subcommands plug into main(): each Add*Command() declares
// its flags on the CLI11 app and, when chosen on the command line, stores the
// function that runs it in the CommandRegistry. main() parses, then runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hubmirror {

struct CommandRegistry {
  // Returns the process exit code.
  std::function<int()> selected;
};

void AddServeCommand(CLI::App* app, CommandRegistry* registry);
// Mirror mode: `hubmirror sync` (cli/sync_command.cc).
void AddSyncCommand(CLI::App* app, CommandRegistry* registry);
// Air-gap bundles (cli/bundle_commands.cc).
void AddInventoryCommand(CLI::App* app, CommandRegistry* registry);
void AddExportCommand(CLI::App* app, CommandRegistry* registry);
void AddImportCommand(CLI::App* app, CommandRegistry* registry);
void AddPullCommand(CLI::App* app, CommandRegistry* registry);
// Storage accounting and migration: `hubmirror du`, `hubmirror migrate`
// (cli/store_commands.cc).
void AddStoreCommands(CLI::App* app, CommandRegistry* registry);
// Retention: `hubmirror pin`, `unpin`, `gc`, `ls` (cli/maintenance_commands.cc).
void AddMaintenanceCommands(CLI::App* app, CommandRegistry* registry);

}  // namespace hubmirror
