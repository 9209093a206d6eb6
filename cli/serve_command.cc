#include "cli/serve_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "cli/common_options.h"

#include "fetcher/upstream.h"
#include "server/hub_server.h"
#include "server/pull_through.h"
#include "server/repo_catalog.h"
#include "server/sync_scheduler.h"
#include "server/web_ui.h"
#include "store/env.h"
#include "store/index.h"
#include "store/chunked_object_store.h"
#include "store/storage_usage.h"

namespace hubmirror {
namespace {

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "hubmirror: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

struct ServeFlags {
  std::string config;
  std::string listen;
  std::string store;
  std::string upstream;
  bool offline = false;
  int64_t revision_ttl = -1;
};

// Defaults, then the config file, then flags, then HF_TOKEN; validated once.
Result<ServerOptions> ResolveServeOptions(const ServeFlags& flags) {
  HM_ASSIGN_OR_RETURN(ServerOptions options,
                      LoadCommonOptions(flags.config, flags.store, flags.upstream));
  if (!flags.listen.empty()) HM_RETURN_IF_ERROR(ParseListenAddress(flags.listen, &options));
  if (flags.offline) options.offline = true;
  if (flags.revision_ttl >= 0) options.revision_ttl_seconds = flags.revision_ttl;
  HM_RETURN_IF_ERROR(ValidateOptions(options));
  return options;
}

}  // namespace

void AddServeCommand(CLI::App* app, CommandRegistry* registry) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app->add_subcommand("serve", "Serve the Hub API, pulling through from upstream");
  serve->add_option("--config", flags->config, "TOML config file (flags override it)");
  serve->add_option("--listen", flags->listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve->add_option("--store", flags->store, "Store directory (default ./data)");
  serve->add_option("--upstream", flags->upstream,
                    "Upstream hub URL (default https://huggingface.co)");
  serve->add_flag("--offline", flags->offline, "Never contact the upstream");
  serve->add_option("--revision-ttl", flags->revision_ttl,
                    "Seconds a branch/tag resolution is trusted (default 300)");
  serve->footer("The upstream token is read from HF_TOKEN (or upstream.token in the config).");
  serve->callback([flags, registry] {
    registry->selected = [flags] {
      Result<ServerOptions> options = ResolveServeOptions(*flags);
      if (!options.ok()) {
        std::fprintf(stderr, "hubmirror serve: %s\n", options.status().message().c_str());
        return 2;
      }
      return RunServe(*options);
    };
  });
}

int RunServe(const ServerOptions& options) {
  // Signals are taken synchronously by one thread; every other thread
  // (created below) inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Env> env = NewPosixEnv();
  if (Status s = env->CreateDirs(options.store_dir); !s.ok()) {
    return Fail("cannot create store directory " + options.store_dir, s);
  }
  Result<std::unique_ptr<ChunkedObjectStore>> store =
      NewChunkedObjectStore(env.get(), options.store_dir);
  if (!store.ok()) return Fail("cannot open store " + options.store_dir, store.status());
  if (Status s = (*store)->CleanTemporaryFiles(); !s.ok()) {
    return Fail("cannot clean temporary files in " + options.store_dir, s);
  }
  Result<std::unique_ptr<Index>> index = Index::Open(options.store_dir + "/index.sqlite");
  if (!index.ok()) return Fail("cannot open index in " + options.store_dir, index.status());

  std::unique_ptr<Upstream> upstream;
  std::unique_ptr<PullThrough> pull_through;
  if (!options.offline) {
    upstream = NewCurlUpstream(options.upstream);
    pull_through = std::make_unique<PullThrough>(options, env.get(), index->get(), store->get(),
                                                 upstream.get());
  }
  RepoCatalog catalog(options, env.get(), index->get(), upstream.get());
  AccessPolicy access(options.access);
  std::unique_ptr<AuditLog> audit;
  if (!options.access.audit_log_path.empty()) {
    Result<std::unique_ptr<AuditLog>> opened =
        AuditLog::Open(options.access.audit_log_path, env.get());
    if (!opened.ok()) return Fail("cannot open the audit log", opened.status());
    audit = std::move(opened).value();
  }
  HubServer server(options, &catalog, index->get(), store->get(), pull_through.get(), &access,
                   audit.get());
  server.set_storage_report([&index, &store]() -> Result<std::string> {
    HM_ASSIGN_OR_RETURN(StorageUsage usage, ComputeStorageUsage(index->get(), store->get()));
    return StorageUsageJson(usage);
  });
  // The web UI at / and /ui/...; hit ratio, last access and sync status
  // providers are not wired yet (shown as "not available").
  WebUiSources ui_sources;
  ui_sources.storage_usage = [&index, &store]() -> Result<StorageUsage> {
    return ComputeStorageUsage(index->get(), store->get());
  };
  WebUi web_ui(options, env.get(), index->get(), &catalog, &access, std::move(ui_sources));
  server.set_route_handler(RouteKind::kUi, [&web_ui](const HubRoute& route, const Caller& caller,
                                                     const httplib::Request& req,
                                                     httplib::Response& res) {
    web_ui.Handle(route, caller, req, res);
  });
  if (Status s = server.Bind(); !s.ok()) return Fail("cannot listen", s);

  // Mirror mode: the config's sync list, re-run every interval.
  std::unique_ptr<SyncScheduler> scheduler;
  if (!options.offline && options.sync.interval_seconds > 0 && !options.sync.repos.empty()) {
    scheduler = std::make_unique<SyncScheduler>(options.sync, env.get(), index->get(),
                                                store->get(), upstream.get(), stderr);
    scheduler->Start();
  }

  std::thread signal_waiter([&server, &stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.Stop();
  });

  const bool v6 = options.listen_host.find(':') != std::string::npos;
  std::printf("hubmirror listening on http://%s%s%s:%d (store %s, %s)\n", v6 ? "[" : "",
              options.listen_host.c_str(), v6 ? "]" : "", server.port(),
              options.store_dir.c_str(),
              options.offline ? "offline" : ("upstream " + options.upstream.endpoint).c_str());
  std::fflush(stdout);

  Status run = server.Run();
  if (scheduler) scheduler->Stop();
  // Wake the signal thread if the server stopped on its own.
  kill(getpid(), SIGTERM);
  signal_waiter.join();
  if (!run.ok()) return Fail("server stopped", run);
  std::fprintf(stderr, "hubmirror: stopped\n");
  return 0;
}

}  // namespace hubmirror
