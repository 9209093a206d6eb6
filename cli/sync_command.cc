// `hubmirror sync`: mirror mode, run once. Copies the named revisions of repos
// (or the config's [[sync.repos]] list) into the store so that `serve
// --offline` can serve them; see fetcher/repo_sync.h for what "complete" means.
//
// Output: progress on stderr (redrawn on a terminal, plain lines otherwise);
// one line per revision on stdout ("synced ..." / "unchanged ..."); every
// failure on stderr, naming repo, revision, file and the fix. Exit status 0
// when everything synced, 1 when anything failed, 2 for usage errors.
//
// The store may be served by a running `serve` meanwhile: sync publishes a
// revision only when it is complete. At start it removes temp files no live
// process holds (a crashed run's), keeping the resumable partials of files
// an interrupted sync had begun: this run continues them with Range.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/common_options.h"
#include "cli/progress_display.h"
#include "fetcher/repo_sync.h"
#include "fetcher/sync_list.h"
#include "fetcher/upstream.h"
#include "fetcher/xet/xet_upstream.h"
#include "server/upstream/upstreams.h"
#include "server/options.h"
#include "store/xorb/xorb_object_store.h"
#include "store/env.h"
#include "store/human_format.h"
#include "store/index/index.h"
#include "store/chunked_object_store.h"

