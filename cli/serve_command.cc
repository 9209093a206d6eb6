#include "cli/serve_command.h"

#include <malloc.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "cli/command.h"
#include "cli/common_options.h"

#include "fetcher/upstream.h"
#include "server/upstream/upstreams.h"
#include "fetcher/xet/xet_upstream.h"
#include "server/catalog/api_documents.h"
#include "server/ops/health_endpoints.h"
#include "server/hub_server.h"
#include "server/upstream/metered_upstream.h"
#include "server/ops/metrics.h"
#include "server/ops/store_figures.h"
#include "server/pull_through.h"
#include "server/catalog/repo_catalog.h"
#include "server/ops/storage_governor.h"
#include "server/sync/sync_scheduler.h"
#include "server/ui/web_ui.h"
#include "cli/store_dir.h"
#include "store/sql/cluster_locks.h"
#include "store/xorb/xorb_object_store.h"
#include "store/env.h"
#include "store/index/api_document_cache.h"
#include "store/index/index.h"
#include "store/chunked_object_store.h"
#include "store/index/retention_db.h"
#include "store/upkeep/storage_usage.h"

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
  std::vector<std::string> upstreams;
  bool offline = false;
  int64_t revision_ttl = -1;
  std::string access_log;
  std::string max_store_bytes;
  bool no_xet_pull = false;
};

