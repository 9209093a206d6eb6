// MeteredUpstream: an Upstream that counts and times every call of the one it
// wraps (requests by kind and outcome, errors, latency, body bytes) into
// ServerMetrics, and remembers whether the upstream answered lately, for
// /readyz. The fetcher stays free of metrics: `serve` wraps the curl
// upstream in this before handing it to the catalog, the pull-through and
// the sync scheduler.
//
// Thread-safe if the wrapped upstream is. Both pointers must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "fetcher/upstream.h"
#include "server/ops/server_metrics.h"
#include "store/env.h"

namespace hubmirror {

// What the last upstream call that got an answer, or failed to reach it, said.
struct UpstreamReachability {
  enum class State { kUnknown, kReachable, kUnreachable } state = State::kUnknown;
  int64_t at_micros = 0;  // when that call ended; 0 for kUnknown
};

class MeteredUpstream : public Upstream {
 public:
  MeteredUpstream(Upstream* inner, ServerMetrics* metrics, Env* env)
      : inner_(inner), metrics_(metrics), env_(env) {}

  Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) override;
  Result<std::vector<EntryRecord>> ListTree(const RepoKey& repo,
                                            const std::string& commit) override;
  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey& repo, const std::string& commit,
                                             const std::vector<std::string>& paths,
                                             bool expand) override;
  Result<FileHead> HeadFile(const RepoKey& repo, const std::string& commit,
                            const std::string& path) override;
  Status Download(const RepoKey& repo, const std::string& commit, const std::string& path,
                  uint64_t offset, uint64_t expected_size, const ByteSink& sink) override;
  Result<std::vector<std::string>> ListRepos(RepoType type, const std::string& author) override;
  Result<ApiPage> GetApiPage(const std::string& path_and_query) override;

  UpstreamReachability reachability() const;

 private:
  // Counts one finished call of `kind` that started at `start_micros`.
  void Record(const char* kind, int64_t start_micros, const Status& status);

  Upstream* inner_;
  ServerMetrics* metrics_;
  Env* env_;
  std::atomic<int> state_{0};  // UpstreamReachability::State
  std::atomic<int64_t> state_at_micros_{0};
};

}  // namespace hubmirror
