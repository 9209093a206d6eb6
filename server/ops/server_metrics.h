// ServerMetrics: the metric families `hubmirror serve` exports at /metrics,
// registered once in a MetricsRegistry and updated by the HTTP layer, the
// metered upstream and the sync scheduler. The names and labels here are
// the documented interface (docs/operations.md); changing one breaks
// dashboards.
//
// Thread safety: as MetricsRegistry. The struct only holds references into
// the registry, which must outlive it.
#pragma once

#include <cstdint>
#include <string>

#include "server/hub_route.h"
#include "server/ops/metrics.h"
#include "store/chunked_object_store.h"

namespace hubmirror {

struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry* registry);

  // HTTP side.
  CounterFamily& requests;              // route, method, status
  HistogramFamily& request_seconds;     // route; time until the handler returned
  CounterFamily& served_bytes;          // source = store | pull_through | xet
  CounterFamily& downloads;             // result = hit | miss
  // Upstream side (MeteredUpstream).
  CounterFamily& upstream_requests;     // kind, outcome = ok | not_found | error
  CounterFamily& upstream_bytes;        // file body bytes received
  CounterFamily& upstream_errors;       // kind, code
  HistogramFamily& upstream_seconds;    // kind
  // The upstream chain (ObserveUpstreamChain).
  GaugeFamily& upstream_serving;        // upstream; 1 for the one that answered last
  CounterFamily& upstream_failovers;    // upstream; calls that went on past it
  // Mirror mode (SyncScheduler).
  CounterFamily& sync_runs;             // runs finished
  CounterFamily& sync_failures;         // runs with at least one failed repo
  GaugeFamily& sync_last_run;           // unix seconds of the last finished run

  // hits / (hits + misses); 0 before the first download.
  double HitRatio();
  // hits + misses: file downloads so far.
  uint64_t Downloads();
};

// Keeps upstream_serving and upstream_failovers of `metrics` up to date with
// the calls of `chain` (its observer). Both must outlive the chain's use.
class UpstreamChain;
struct XetPullStats;
// hubmirror_xet_pull_* gauges over `stats` (which must outlive `registry`'s use).
void RegisterXetPullMetrics(MetricsRegistry* registry, const XetPullStats* stats);
// hubmirror_bucket_cache_bytes, _fetches, _fetched_bytes, _evictions: a
// scale-out node's cache of the bucket (nothing for a store without one).
void RegisterBucketCacheMetrics(MetricsRegistry* registry, ChunkedObjectStore* store);
void ObserveUpstreamChain(UpstreamChain* chain, ServerMetrics* metrics);
struct ConnectionStats;
// hubmirror_connections_* gauges over the connection layer's `stats` (which
// must outlive `registry`'s use).
void RegisterConnectionMetrics(MetricsRegistry* registry, const ConnectionStats* stats);

// The `route` label of a route kind: "resolve", "tree", "paths_info", ...
const char* RouteLabel(RouteKind kind);

}  // namespace hubmirror
