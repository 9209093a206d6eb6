#include "server/ops/server_metrics.h"

#include <functional>

#include "fetcher/upstream_chain.h"
#include "fetcher/xet/xet_pull_stats.h"
#include "server/http/event_server.h"

namespace hubmirror {

ServerMetrics::ServerMetrics(MetricsRegistry* r)
    : requests(r->AddCounter("hubmirror_http_requests_total",
                             "HTTP requests answered, by route, method and status.",
                             {"route", "method", "status"})),
      request_seconds(r->AddHistogram(
          "hubmirror_http_request_duration_seconds",
          "Time from request to response headers (bodies stream afterwards), by route.",
          {"route"}, LatencyBuckets())),
      served_bytes(r->AddCounter("hubmirror_served_bytes_total",
                                 "File body bytes sent to clients, by where they came from.",
                                 {"source"})),
      downloads(r->AddCounter("hubmirror_downloads_total",
                              "File GETs answered from the store (hit) or pulled through (miss).",
                              {"result"})),
      upstream_requests(r->AddCounter("hubmirror_upstream_requests_total",
                                      "Requests to the upstream hub, by kind and outcome.",
                                      {"kind", "outcome"})),
      upstream_bytes(r->AddCounter("hubmirror_upstream_bytes_total",
                                   "File body bytes received from the upstream hub.")),
      upstream_errors(r->AddCounter("hubmirror_upstream_errors_total",
                                    "Upstream requests that failed (not counting 404s), by kind "
                                    "and error.",
                                    {"kind", "code"})),
      upstream_seconds(r->AddHistogram("hubmirror_upstream_request_duration_seconds",
                                       "Duration of upstream requests (whole transfer for "
                                       "downloads), by kind.",
                                       {"kind"}, LatencyBuckets())),
      upstream_serving(r->AddGauge("hubmirror_upstream_serving",
                                   "1 for the upstream (of the configured list) that answered "
                                   "the latest upstream call, 0 for the others.",
                                   {"upstream"})),
      upstream_failovers(r->AddCounter("hubmirror_upstream_failovers_total",
                                       "Upstream calls that went on to the next upstream because "
                                       "this one could not be reached.",
                                       {"upstream"})),
      sync_runs(r->AddCounter("hubmirror_sync_runs_total", "Scheduled sync runs finished.")),
      sync_failures(r->AddCounter("hubmirror_sync_failures_total",
                                  "Scheduled sync runs in which at least one repo failed.")),
      sync_last_run(r->AddGauge("hubmirror_sync_last_run_timestamp_seconds",
                                "Unix time the last scheduled sync run finished.")) {
  // Series that exist from the start, so rates and ratios are defined.
  downloads.With({"hit"});
  downloads.With({"miss"});
  served_bytes.With({"store"});
  served_bytes.With({"pull_through"});
  served_bytes.With({"xet"});
  upstream_bytes.With({});
  sync_runs.With({});
  sync_failures.With({});
  sync_last_run.With({});
}

void ObserveUpstreamChain(UpstreamChain* chain, ServerMetrics* metrics) {
  for (size_t i = 0; i < chain->size(); ++i) {
    metrics->upstream_serving.With({chain->name(i)}).Set(i == 0 ? 1 : 0);
    metrics->upstream_failovers.With({chain->name(i)});
  }
  chain->set_observer([chain, metrics](size_t member, UpstreamChain::Outcome outcome) {
    if (outcome == UpstreamChain::Outcome::kAnswered) {
      for (size_t i = 0; i < chain->size(); ++i) {
        metrics->upstream_serving.With({chain->name(i)}).Set(i == member ? 1 : 0);
      }
    } else if (outcome == UpstreamChain::Outcome::kFailedOver) {
      metrics->upstream_failovers.With({chain->name(member)}).Add();
    }
  });
}

uint64_t ServerMetrics::Downloads() {
  return static_cast<uint64_t>(downloads.With({"hit"}).value() + downloads.With({"miss"}).value());
}

double ServerMetrics::HitRatio() {
  const double hits = static_cast<double>(downloads.With({"hit"}).value());
  const double misses = static_cast<double>(downloads.With({"miss"}).value());
  return hits + misses == 0 ? 0.0 : hits / (hits + misses);
}

void RegisterXetPullMetrics(MetricsRegistry* registry, const XetPullStats* stats) {
  registry->AddGaugeCallback("hubmirror_xet_pull_files", "Files pulled over the upstream's Xet.",
                             [stats] { return static_cast<double>(stats->files.load()); });
  registry->AddGaugeCallback(
      "hubmirror_xet_pull_fetched_bytes", "Xorb bytes fetched from the upstream's CAS.",
      [stats] { return static_cast<double>(stats->fetched_bytes.load()); });
  registry->AddGaugeCallback(
      "hubmirror_xet_pull_saved_bytes",
      "File bytes of Xet pulls taken from chunks already stored: upstream bytes saved.",
      [stats] { return static_cast<double>(stats->reused_bytes.load()); });
  registry->AddGaugeCallback("hubmirror_xet_pull_fallbacks",
                             "Xet pulls that fell back to plain HTTP.",
                             [stats] { return static_cast<double>(stats->fallbacks.load()); });
}

void RegisterBucketCacheMetrics(MetricsRegistry* registry, ChunkedObjectStore* store) {
  if (!store->BucketCache()) return;
  auto figure = [store](uint64_t BucketCacheFigures::*field) {
    return [store, field] {
      std::optional<BucketCacheFigures> f = store->BucketCache();
      return f ? static_cast<double>((*f).*field) : 0.0;
    };
  };
  registry->AddGaugeCallback("hubmirror_bucket_cache_bytes",
                             "Xorb bytes this node keeps in its cache of the bucket.",
                             figure(&BucketCacheFigures::cached_bytes));
  registry->AddGaugeCallback("hubmirror_bucket_fetches",
                             "Xorbs this node fetched from the bucket since start.",
                             figure(&BucketCacheFigures::fetches));
  registry->AddGaugeCallback("hubmirror_bucket_fetched_bytes",
                             "Bytes of the xorbs fetched from the bucket since start.",
                             figure(&BucketCacheFigures::fetched_bytes));
  registry->AddGaugeCallback("hubmirror_bucket_cache_evictions",
                             "Xorbs dropped from the cache to keep it in store.cache_max_bytes.",
                             figure(&BucketCacheFigures::evictions));
}

void RegisterConnectionMetrics(MetricsRegistry* registry, const ConnectionStats* stats) {
  struct Figure {
    const char* name;
    const char* help;
    std::function<double()> value;
  };
  auto of = [](const auto& counter) { return static_cast<double>(counter.load()); };
  const Figure figures[] = {
      {"hubmirror_connections_open", "Open client connections.",
       [stats, of] { return of(stats->open); }},
      {"hubmirror_connections_idle",
       "Open client connections with no request under way (new or keep-alive).",
       [stats, of] { return of(stats->idle); }},
      {"hubmirror_connections_accepted", "Client connections accepted since start.",
       [stats, of] { return of(stats->accepted); }},
      {"hubmirror_connections_refused_total_limit",
       "Connections refused (503) at server.max_connections with none idle to close.",
       [stats, of] { return of(stats->refused_total_limit); }},
      {"hubmirror_connections_refused_client_limit",
       "Connections refused (503) at server.max_connections_per_client with none idle.",
       [stats, of] { return of(stats->refused_client_limit); }},
      {"hubmirror_connections_evicted_idle",
       "Idle connections closed to make room for a new one at a connection limit.",
       [stats, of] { return of(stats->evicted_idle); }},
      {"hubmirror_connections_head_timeouts",
       "Connections closed because a request head was not complete in time.",
       [stats, of] { return of(stats->head_timeouts); }},
      {"hubmirror_connections_idle_timeouts",
       "Keep-alive connections closed after server.keep_alive_timeout_seconds idle.",
       [stats, of] { return of(stats->idle_timeouts); }},
      {"hubmirror_connections_io_timeouts",
       "Connections closed because a request body or response made no progress in time.",
       [stats, of] { return of(stats->io_timeouts); }},
      {"hubmirror_connections_bad_requests",
       "Requests refused by the connection layer (malformed, over a limit).",
       [stats, of] { return of(stats->bad_requests); }},
  };
  for (const Figure& f : figures) registry->AddGaugeCallback(f.name, f.help, f.value);
}

const char* RouteLabel(RouteKind kind) {
  switch (kind) {
    case RouteKind::kStatus: return "status";
    case RouteKind::kRepoInfo: return "repo_info";
    case RouteKind::kTree: return "tree";
    case RouteKind::kPathsInfo: return "paths_info";
    case RouteKind::kResolve: return "resolve";
    case RouteKind::kAdminStorage: return "admin_storage";
    case RouteKind::kUi: return "ui";
    case RouteKind::kMetrics: return "metrics";
    case RouteKind::kHealthz: return "healthz";
    case RouteKind::kReadyz: return "readyz";
    case RouteKind::kWhoAmI: return "whoami";
    case RouteKind::kRefs: return "refs";
    case RouteKind::kCommits: return "commits";
    case RouteKind::kRepoList: return "repo_list";
    case RouteKind::kXetReadToken: return "xet_read_token";
    case RouteKind::kXetReconstruction: return "xet_reconstruction";
    case RouteKind::kXetXorb: return "xet_xorb";
  }
  return "unknown";
}

}  // namespace hubmirror
