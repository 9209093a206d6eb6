#include "server/upstream/metered_upstream.h"

namespace hubmirror {
namespace {

// An answer from the upstream, even "no such repo", proves it reachable;
// these codes are what a connection failure, timeout or 5xx turn into.
bool MeansUnreachable(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
         code == StatusCode::kInternal;
}

}  // namespace

void MeteredUpstream::Record(const char* kind, int64_t start_micros, const Status& status) {
  const int64_t now = env_->NowMicros();
  metrics_->upstream_seconds.With({kind}).Observe(static_cast<double>(now - start_micros) / 1e6);
  const char* outcome = "ok";
  if (status.code() == StatusCode::kNotFound) {
    outcome = "not_found";
  } else if (!status.ok()) {
    outcome = "error";
    metrics_->upstream_errors.With({kind, StatusCodeName(status.code())}).Add();
  }
  metrics_->upstream_requests.With({kind, outcome}).Add();
  const auto state = MeansUnreachable(status.code()) ? UpstreamReachability::State::kUnreachable
                                                     : UpstreamReachability::State::kReachable;
  state_.store(static_cast<int>(state));
  state_at_micros_.store(now);
}

Result<RevisionInfo> MeteredUpstream::GetRevision(const RepoKey& repo,
                                                  const std::string& revision) {
  const int64_t start = env_->NowMicros();
  Result<RevisionInfo> result = inner_->GetRevision(repo, revision);
  Record("revision", start, result.status());
  return result;
}

Result<std::vector<EntryRecord>> MeteredUpstream::ListTree(const RepoKey& repo,
                                                          const std::string& commit) {
  const int64_t start = env_->NowMicros();
  Result<std::vector<EntryRecord>> result = inner_->ListTree(repo, commit);
  Record("tree", start, result.status());
  return result;
}

Result<std::vector<EntryRecord>> MeteredUpstream::PathsInfo(const RepoKey& repo,
                                                           const std::string& commit,
                                                           const std::vector<std::string>& paths,
                                                           bool expand) {
  const int64_t start = env_->NowMicros();
  Result<std::vector<EntryRecord>> result = inner_->PathsInfo(repo, commit, paths, expand);
  Record("paths_info", start, result.status());
  return result;
}

Result<FileHead> MeteredUpstream::HeadFile(const RepoKey& repo, const std::string& commit,
                                           const std::string& path) {
  const int64_t start = env_->NowMicros();
  Result<FileHead> result = inner_->HeadFile(repo, commit, path);
  Record("head", start, result.status());
  return result;
}

Status MeteredUpstream::Download(const RepoKey& repo, const std::string& commit,
                                 const std::string& path, uint64_t offset, uint64_t expected_size,
                                 const ByteSink& sink) {
  const int64_t start = env_->NowMicros();
  Counter& bytes = metrics_->upstream_bytes.With({});
  Status status = inner_->Download(repo, commit, path, offset, expected_size,
                                   [&sink, &bytes](const char* data, size_t n) {
                                     bytes.Add(n);
                                     return sink(data, n);
                                   });
  Record("download", start, status);
  return status;
}

Result<std::vector<std::string>> MeteredUpstream::ListRepos(RepoType type,
                                                            const std::string& author) {
  const int64_t start = env_->NowMicros();
  Result<std::vector<std::string>> result = inner_->ListRepos(type, author);
  Record("list_repos", start, result.status());
  return result;
}

Result<ApiPage> MeteredUpstream::GetApiPage(const std::string& path_and_query) {
  const int64_t start = env_->NowMicros();
  Result<ApiPage> result = inner_->GetApiPage(path_and_query);
  Record("api_document", start, result.status());
  return result;
}

UpstreamReachability MeteredUpstream::reachability() const {
  UpstreamReachability r;
  r.state = static_cast<UpstreamReachability::State>(state_.load());
  r.at_micros = state_at_micros_.load();
  return r;
}

}  // namespace hubmirror