namespace hubmirror {
namespace {

struct SyncFlags {
  std::string config;
  std::string store;
  std::vector<std::string> upstreams;
  int concurrency = 0;  // 0: not given
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> repos;
  bool no_pin = false;
  bool no_xet_pull = false;
};

// Defaults, then the config file, then flags, then HF_TOKEN; validated once.
// `offline` in the config is ignored: syncing is what fills an offline store.
Result<ServerOptions> ResolveSyncOptions(const SyncFlags& flags) {
  HM_ASSIGN_OR_RETURN(ServerOptions options,
                      LoadCommonOptions(flags.config, flags.store, flags.upstreams));
  options.offline = false;
  if (flags.no_xet_pull) options.xet.pull = false;
  if (flags.concurrency != 0) options.sync.concurrency = flags.concurrency;
  HM_RETURN_IF_ERROR(ValidateOptions(options));
  return options;
}

// The REPO arguments (with --include/--exclude) when given, else the config's
// list: command-line repos replace the config's, as flags override settings.
Result<std::vector<SyncRepoSpec>> ResolveSyncList(const SyncFlags& flags,
                                                  const ServerOptions& options) {
  if (flags.repos.empty()) {
    if (!flags.include.empty() || !flags.exclude.empty()) {
      return Status::InvalidArgument(
          "--include/--exclude apply to REPO arguments; for the config's list put include/exclude "
          "in its [[sync.repos]] entries");
    }
    if (options.sync.repos.empty()) {
      return Status::InvalidArgument(
          "nothing to sync: name REPOs (org/name[@rev], datasets/org/name[@rev], org/*) or list "
          "[[sync.repos]] in --config");
    }
    return options.sync.repos;
  }
  std::vector<SyncRepoSpec> specs;
  for (const std::string& text : flags.repos) {
    HM_ASSIGN_OR_RETURN(SyncRepoSpec spec, ParseSyncRepoSpec(text));
    spec.include = flags.include;
    spec.exclude = flags.exclude;
    spec.pin = !flags.no_pin;
    specs.push_back(std::move(spec));
  }
  return specs;
}

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "hubmirror sync: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

void PrintRevisionLine(const RepoKey& repo, const RevisionSyncReport& r) {
  const std::string name = repo.DisplayId() + "@" + r.revision;
  if (!r.status.ok()) {
    std::printf("failed %s\n", name.c_str());
  } else if (r.unchanged) {
    std::printf("unchanged %s %s (%" PRIu64 " files stored)\n", name.c_str(), r.commit.c_str(),
                r.files_selected);
  } else {
    std::printf("synced %s %s (%" PRIu64 " files, %" PRIu64 " transferred, %s)\n", name.c_str(),
                r.commit.c_str(), r.files_selected, r.files_transferred,
                FormatByteSize(r.bytes_transferred).c_str());
  }
}

int RunSync(const ServerOptions& options, const std::vector<SyncRepoSpec>& specs) {
  std::unique_ptr<Env> env = NewPosixEnv();
  if (Status s = env->CreateDirs(options.store_dir); !s.ok()) {
    return Fail("cannot create store directory " + options.store_dir, s);
  }
  Result<std::unique_ptr<ChunkedObjectStore>> store =
      NewXorbObjectStore(env.get(), options.store_dir);
  if (!store.ok()) return Fail("cannot open store " + options.store_dir, store.status());
  // Safe beside a running `serve` or another sync: files their writers hold
  // (flock) are skipped.
  if (Status s = (*store)->CleanTemporaryFiles(); !s.ok()) {
    std::fprintf(stderr, "hubmirror sync: warning: cleaning %s/tmp: %s\n",
                 options.store_dir.c_str(), s.ToString().c_str());
  }
  Result<std::unique_ptr<Index>> index = Index::Open(options.store_dir + "/index.sqlite");
  if (!index.ok()) return Fail("cannot open index in " + options.store_dir, index.status());
  std::unique_ptr<Upstream> chain = NewUpstreams(options, env.get());
  XetPullStats xet_stats;
  std::unique_ptr<Upstream> xet_upstream;
  if (options.xet.pull) {
    xet_upstream = std::make_unique<XetUpstream>(chain.get(), options.upstreams, store->get(),
                                                 &xet_stats, stderr);
  }
  Upstream* upstream_ptr = xet_upstream ? xet_upstream.get() : chain.get();

  RepoSyncer syncer(env.get(), index->get(), store->get(), upstream_ptr,
                    RepoSyncerOptions{options.sync.concurrency, nullptr});
  ProgressDisplay progress(stderr, isatty(STDERR_FILENO) == 1, env.get());
  Result<std::unique_ptr<RetentionDb>> pins =
      RetentionDb::Open(options.store_dir + "/retention.sqlite");
  if (!pins.ok()) return Fail("cannot open retention database in " + options.store_dir, pins.status());
  SyncListReport report = RunSyncList(specs, upstream_ptr, &syncer, &progress, pins->get());
  progress.Finish();

  for (const SyncReport& repo : report.repos) {
    for (const RevisionSyncReport& r : repo.revisions) PrintRevisionLine(repo.repo, r);
  }
  if (xet_stats.files > 0) {
    std::printf("over Xet: %" PRIu64 " files, %s fetched, %s reused from the store\n",
                xet_stats.files.load(), FormatByteSize(xet_stats.fetched_bytes.load()).c_str(),
                FormatByteSize(xet_stats.reused_bytes.load()).c_str());
  }
  std::fflush(stdout);
  for (const Status& error : report.errors) {
    std::fprintf(stderr, "hubmirror sync: error: %s\n", error.ToString().c_str());
  }
  if (!report.ok()) {
    std::fprintf(stderr,
                 "hubmirror sync: %zu failure(s); what failed was not published, and "
                 "re-running resumes from the files already stored\n",
                 report.errors.size());
    return 1;
  }
  return 0;
}

}  // namespace

void AddSyncCommand(CLI::App* app, CommandRegistry* registry) {
  auto flags = std::make_shared<SyncFlags>();
  CLI::App* sync = app->add_subcommand(
      "sync", "Store whole revisions of repos ahead of time (mirror mode), for offline serving");
  sync->add_option("--config", flags->config,
                   "TOML config file; its [[sync.repos]] are synced when no REPO is given");
  sync->add_option("--store", flags->store, "Store directory (default ./data)");
  sync->add_option("--upstream", flags->upstreams,
                   "Upstream hub URL (default https://huggingface.co); repeat for fallbacks, "
                   "asked in order")
      ->allow_extra_args(false);
  sync->add_option("--concurrency", flags->concurrency, "Files downloaded at once (default 4)")
      ->check(CLI::Range(1, 64));
  sync->add_option("--include", flags->include,
                   "Only files matching this glob (repeatable), e.g. '*.safetensors'")
      ->allow_extra_args(false);
  sync->add_option("--exclude", flags->exclude, "Skip files matching this glob (repeatable)")
      ->allow_extra_args(false);
  sync->add_flag("--no-xet-pull", flags->no_xet_pull,
                 "Download every file over plain HTTP, even where the upstream offers Xet");
  sync->add_flag("--no-pin", flags->no_pin,
                 "Do not pin the synced revisions (pinned ones survive the store's size limit)");
  sync->add_option("repos", flags->repos,
                   "org/name[@rev], datasets/org/name[@rev], or org/* for every repo of an author "
                   "(default revision main; repeat a repo for several revisions)");
  sync->footer("The upstream token is read from HF_TOKEN (or upstream.token in the config).");
  sync->callback([flags, registry] {
    registry->selected = [flags] {
      Result<ServerOptions> options = ResolveSyncOptions(*flags);
      if (!options.ok()) {
        std::fprintf(stderr, "hubmirror sync: %s\n", options.status().message().c_str());
        return 2;
      }
      Result<std::vector<SyncRepoSpec>> specs = ResolveSyncList(*flags, *options);
      if (!specs.ok()) {
        std::fprintf(stderr, "hubmirror sync: %s\n", specs.status().message().c_str());
        return 2;
      }
      return RunSync(*options, *specs);
    };
  });
}

}  // namespace hubmirror
