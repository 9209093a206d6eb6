// `hubmirror du`, `hubmirror migrate` and `hubmirror verify`: storage
// accounting, moving a store of an older layout (objects/sha256/ files,
// chunks/ packs) into Xet chunks in xorbs, and a full consistency check.
//
// Exit codes: 0 success, 1 the operation failed, 2 bad command line.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/progress_display.h"
#include "cli/store_dir.h"
#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/upkeep/storage_usage.h"
#include "store/upkeep/store_verifier.h"

namespace hubmirror {
namespace {

int Fail(const char* command, const Status& status) {
  std::fprintf(stderr, "hubmirror %s: %s\n", command, status.message().c_str());
  return 1;
}

int RunDu(const StoreTarget& target, bool json) {
  std::unique_ptr<Env> env = NewPosixEnv();
  Result<StoreHandles> store = OpenStoreTarget(env.get(), target);
  if (!store.ok()) return Fail("du", store.status());
  auto usage = ComputeStorageUsage(store->index.get(), store->objects.get());
  if (!usage.ok()) return Fail("du", usage.status());
  std::string out = json ? StorageUsageJson(*usage) + "\n" : StorageUsageTable(*usage);
  std::fputs(out.c_str(), stdout);
  return 0;
}

int RunMigrate(const std::string& dir) {
  std::unique_ptr<Env> env = NewPosixEnv();
  Result<StoreHandles> store = OpenStoreDir(env.get(), dir, /*must_exist=*/true);
  if (!store.ok()) return Fail("migrate", store.status());
  ProgressDisplay display(stderr, isatty(STDERR_FILENO) != 0, env.get(), "migrated");
  StoreProgress progress;
  progress.planned = [&](uint64_t objects, uint64_t bytes) { display.AddPlanned(objects, bytes); };
  progress.started = [&](const std::string& sha, uint64_t size) { display.FileStarted(sha, size); };
  progress.bytes = [&](const std::string& sha, uint64_t n) { display.BytesTransferred(sha, n); };
  progress.finished = [&](const std::string& sha, const Status& s, bool already) {
    display.FileFinished(sha, s, already);
  };
  auto moved = store->objects->MigrateLegacyObjects(progress);
  display.Finish();
  if (!moved.ok()) return Fail("migrate", moved.status());
  // Objects stored before the index recorded Xet hashes get theirs now.
  auto objects = store->index->ListObjects();
  if (!objects.ok()) return Fail("migrate", objects.status());
  uint64_t filled = 0;
  for (ObjectRecord& object : *objects) {
    if (!object.xet_hash.empty()) continue;
    auto row = store->objects->GetObjectRow(object.sha256);
    if (!row.ok() || row->xet_hash.empty()) continue;
    object.xet_hash = row->xet_hash;
    if (Status s = store->index->PutObject(object); !s.ok()) return Fail("migrate", s);
    ++filled;
  }
  std::fprintf(stderr,
               "hubmirror migrate: %llu objects rewritten as Xet chunks in xorbs, %llu index "
               "rows given their Xet hash\n",
               static_cast<unsigned long long>(*moved), static_cast<unsigned long long>(filled));
  return 0;
}

int RunVerify(const StoreTarget& target) {
  std::unique_ptr<Env> env = NewPosixEnv();
  Result<StoreHandles> store = OpenStoreTarget(env.get(), target);
  if (!store.ok()) return Fail("verify", store.status());
  auto report = VerifyStore(store->index.get(), store->objects.get());
  if (!report.ok()) return Fail("verify", report.status());
  for (const std::string& problem : report->problems) {
    std::fprintf(stdout, "PROBLEM %s\n", problem.c_str());
  }
  // Warnings (reclaimable garbage) do not make a store unclean: exit 0.
  for (const std::string& warning : report->warnings) {
    std::fprintf(stdout, "WARNING %s\n", warning.c_str());
  }
  const std::string warnings =
      report->warnings.empty() ? ""
                               : ", " + std::to_string(report->warnings.size()) + " warning(s)";
  std::fprintf(stdout, "%llu objects (%llu bytes) re-hashed, %llu refs checked: %s%s\n",
               static_cast<unsigned long long>(report->objects_checked),
               static_cast<unsigned long long>(report->bytes_checked),
               static_cast<unsigned long long>(report->refs_checked),
               report->problems.empty() ? "clean" : "PROBLEMS FOUND", warnings.c_str());
  return report->problems.empty() ? 0 : 1;
}

}  // namespace

void AddStoreCommands(CLI::App* app, CommandRegistry* registry) {
  auto dir = std::make_shared<std::string>("./data");
  auto json = std::make_shared<bool>(false);
  auto target = std::make_shared<StoreTarget>();
  const char* config_help =
      "a node's config file: its store, also on PostgreSQL and a bucket (instead of --store)";
  CLI::App* du = app->add_subcommand(
      "du", "Per repo and in total: logical bytes, after file-level dedup, stored, saving");
  du->add_option("--store", target->dir, "store directory")->capture_default_str();
  du->add_option("--config", target->config, config_help);
  du->add_flag("--json", *json, "print the JSON document of GET /api/admin/storage");
  du->callback([registry, target, json] {
    registry->selected = [target, json] { return RunDu(*target, *json); };
  });

  CLI::App* migrate = app->add_subcommand(
      "migrate", "Rewrite a store of an older layout (objects/sha256/ files, chunks/ packs) as Xet chunks in xorbs");
  migrate->add_option("--store", *dir, "store directory")->capture_default_str();
  migrate->callback([registry, dir] { registry->selected = [dir] { return RunMigrate(*dir); }; });

  CLI::App* verify = app->add_subcommand(
      "verify",
      "Re-hash every stored object and check the index; exit 1 on any problem (reclaimable "
      "pack garbage is only a warning)");
  verify->add_option("--store", target->dir, "store directory")->capture_default_str();
  verify->add_option("--config", target->config, config_help);
  verify->callback([registry, target] {
    registry->selected = [target] { return RunVerify(*target); };
  });
}

}  // namespace hubmirror
