// Upstream: what hubmirror needs from an upstream Hugging Face hub.
//
// The server depends on this interface, not on libcurl: production uses
// NewCurlUpstream(); tests may substitute a scripted fake. Every call is a
// blocking request with bounded retries and timeouts; implementations are
// thread-safe.
//
// Errors: a Hub verdict (repo, revision or file not found, gated repo) comes
// back with Status::hub_error() and the upstream's HTTP status set; network
// failures and 5xx are Unavailable/DeadlineExceeded (retryable()); malformed
// upstream data is InvalidArgument or DataLoss.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/index/index.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct UpstreamOptions {
  std::string endpoint = "https://huggingface.co";  // no trailing slash
  std::string token;                                // sent only to the endpoint's host
  std::string user_agent = "hubmirror/0.1";
  long connect_timeout_ms = 10'000;
  // A transfer slower than low_speed_bytes_per_sec for low_speed_time_sec is
  // dropped (and resumed, within max_attempts).
  long low_speed_bytes_per_sec = 1024;
  long low_speed_time_sec = 30;
  // Whole-request cap for metadata calls (not for file bodies).
  long metadata_timeout_ms = 60'000;
  int max_attempts = 5;
  long backoff_initial_ms = 200;
  long backoff_max_ms = 5'000;
  int max_redirects = 5;
  // In a chain of upstreams: after this upstream could not be reached, the
  // next one is asked instead for this long (UpstreamChain).
  int64_t hold_off_seconds = 30;
};

// Repo info at one revision.
struct RevisionInfo {
  std::string commit;     // the 40-hex sha the revision resolved to
  std::string info_json;  // the repo-info JSON, Xet fields removed
};

// Metadata of a file's resolve endpoint (HEAD).
struct FileHead {
  std::string commit;  // X-Repo-Commit
  std::string etag;    // X-Linked-Etag or ETag, normalized (no W/, no quotes)
  uint64_t size = 0;   // X-Linked-Size or Content-Length
  bool is_lfs = false; // the resolve answered with a redirect to a CDN
  // Offered over Xet (../shared/xet-protocol.md (e)): the file's Xet hash
  // (X-Xet-Hash, 64 hex) and the absolute URL of its read token (Link
  // rel="xet-auth" or X-Xet-Refresh-Route); both "" otherwise.
  std::string xet_hash;
  std::string xet_token_url;
};

// One page of a read-only API document the mirror passes on to clients:
// the refs of a repo, its commit history, a listing of repos.
struct ApiPage {
  std::string body;  // the upstream's JSON (checked to be JSON), otherwise unchanged
  // The next page as a path and query relative to the endpoint
  // ("/api/models?author=x&cursor=..."), or "" on the last page.
  std::string next;
  // The upstream's X-Total-Count (the number of commits), or -1.
  int64_t total_count = -1;
};

// Receives body bytes in order; a non-OK status stops the transfer.
using ByteSink = std::function<Status(const char* data, size_t n)>;

class Upstream {
 public:
  virtual ~Upstream() = default;

  // GET /api/{type}s/{id}/revision/{rev}?blobs=true
  virtual Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) = 0;
  // GET /api/{type}s/{id}/tree/{commit}?recursive=true, following every
  // Link rel="next" page. Files and directories.
  virtual Result<std::vector<EntryRecord>> ListTree(const RepoKey& repo,
                                                    const std::string& commit) = 0;
  // POST /api/{type}s/{id}/paths-info/{commit}; paths absent upstream are
  // simply missing from the result.
  virtual Result<std::vector<EntryRecord>> PathsInfo(const RepoKey& repo,
                                                     const std::string& commit,
                                                     const std::vector<std::string>& paths,
                                                     bool expand) = 0;
  // HEAD /{prefix}{id}/resolve/{commit}/{path}, not following redirects.
  virtual Result<FileHead> HeadFile(const RepoKey& repo, const std::string& commit,
                                    const std::string& path) = 0;
  // GET the file's bytes from `offset` on (Range when offset > 0), following
  // the redirect to the CDN without sending the token there. A dropped
  // connection is resumed with Range from the last byte delivered to `sink`;
  // `expected_size` bounds the transfer.
  virtual Status Download(const RepoKey& repo, const std::string& commit,
                          const std::string& path, uint64_t offset, uint64_t expected_size,
                          const ByteSink& sink) = 0;
  // GET /api/{type}s?author={author}, following every Link rel="next" page:
  // the ids ("author/name") of every repo of that type the author owns, in
  // the upstream's order. `author` is one id segment (no '/'). Used to expand
  // "org/*" in a sync list. The default answers FailedPrecondition, for
  // upstreams (test fakes) that cannot list.
  virtual Result<std::vector<std::string>> ListRepos(RepoType type, const std::string& author) {
    return Status::FailedPrecondition("this upstream cannot list the repos of '" + author + "'");
  }
  // GET {endpoint}{path_and_query}: one page of a JSON document under /api/
  // (refs, commits, listings). `path_and_query` starts with "/api/" and is
  // built by the caller from validated, percent-encoded parts. A next-page
  // link that leaves the endpoint is a bad upstream answer (502). The default
  // answers FailedPrecondition, for upstreams (test fakes) without it.
  virtual Result<ApiPage> GetApiPage(const std::string& path_and_query) {
    return Status::FailedPrecondition("this upstream cannot answer " + path_and_query);
  }
};

std::unique_ptr<Upstream> NewCurlUpstream(const UpstreamOptions& options);

}  // namespace hubmirror
