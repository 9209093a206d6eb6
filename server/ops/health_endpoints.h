// Liveness and readiness, for load balancers, orchestrators and systemd
// watchers.
//
//   GET /healthz  200 "ok" whenever the process answers HTTP.
//   GET /readyz   200 when the store directory takes a durable write (a
//                 probe file is created, fsynced and removed under tmp/) and
//                 the index answers a query; 503 naming the failed check
//                 otherwise. The upstream's reachability is reported (from
//                 the last upstream call) but never makes the mirror unready:
//                 it keeps serving what it stores when the upstream is gone.
//
// Thread-safe: each request probes with its own file name.
#pragma once

#include "server/http/http_message.h"

#include <atomic>
#include <functional>
#include <string>

#include "server/upstream/metered_upstream.h"
#include "store/env.h"
#include "store/index/index.h"

namespace hubmirror {

class HealthEndpoints {
 public:
  // `upstream` is null when offline. All pointers must outlive this.
  HealthEndpoints(Env* env, std::string store_dir, Index* index, const MeteredUpstream* upstream)
      : env_(env), store_dir_(std::move(store_dir)), index_(index), upstream_(upstream) {}

  void HandleHealthz(const HttpRequest& req, HttpResponse& res) const;
  void HandleReadyz(const HttpRequest& req, HttpResponse& res);

 private:
  Status ProbeStoreWritable();

  Env* env_;
  const std::string store_dir_;
  Index* index_;
  const MeteredUpstream* upstream_;
  std::atomic<uint64_t> probe_counter_{0};
};

}  // namespace hubmirror