// Defaults, then the config file, then flags, then HF_TOKEN; validated once.
Result<ServerOptions> ResolveServeOptions(const ServeFlags& flags) {
  HM_ASSIGN_OR_RETURN(ServerOptions options,
                      LoadCommonOptions(flags.config, flags.store, flags.upstreams));
  if (!flags.listen.empty()) HM_RETURN_IF_ERROR(ParseListenAddress(flags.listen, &options));
  if (flags.offline) options.offline = true;
  if (flags.no_xet_pull) options.xet.pull = false;
  if (flags.revision_ttl >= 0) options.revision_ttl_seconds = flags.revision_ttl;
  if (!flags.access_log.empty()) options.access_log_path = flags.access_log;
  if (!flags.max_store_bytes.empty()) {
    HM_ASSIGN_OR_RETURN(options.max_store_bytes, ParseByteSize(flags.max_store_bytes));
  }
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
  serve->add_option("--upstream", flags->upstreams,
                    "Upstream hub URL (default https://huggingface.co); repeat for fallbacks, "
                    "asked in order")
      ->allow_extra_args(false);
  serve->add_flag("--offline", flags->offline, "Never contact the upstream");
  serve->add_flag("--no-xet-pull", flags->no_xet_pull,
                  "Pull every file over plain HTTP, even where the upstream offers Xet");
  serve->add_option("--revision-ttl", flags->revision_ttl,
                    "Seconds a branch/tag resolution is trusted (default 300)");
  serve->add_option("--access-log", flags->access_log,
                    "Append a JSON line per request to this file (server.access_log)");
  serve->add_option("--max-store-bytes", flags->max_store_bytes,
                    "Evict least recently served unpinned files above this size (e.g. 500G; "
                    "store.max_bytes)");
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
  // Buffers of 4 MiB and more (Xet pulls hold fetched xorb ranges of up to
  // 64 MiB) come from their own mappings and go back to the system when
  // freed; glibc's default threshold drifts up to 32 MiB after frees and
  // would keep them in the heap for good.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  // Fixing that threshold also fixes the trim threshold, at 128 KiB: the
  // heap would be shrunk and regrown on nearly every request. 2x the mmap
  // threshold is what glibc's own adjustment would have set.
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  // Each open connection is a descriptor: the soft limit (often 1024) is
  // raised to the hard one, so that server.max_connections can be reached.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  std::unique_ptr<Env> env = NewPosixEnv();
  if (Status s = env->CreateDirs(options.store_dir); !s.ok()) {
    return Fail("cannot create store directory " + options.store_dir, s);
  }
  Result<StoreHandles> handles =
      OpenStoreDir(env.get(), options.store_dir, /*must_exist=*/false, options.scale_out);
  if (!handles.ok()) return Fail("cannot open store " + options.store_dir, handles.status());
  ChunkedObjectStore* const store = handles->objects.get();
  Index* const index = handles->index.get();
  std::unique_ptr<ClusterLocks> leases;  // a cluster's, for single flight across nodes
  if (options.scale_out.enabled()) {
    Result<std::unique_ptr<ClusterLocks>> opened =
        OpenPostgresClusterLocks(options.scale_out.postgres);
    if (!opened.ok()) return Fail("cannot reach PostgreSQL for cluster locks", opened.status());
    leases = std::move(opened).value();
  }
  if (Status s = store->CleanTemporaryFiles(); !s.ok()) {
    return Fail("cannot clean temporary files in " + options.store_dir, s);
  }
  // What writes a crash interrupted left (xorbs without rows, pack tails of
  // the older layout); without this the store would grow by a partial
  // object per crash until `hubmirror gc`. Not fatal: garbage either way.
  if (auto leftovers = store->Leftovers(/*trim=*/true); !leftovers.ok()) {
    std::fprintf(stderr, "hubmirror: cannot remove leftovers of interrupted writes in %s: %s\n",
                 options.store_dir.c_str(), leftovers.status().ToString().c_str());
  } else if (!leftovers->empty()) {
    uint64_t bytes = 0;
    for (const StoreLeftover& leftover : *leftovers) bytes += leftover.bytes;
    std::fprintf(stderr, "hubmirror: removed %llu bytes left by %zu interrupted write(s)\n",
                 static_cast<unsigned long long>(bytes), leftovers->size());
  }

  MetricsRegistry registry;
  ServerMetrics metrics(&registry);
  std::unique_ptr<UpstreamChain> upstreams;
  XetPullStats xet_pull_stats;
  std::unique_ptr<XetUpstream> xet_upstream;
  std::unique_ptr<MeteredUpstream> upstream;
  std::unique_ptr<PullThrough> pull_through;
  if (!options.offline) {
    upstreams = NewUpstreams(options, env.get());
    ObserveUpstreamChain(upstreams.get(), &metrics);
    Upstream* source = upstreams.get();
    if (options.xet.pull) {
      xet_upstream = std::make_unique<XetUpstream>(upstreams.get(), options.upstreams,
                                                   store, &xet_pull_stats, stderr);
      source = xet_upstream.get();
    }
    upstream = std::make_unique<MeteredUpstream>(source, &metrics, env.get());
    pull_through = std::make_unique<PullThrough>(options, env.get(), index, store,
                                                 upstream.get(), leases.get());
  }
  RepoCatalog catalog(options, env.get(), index, upstream.get());
  AccessPolicy access(options.access);
  Result<std::unique_ptr<ApiDocumentCache>> document_cache =
      ApiDocumentCache::Open(options.store_dir + "/api-cache.sqlite");
  if (!document_cache.ok()) {
    return Fail("cannot open the API document cache in " + options.store_dir,
                document_cache.status());
  }
  ApiDocuments documents(options, env.get(), index, document_cache->get(), &catalog,
                         &access);
  std::unique_ptr<AuditLog> audit;
  if (!options.access.audit_log_path.empty()) {
    Result<std::unique_ptr<AuditLog>> opened =
        AuditLog::Open(options.access.audit_log_path, env.get());
    if (!opened.ok()) return Fail("cannot open the audit log", opened.status());
    audit = std::move(opened).value();
  }
  std::unique_ptr<AccessLog> access_log;
  if (!options.access_log_path.empty()) {
    Result<std::unique_ptr<AccessLog>> opened = AccessLog::Open(options.access_log_path, env.get());
    if (!opened.ok()) return Fail("cannot open the access log", opened.status());
    access_log = std::move(opened).value();
  }
  HubServer server(options, &catalog, index, store, pull_through.get(), &access,
                   audit.get());
  Result<std::unique_ptr<RetentionDb>> retention =
      RetentionDb::Open(RetentionDbLocation(options.store_dir, options.scale_out));
  if (!retention.ok()) return Fail("cannot open retention database", retention.status());
  StorageGovernorOptions governor_options;
  governor_options.max_bytes = options.max_store_bytes;
  governor_options.low_water_percent = options.store_low_water_percent;
  StorageGovernor governor(governor_options, env.get(), index, store,
                           retention->get(), stderr);
  server.set_download_listener(
      [&governor](const RepoKey& repo, const std::string&, const std::string& sha256) {
        governor.RecordDownload(repo, sha256);
      });
  server.set_api_documents(&documents);
  server.set_metrics(&metrics);
  const bool publishing = !options.publish.namespaces.empty();
  std::unique_ptr<XetSigner> xet_signer;
  std::unique_ptr<XetRoutes> xet_routes;
  std::string signing_key;  // of Xet tokens and upload URLs
  if (options.xet.serve || publishing) {
    Result<std::string> key = LoadOrCreateXetKey(env.get(), options.store_dir + "/xet-token.key");
    if (key.ok() && options.scale_out.enabled()) {
      // A token one node signs must pass on every other.
      key = index->SharedSetting("xet-token-key", *key);
    }
    if (!key.ok()) return Fail("cannot read the Xet token key", key.status());
    signing_key = std::move(key).value();
    xet_signer = std::make_unique<XetSigner>(signing_key);
  }
  if (options.xet.serve) {
    xet_routes = std::make_unique<XetRoutes>(options.xet, env.get(), xet_signer.get(),
                                             index, store, audit.get(), &metrics);
    server.set_xet_routes(xet_routes.get());
    xet_routes->set_download_listener(
        [&governor](const RepoKey& repo, const std::string& sha256) {
          governor.RecordDownload(repo, sha256);
        });
    if (options.xet.pull && pull_through && !options.scale_out.enabled()) {
      // Files not stored yet are offered over Xet too, when the upstream
      // offers them: their reconstruction pulls them through first. Not in
      // a cluster: the offer lives in the memory of the node that made it,
      // and the balancer may send the reconstruction to another (there,
      // files not stored yet go over HTTP, streaming while they arrive).
      xet_routes->EnableColdOffers(pull_through.get(), upstream.get(),
                                   int64_t{options.fetch_stall_timeout_seconds} * 1000);
    }
  }
  // Publishing: the write API for the namespaces the mirror owns, over LFS
  // and Xet. Upload URLs are signed with the key of the Xet tokens.
  std::unique_ptr<UploadSigner> upload_signer;
  std::unique_ptr<LfsUploads> lfs_uploads;
  std::unique_ptr<XetUploads> xet_uploads;
  std::unique_ptr<PublishRoutes> publish_routes;
  if (publishing) {
    upload_signer = std::make_unique<UploadSigner>(signing_key);
    lfs_uploads = std::make_unique<LfsUploads>(options.publish, env.get(), index,
                                               store, upload_signer.get(),
                                               options.store_dir + "/uploads", audit.get());
    xet_uploads = std::make_unique<XetUploads>(options.xet, env.get(), xet_signer.get(),
                                               index, store, audit.get());
    publish_routes = std::make_unique<PublishRoutes>(
        options, env.get(), index, &catalog, lfs_uploads.get(), xet_uploads.get(), &access,
        audit.get(),
        [&server](const HttpRequest& req) { return server.BaseUrlOf(req); });
    server.set_publish_routes(publish_routes.get());
  }
  server.set_access_log(access_log.get());
  StoreFigures store_figures(index, store, env.get());
  RegisterStoreGauges(&registry, &store_figures);
  registry.AddGaugeCallback("hubmirror_cache_hit_ratio",
                            "Share of file downloads answered from the store.",
                            [&metrics] { return metrics.HitRatio(); });
  registry.AddGaugeCallback("hubmirror_fetches_in_flight", "Pull-through transfers running now.",
                            [&pull_through] {
                              return pull_through ? static_cast<double>(
                                                        pull_through->fetches_in_flight())
                                                  : 0.0;
                            });
  RegisterXetPullMetrics(&registry, &xet_pull_stats);
  RegisterBucketCacheMetrics(&registry, store);
  RegisterConnectionMetrics(&registry, &server.connection_stats());
  const double start_seconds = static_cast<double>(env->NowMicros()) / 1e6;
  registry.AddGaugeCallback("hubmirror_start_time_seconds", "Unix time the server started.",
                            [start_seconds] { return start_seconds; });
  registry.AddGauge("hubmirror_build_info", "Always 1; the version is a label.", {"version"})
      .With({HUBMIRROR_VERSION})
      .Set(1);
  server.set_route_handler(RouteKind::kMetrics,
                           [&registry](const HubRoute&, const Caller&, const HttpRequest&,
                                       HttpResponse& res) {
                             res.set_content(registry.Render(),
                                             "text/plain; version=0.0.4; charset=utf-8");
                           });
  HealthEndpoints health(env.get(), options.store_dir, index, upstream.get());
  server.set_route_handler(RouteKind::kHealthz,
                           [&health](const HubRoute&, const Caller&, const HttpRequest& req,
                                     HttpResponse& res) { health.HandleHealthz(req, res); });
  server.set_route_handler(RouteKind::kReadyz,
                           [&health](const HubRoute&, const Caller&, const HttpRequest& req,
                                     HttpResponse& res) { health.HandleReadyz(req, res); });
  server.set_storage_report([&index, &store]() -> Result<std::string> {
    HM_ASSIGN_OR_RETURN(StorageUsage usage, ComputeStorageUsage(index, store));
    return StorageUsageJson(usage);
  });
  // The web UI at / and /ui/... . The scheduler is created below, after
  // Bind() but before Run(): no page is served before it is set.
  std::unique_ptr<SyncScheduler> scheduler;
  WebUiSources ui_sources;
  ui_sources.storage_usage = [&store_figures]() { return store_figures.Get(); };
  ui_sources.hit_ratio = [&metrics]() -> std::optional<double> {
    if (metrics.Downloads() == 0) return std::nullopt;
    return metrics.HitRatio();
  };
  ui_sources.last_access_micros = [&governor](const RepoKey& repo) {
    return governor.RepoLastAccess(repo);
  };
  ui_sources.sync_status = [&scheduler]() -> std::optional<SyncRunSummary> {
    if (!scheduler) return std::nullopt;
    return scheduler->LastRun();
  };
  WebUi web_ui(options, env.get(), index, &catalog, &access, std::move(ui_sources));
  server.set_route_handler(RouteKind::kUi, [&web_ui](const HubRoute& route, const Caller& caller,
                                                     const HttpRequest& req,
                                                     HttpResponse& res) {
    web_ui.Handle(route, caller, req, res);
  });
  if (Status s = server.Bind(); !s.ok()) return Fail("cannot listen", s);

  // Mirror mode: the config's sync list, re-run every interval.
  if (!options.offline && options.sync.interval_seconds > 0 && !options.sync.repos.empty()) {
    scheduler = std::make_unique<SyncScheduler>(options.sync, env.get(), index,
                                                store, upstream.get(), stderr);
    scheduler->set_metrics(&metrics);
    scheduler->set_pins(retention->get());
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
              options.offline ? "offline" : ("upstream " + DescribeUpstreams(options)).c_str());
  std::fflush(stdout);

  governor.Start();
  Status run = server.Run();
  if (scheduler) scheduler->Stop();
  governor.Stop();
  // Wake the signal thread if the server stopped on its own.
  kill(getpid(), SIGTERM);
  signal_waiter.join();
  if (!run.ok()) return Fail("server stopped", run);
  std::fprintf(stderr, "hubmirror: stopped\n");
  return 0;
}

}  // namespace hubmirror
