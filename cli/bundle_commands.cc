// `hubmirror inventory`, `hubmirror export`, `hubmirror import`: moving a
// store's content across an air gap as one bundle file
// (docs/bundle-format.md).
//
// Exit codes: 0 success, 1 the operation failed (nothing imported / no bundle
// written), 2 bad command line.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/progress_display.h"
#include "cli/store_dir.h"
#include "fetcher/path_filter.h"
#include "store/bundle/bundle_importer.h"
#include "store/bundle/bundle_plan.h"
#include "store/bundle/bundle_writer.h"
#include "store/env.h"
#include "store/human_format.h"
#include "store/index/index.h"
#include "store/bundle/inventory.h"
#include "store/chunked_object_store.h"

namespace hubmirror {
namespace {

int Fail(const char* command, const Status& status) {
  std::fprintf(stderr, "hubmirror %s: %s\n", command, status.message().c_str());
  return 1;
}

std::string Bytes(uint64_t n) { return FormatByteSize(n); }

// How progress lines name an object: the first file of the manifest made of
// it ("acme/x/model.safetensors", "+2 more" when others share the bytes),
// rather than its bare sha256.
std::unordered_map<std::string, std::string> ObjectFileNames(const BundleManifest& manifest) {
  std::unordered_map<std::string, std::string> sha256_of_git;
  for (const BundleObject& o : manifest.objects) {
    if (!o.git_sha1.empty()) sha256_of_git[o.git_sha1] = o.sha256;
  }
  std::unordered_map<std::string, std::pair<std::string, uint64_t>> first_and_count;
  for (const RepoSnapshot& repo : manifest.repos) {
    const std::string prefix = repo.repo.DisplayId() + "/";
    for (const CommitSnapshot& commit : repo.commits) {
      for (const EntryRecord& e : commit.entries) {
        if (e.is_directory) continue;
        auto git = sha256_of_git.find(e.oid);
        const std::string sha256 =
            e.is_lfs ? e.lfs_sha256 : (git == sha256_of_git.end() ? "" : git->second);
        auto& [first, count] = first_and_count[sha256];
        if (count++ == 0) first = prefix + e.path;
      }
    }
  }
  std::unordered_map<std::string, std::string> names;
  for (const auto& [sha256, named] : first_and_count) {
    names[sha256] = named.first;
    if (named.second > 1) names[sha256] += " (+" + std::to_string(named.second - 1) + " more)";
  }
  return names;
}

// "acme/x: main, v1 (2 commits)" per repo, for the import summary.
std::string RepoLines(const BundleManifest& manifest) {
  std::string out;
  for (const RepoSnapshot& repo : manifest.repos) {
    std::string refs;
    for (const NamedRef& ref : repo.refs) refs += (refs.empty() ? "" : ", ") + ref.name;
    out += "  " + repo.repo.DisplayId() + ": " +
           (refs.empty() ? "no refs (served by commit id)" : refs) + " (" +
           std::to_string(repo.commits.size()) +
           (repo.commits.size() == 1 ? " commit)\n" : " commits)\n");
  }
  return out;
}

// Without an index the directory holds no store yet (the air-gapped side
// before its first import): its inventory lists 0 objects, so that the first
// bundle can already be made `--since` it. Nothing is created here; the
// import creates the store.
Result<std::string> InventoryOf(Env* env, const std::string& store_dir) {
  if (!env->FileExists(StoreIndexPath(store_dir))) {
    std::fprintf(stderr,
                 "hubmirror inventory: %s holds no store yet (no index); listing 0 objects\n",
                 store_dir.c_str());
    return EmptyInventory(store_dir);
  }
  HM_ASSIGN_OR_RETURN(StoreHandles store, OpenStoreDir(env, store_dir, /*must_exist=*/true));
  return BuildInventory(store.index.get(), store.objects.get(), store_dir);
}

int RunInventory(const std::string& store_dir) {
  std::unique_ptr<Env> env = NewPosixEnv();
  Result<std::string> text = InventoryOf(env.get(), store_dir);
  if (!text.ok()) return Fail("inventory", text.status());
  if (std::fwrite(text->data(), 1, text->size(), stdout) != text->size() ||
      std::fflush(stdout) != 0) {
    return Fail("inventory", Status::FromErrno(errno, "write to stdout"));
  }
  return 0;
}

struct ExportFlags {
  std::string store;
  std::string output;
  std::string since;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> repos;
};

int RunExport(const ExportFlags& flags) {
  std::vector<BundleRepoSpec> specs;
  for (const std::string& text : flags.repos) {
    Result<BundleRepoSpec> spec = ParseBundleRepoSpec(text);
    if (!spec.ok()) return Fail("export", spec.status());
    specs.push_back(std::move(spec).value());
  }
  std::unique_ptr<Env> env = NewPosixEnv();
  InventoryListing destination;
  if (!flags.since.empty()) {
    Result<InventoryListing> listed = ReadInventory(env.get(), flags.since);
    if (!listed.ok()) return Fail("export", listed.status());
    destination = std::move(listed).value();
  }
  Result<StoreHandles> store = OpenStoreDir(env.get(), flags.store, /*must_exist=*/true);
  if (!store.ok()) return Fail("export", store.status());
  // The matcher sync uses, so the same --include/--exclude select the same
  // files on both sides of the air gap.
  BundleFileFilter carry;
  if (!flags.include.empty() || !flags.exclude.empty()) {
    carry = [filter = PathFilter(flags.include, flags.exclude)](const std::string& path) {
      return filter.Matches(path);
    };
  }
  Result<BundleManifest> manifest =
      PlanBundle(store->index.get(), store->objects.get(), specs,
                 flags.since.empty() ? nullptr : &destination.objects, carry,
                 flags.since.empty() ? nullptr : &destination.xorbs);
  if (!manifest.ok()) return Fail("export", manifest.status());

  uint64_t planned_objects = 0;
  uint64_t planned_bytes = 0;
  uint64_t commits = 0;
  for (const BundleObject& o : manifest->objects) {
    if (!o.included) continue;
    ++planned_objects;
    planned_bytes += o.size;
  }
  for (const RepoSnapshot& r : manifest->repos) commits += r.commits.size();
  ProgressDisplay progress(stderr, isatty(STDERR_FILENO) != 0, env.get(), "exported");
  progress.AddPlanned(planned_objects, planned_bytes);
  const std::unordered_map<std::string, std::string> names = ObjectFileNames(*manifest);
  Result<BundleWriteStats> stats = WriteBundle(
      env.get(), store->objects.get(), *manifest, flags.output,
      [&progress, &names](const BundleObject& o) {
        auto it = names.find(o.sha256);
        const std::string& name = it != names.end() ? it->second : o.sha256;
        progress.FileStarted(name, o.size);
        progress.BytesTransferred(name, o.size);
        progress.FileFinished(name, Status::Ok(), /*already_present=*/false);
      });
  if (!stats.ok()) return Fail("export", stats.status());
  progress.Finish();
  std::printf(
      "hubmirror export: wrote %s: %zu repos, %llu commits, %zu objects listed, %llu included "
      "(%s) as %s%s (%s; %llu of %llu chunks compressed), bundle %s\n",
      flags.output.c_str(), manifest->repos.size(), static_cast<unsigned long long>(commits),
      manifest->objects.size(), static_cast<unsigned long long>(stats->objects_written),
      Bytes(stats->raw_bytes).c_str(),
      manifest->carries_xorbs ? std::to_string(stats->xorbs_written).c_str() : "object records",
      manifest->carries_xorbs ? " xorbs" : "", Bytes(stats->stored_bytes).c_str(),
      static_cast<unsigned long long>(stats->compressed_chunks),
      static_cast<unsigned long long>(stats->chunks), Bytes(stats->bundle_bytes).c_str());
  if (manifest->carries_xorbs) {
    size_t left_out = 0;
    for (const BundleXorb& x : manifest->xorbs) left_out += x.included ? 0 : 1;
    if (left_out > 0) {
      std::printf("  %zu xorbs the destination holds (its inventory) left out\n", left_out);
    }
  }
  if (uint64_t left_out = manifest->CountLeftOut(); left_out > 0) {
    std::printf("  %llu files listed but left out by --include/--exclude (no bytes carried)\n",
                static_cast<unsigned long long>(left_out));
  }
  return 0;
}

struct ImportFlags {
  std::string store;
  std::string bundle;
  bool dry_run = false;
};

int RunImport(const ImportFlags& flags) {
  std::unique_ptr<Env> env = NewPosixEnv();
  Result<StoreHandles> store = OpenStoreDir(env.get(), flags.store, /*must_exist=*/false);
  if (!store.ok()) return Fail("import", store.status());
  ProgressDisplay progress(stderr, isatty(STDERR_FILENO) != 0, env.get(),
                           flags.dry_run ? "verified" : "imported");
  ImportOptions options;
  options.dry_run = flags.dry_run;
  std::unordered_map<std::string, std::string> names;
  std::string repo_lines;
  options.on_manifest = [&](const BundleManifest& manifest) {
    names = ObjectFileNames(manifest);
    repo_lines = RepoLines(manifest);
    uint64_t objects = 0;
    uint64_t bytes = 0;
    for (const BundleObject& o : manifest.objects) {
      if (!o.included) continue;
      ++objects;
      bytes += o.size;
    }
    progress.AddPlanned(objects, bytes);
  };
  Result<ImportSummary> summary = ImportBundle(
      env.get(), store->objects.get(), store->index.get(), flags.bundle, options,
      [&progress, &names](const BundleObject& o, bool added) {
        auto it = names.find(o.sha256);
        const std::string& name = it != names.end() ? it->second : o.sha256;
        progress.FileStarted(name, o.size);
        if (added) progress.BytesTransferred(name, o.size);
        progress.FileFinished(name, Status::Ok(), /*already_present=*/!added);
      });
  if (!summary.ok()) {
    std::fprintf(stderr, "hubmirror import: %s\nhubmirror import: nothing was imported; store %s "
                 "is unchanged\n", summary.status().message().c_str(), flags.store.c_str());
    return 1;
  }
  progress.Finish();
  std::printf("hubmirror import: %s %s: %llu repos, %llu refs, %llu commits\n%s",
              flags.dry_run ? "verified (dry run, nothing written)" : "imported",
              flags.bundle.c_str(), static_cast<unsigned long long>(summary->repos),
              static_cast<unsigned long long>(summary->refs),
              static_cast<unsigned long long>(summary->commits), repo_lines.c_str());
  std::printf("  objects: %llu in the bundle, %llu %s (%s), %llu already stored",
              static_cast<unsigned long long>(summary->object_records),
              static_cast<unsigned long long>(summary->objects_added),
              flags.dry_run ? "would be new" : "new", Bytes(summary->bytes_added).c_str(),
              static_cast<unsigned long long>(summary->objects_present));
  if (summary->objects_expected > 0) {
    std::printf("; %llu left out by --since, found here",
                static_cast<unsigned long long>(summary->objects_expected));
  }
  std::printf("\n");
  if (summary->files_left_out > 0) {
    std::printf("  files: %llu listed without their bytes (left out by export "
                "--include/--exclude; not served offline)\n",
                static_cast<unsigned long long>(summary->files_left_out));
  }
  return 0;
}

}  // namespace

void AddInventoryCommand(CLI::App* app, CommandRegistry* registry) {
  auto store = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand(
      "inventory", "Print the objects and xorbs a store holds (input for `export --since`)");
  cmd->add_option("--store", *store, "Store directory")->required();
  cmd->callback([store, registry] { registry->selected = [store] { return RunInventory(*store); }; });
}

void AddExportCommand(CLI::App* app, CommandRegistry* registry) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app->add_subcommand("export", "Write repos of a store into one bundle file");
  cmd->add_option("--store", flags->store, "Store directory to export from")->required();
  cmd->add_option("--output", flags->output, "Bundle file to write")->required();
  cmd->add_option("--since", flags->since,
                  "Inventory of the destination store: leave out objects and xorbs it already has");
  cmd->add_option("--include", flags->include,
                  "Carry only files matching this glob (repeatable), as sync's --include; the "
                  "others stay listed without their bytes")
      ->allow_extra_args(false);
  cmd->add_option("--exclude", flags->exclude,
                  "Do not carry files matching this glob (repeatable), as sync's --exclude")
      ->allow_extra_args(false);
  cmd->add_option("repos", flags->repos,
                  "org/name[@rev] (model), datasets/org/name[@rev] (dataset); without @rev "
                  "every branch and tag the store knows")
      ->required();
  cmd->callback([flags, registry] { registry->selected = [flags] { return RunExport(*flags); }; });
}

void AddImportCommand(CLI::App* app, CommandRegistry* registry) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app->add_subcommand(
      "import", "Verify a bundle and add its repos to a store, all or nothing");
  cmd->add_option("--store", flags->store, "Store directory to import into")->required();
  cmd->add_option("bundle", flags->bundle, "Bundle file written by `hubmirror export`")->required();
  cmd->add_flag("--dry-run", flags->dry_run, "Verify the whole bundle but write nothing");
  cmd->callback([flags, registry] { registry->selected = [flags] { return RunImport(*flags); }; });
}

}  // namespace hubmirror
