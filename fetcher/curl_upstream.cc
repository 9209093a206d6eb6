// Upstream over libcurl: one easy handle per call (reset between the
// requests of that call so the connection is reused), redirects followed by
// hand so the token never leaves the endpoint's origin, bounded retries.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "fetcher/curl_handle.h"
#include "fetcher/http_error.h"
#include "fetcher/http_exchange.h"
#include "fetcher/hub_json.h"
#include "fetcher/link_header.h"
#include "fetcher/upstream.h"
#include "store/xet/xet_hash.h"

namespace hubmirror {
namespace {

// Bound on the pages of one paginated listing (tree, repo list).
constexpr int kMaxPages = 100'000;

// An upstream answer the mirror cannot use (malformed JSON or headers, a
// redirect or pagination that goes nowhere): the client's request was fine,
// so it is a bad gateway (502), not a 400.
Status BadUpstreamAnswer(StatusCode code, std::string message) {
  return Status(code, std::move(message)).WithHubError(HubError::kNone, 502);
}

enum class RedirectPolicy {
  kFollow,          // follow every redirect, any host
  kFollowRelative,  // follow only Locations without a host (renamed repos)
};

class CurlUpstream final : public Upstream {
 public:
  explicit CurlUpstream(UpstreamOptions options) : options_(std::move(options)) {
    while (!options_.endpoint.empty() && options_.endpoint.back() == '/') {
      options_.endpoint.pop_back();
    }
    if (options_.max_attempts < 1) options_.max_attempts = 1;
    if (options_.max_redirects < 0) options_.max_redirects = 0;
  }

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

 private:
  // Receives the body of one page of a paginated listing.
  using PageParser = std::function<Status(const std::string& body)>;
  // GETs `first_url` and every Link rel="next" page after it (same origin
  // only, at most kMaxPages), handing each body to `parse`.
  Status FetchAllPages(const std::string& first_url, const PageParser& parse) const;
  // PerformExchange() plus redirects (per `policy`) and error mapping: returns a 2xx
  // answer, or a 3xx one that the policy does not follow. Sets
  // *retry_after_ms from a 429/503's Retry-After.
  Result<Response> PerformFollowing(CURL* curl, Request req, RedirectPolicy policy,
                                    long* retry_after_ms) const;
  // PerformFollowing() with retries of retryable failures.
  Result<Response> Fetch(CURL* curl, const Request& req, RedirectPolicy policy) const;
  // One download attempt from the resolve URL; advances *delivered.
  Status DownloadAttempt(CURL* curl, const std::string& resolve_url, uint64_t* delivered,
                         uint64_t expected_size, const ByteSink& sink, long* retry_after_ms,
                         bool* fatal) const;
  void SleepBeforeRetry(int attempt, long retry_after_ms) const;

  std::string ApiUrl(const RepoKey& repo, const std::string& what,
                     const std::string& revision) const {
    return options_.endpoint + "/api/" + RepoTypePlural(repo.type) + "/" + repo.id + "/" + what +
           "/" + EncodeRevisionForUrl(revision);
  }
  std::string ResolveUrl(const RepoKey& repo, const std::string& commit,
                         const std::string& path) const {
    return options_.endpoint + "/" + RepoTypeUrlPrefix(repo.type) + repo.id + "/resolve/" +
           EncodeRevisionForUrl(commit) + "/" + EncodePathForUrl(path);
  }

  UpstreamOptions options_;
};

Status ValidateArgs(const RepoKey& repo, const std::string& revision) {
  HM_RETURN_IF_ERROR(ValidateRepoId(repo.id));
  return ValidateRevision(revision);
}

Result<CurlEasyPtr> MakeHandle() {
  CurlEasyPtr h = NewCurlEasy();
  if (!h) return Status::Internal("curl_easy_init failed");
  return h;
}

Result<Response> CurlUpstream::PerformFollowing(CURL* curl, Request req, RedirectPolicy policy,
                                                long* retry_after_ms) const {
  *retry_after_ms = -1;
  for (int hops = 0;; ++hops) {
    HM_ASSIGN_OR_RETURN(Response r, PerformExchange(curl, req, options_, nullptr));
    const std::string what = DescribeRequest(MethodName(req.method), req.url);
    if (r.IsSuccess()) return r;
    if (r.IsRedirect()) {
      std::string location = r.HeaderOr("location");
      bool relative = location.find("://") == std::string::npos && location.rfind("//", 0) != 0;
      if (policy == RedirectPolicy::kFollowRelative && !relative) return r;
      if (r.redirect_url.empty() || !UrlOrigin(r.redirect_url)) {
        return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                                 what + ": upstream redirect " + std::to_string(r.status) +
                                     " without a usable http(s) Location");
      }
      if (hops >= options_.max_redirects) {
        return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                                 what + ": more than " + std::to_string(options_.max_redirects) +
                                     " redirects");
      }
      req.url = r.redirect_url;
      if (r.status == 303 && req.method == Method::kPost) {
        req.method = Method::kGet;
        req.post_body.clear();
      }
      continue;
    }
    if (r.status == 429 || r.status == 503) {
      *retry_after_ms = ParseRetryAfterMs(r.HeaderOr("retry-after"));
    }
    return ErrorAnswerToStatus(std::move(r), options_, what);
  }
}

void CurlUpstream::SleepBeforeRetry(int attempt, long retry_after_ms) const {
  long delay;
  if (retry_after_ms >= 0) {
    delay = std::min(retry_after_ms, options_.backoff_max_ms);
  } else {
    long base = std::max(options_.backoff_initial_ms, 0L);
    for (int i = 1; i < attempt && base < options_.backoff_max_ms; ++i) base *= 2;
    base = std::min(base, options_.backoff_max_ms);
    std::random_device rd;
    std::uniform_int_distribution<long> jitter(0, base / 2);
    delay = base - jitter(rd);  // in [base/2, base]
  }
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
}

Result<Response> CurlUpstream::Fetch(CURL* curl, const Request& req, RedirectPolicy policy) const {
  for (int attempt = 1;; ++attempt) {
    long retry_after_ms = -1;
    Result<Response> r = PerformFollowing(curl, req, policy, &retry_after_ms);
    if (r.ok() || !r.status().retryable() || attempt >= options_.max_attempts) return r;
    SleepBeforeRetry(attempt, retry_after_ms);
  }
}

Result<RevisionInfo> CurlUpstream::GetRevision(const RepoKey& repo, const std::string& revision) {
  HM_RETURN_IF_ERROR(ValidateArgs(repo, revision));
  HM_ASSIGN_OR_RETURN(CurlEasyPtr curl, MakeHandle());
  Request req;
  req.url = ApiUrl(repo, "revision", revision) + "?blobs=true";
  HM_ASSIGN_OR_RETURN(Response r, Fetch(curl.get(), req, RedirectPolicy::kFollow));
  Result<RevisionInfo> info = ParseRevisionInfo(r.body);
  if (!info.ok()) {
    return BadUpstreamAnswer(info.status().code(),
                             DescribeRequest("GET", req.url) + ": " + info.status().message());
  }
  return info;
}

Status CurlUpstream::FetchAllPages(const std::string& first_url, const PageParser& parse) const {
  HM_ASSIGN_OR_RETURN(CurlEasyPtr curl, MakeHandle());
  Request req;
  req.url = first_url;
  // A next link seen before would page forever (a hostile or broken upstream).
  std::set<std::string> seen = {first_url};
  for (int page = 1;; ++page) {
    if (page > kMaxPages) {
      return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                               DescribeRequest("GET", req.url) + ": more than " +
                                   std::to_string(kMaxPages) + " pages");
    }
    HM_ASSIGN_OR_RETURN(Response r, Fetch(curl.get(), req, RedirectPolicy::kFollow));
    if (Status st = parse(r.body); !st.ok()) {
      return BadUpstreamAnswer(st.code(), DescribeRequest("GET", req.url) + ": " + st.message());
    }
    std::string link = r.JoinedHeader("link");
    if (link.empty()) return Status::Ok();
    std::optional<std::string> next = ParseNextLink(link);
    if (!next) return Status::Ok();
    if (!SameOrigin(*next, options_.endpoint)) {
      return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                               DescribeRequest("GET", req.url) +
                                   ": next page link points outside the upstream endpoint: " +
                                   DescribeRequest("GET", *next).substr(4));
    }
    if (!seen.insert(*next).second) {
      return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                               DescribeRequest("GET", req.url) +
                                   ": next page link repeats an earlier page");
    }
    req.url = std::move(*next);
  }
}

Result<std::vector<EntryRecord>> CurlUpstream::ListTree(const RepoKey& repo,
                                                        const std::string& commit) {
  HM_RETURN_IF_ERROR(ValidateArgs(repo, commit));
  std::vector<EntryRecord> all;
  HM_RETURN_IF_ERROR(FetchAllPages(ApiUrl(repo, "tree", commit) + "?recursive=true",
                                   [&all](const std::string& body) -> Status {
                                     HM_ASSIGN_OR_RETURN(std::vector<EntryRecord> entries,
                                                         ParseTreeEntries(body));
                                     for (EntryRecord& e : entries) all.push_back(std::move(e));
                                     return Status::Ok();
                                   }));
  return all;
}

Result<std::vector<std::string>> CurlUpstream::ListRepos(RepoType type,
                                                         const std::string& author) {
  if (author.empty() || author.find('/') != std::string::npos) {
    return Status::InvalidArgument("author '" + author + "' must be one name without '/'");
  }
  HM_RETURN_IF_ERROR(ValidateRepoId(author));
  std::vector<std::string> ids;
  const std::string url = options_.endpoint + "/api/" + RepoTypePlural(type) +
                          "?author=" + EncodeRevisionForUrl(author);
  HM_RETURN_IF_ERROR(FetchAllPages(url, [&ids](const std::string& body) -> Status {
    HM_ASSIGN_OR_RETURN(std::vector<std::string> page, ParseRepoIds(body));
    for (std::string& id : page) ids.push_back(std::move(id));
    return Status::Ok();
  }));
  return ids;
}

Result<ApiPage> CurlUpstream::GetApiPage(const std::string& path_and_query) {
  if (path_and_query.rfind("/api/", 0) != 0) {
    return Status::InvalidArgument("not an API path: " + path_and_query);
  }
  HM_ASSIGN_OR_RETURN(CurlEasyPtr curl, MakeHandle());
  Request req;
  req.url = options_.endpoint + path_and_query;
  HM_ASSIGN_OR_RETURN(Response r, Fetch(curl.get(), req, RedirectPolicy::kFollow));
  const std::string what = DescribeRequest("GET", req.url);
  if (!IsJsonDocument(r.body)) {
    return BadUpstreamAnswer(StatusCode::kInvalidArgument, what + ": the answer is not JSON");
  }
  ApiPage page;
  page.body = std::move(r.body);
  if (const std::string* total = r.Header("x-total-count")) {
    uint64_t n = 0;
    if (ParseUint(*total, &n) && n < (uint64_t{1} << 62)) page.total_count = static_cast<int64_t>(n);
  }
  std::optional<std::string> next = ParseNextLink(r.JoinedHeader("link"));
  if (next) {
    const std::string base = options_.endpoint + "/api/";
    if (next->rfind(base, 0) != 0) {
      return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                               what + ": next page link points outside the upstream's API: " +
                                   DescribeRequest("GET", *next).substr(4));
    }
    page.next = next->substr(options_.endpoint.size());
    if (page.next == path_and_query) {
      return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                               what + ": next page link repeats the page");
    }
  }
  return page;
}

Result<std::vector<EntryRecord>> CurlUpstream::PathsInfo(const RepoKey& repo,
                                                         const std::string& commit,
                                                         const std::vector<std::string>& paths,
                                                         bool expand) {
  HM_RETURN_IF_ERROR(ValidateArgs(repo, commit));
  if (paths.empty()) return std::vector<EntryRecord>{};
  for (const std::string& p : paths) HM_RETURN_IF_ERROR(ValidateRepoPath(p));
  HM_ASSIGN_OR_RETURN(CurlEasyPtr curl, MakeHandle());
  Request req;
  req.method = Method::kPost;
  req.url = ApiUrl(repo, "paths-info", commit);
  for (const std::string& p : paths) {
    req.post_body += "paths=" + EncodeRevisionForUrl(p) + "&";
  }
  req.post_body += expand ? "expand=true" : "expand=false";
  HM_ASSIGN_OR_RETURN(Response r, Fetch(curl.get(), req, RedirectPolicy::kFollow));
  Result<std::vector<EntryRecord>> entries = ParseTreeEntries(r.body);
  if (!entries.ok()) {
    return BadUpstreamAnswer(entries.status().code(),
                             DescribeRequest("POST", req.url) + ": " + entries.status().message());
  }
  return entries;
}

std::string NormalizeEtag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

Result<FileHead> CurlUpstream::HeadFile(const RepoKey& repo, const std::string& commit,
                                        const std::string& path) {
  HM_RETURN_IF_ERROR(ValidateArgs(repo, commit));
  HM_RETURN_IF_ERROR(ValidateRepoPath(path));
  HM_ASSIGN_OR_RETURN(CurlEasyPtr curl, MakeHandle());
  Request req;
  req.method = Method::kHead;
  req.url = ResolveUrl(repo, commit, path);
  const std::string what = DescribeRequest("HEAD", req.url);
  HM_ASSIGN_OR_RETURN(Response r, Fetch(curl.get(), req, RedirectPolicy::kFollowRelative));
  FileHead head;
  head.is_lfs = r.IsRedirect();
  head.commit = r.HeaderOr("x-repo-commit");
  for (char& c : head.commit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!head.commit.empty() && !IsCommitSha(head.commit)) {
    return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                             what + ": X-Repo-Commit is not a 40-hex commit");
  }
  const std::string* etag = r.Header("x-linked-etag");
  if (etag == nullptr) etag = r.Header("etag");
  if (etag != nullptr) head.etag = NormalizeEtag(*etag);
  if (head.etag.empty()) {
    return BadUpstreamAnswer(StatusCode::kInvalidArgument, what + ": upstream sent no ETag");
  }
  const std::string* size = r.Header("x-linked-size");
  if (size == nullptr && !head.is_lfs) size = r.Header("content-length");
  if (size == nullptr || !ParseUint(*size, &head.size)) {
    return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                             what + ": upstream sent no valid file size");
  }
  // Xet is an offer: one that is malformed is ignored (plain HTTP works).
  std::string xet_hash = r.HeaderOr("x-xet-hash");
  for (char& c : xet_hash) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::optional<std::string> token_url = ParseLinkWithRel(r.JoinedHeader("link"), "xet-auth");
  if (!token_url) {
    const std::string route = r.HeaderOr("x-xet-refresh-route");
    if (route.rfind("http://", 0) == 0 || route.rfind("https://", 0) == 0) token_url = route;
  }
  if (XetHash::FromHex(xet_hash) && token_url) {
    head.xet_hash = std::move(xet_hash);
    head.xet_token_url = std::move(*token_url);
  }
  return head;
}

// Feeds a 2xx download body to the caller's sink, enforcing offsets and the
// expected size.
class DownloadTarget final : public StreamTarget {
 public:
  DownloadTarget(std::string what, uint64_t* delivered, uint64_t expected_size,
                 const ByteSink& sink)
      : what_(std::move(what)), delivered_(delivered), expected_(expected_size), sink_(sink) {}

  Status Begin(const Response& r) override {
    skip_ = 0;
    if (r.status == 206) {
      // Content-Range: bytes FIRST-LAST/TOTAL (TOTAL may be "*").
      std::string cr = r.HeaderOr("content-range");
      uint64_t first = 0, total = 0;
      size_t dash = cr.find('-');
      size_t slash = cr.find('/');
      if (cr.rfind("bytes ", 0) != 0 || dash == std::string::npos || slash == std::string::npos ||
          !ParseUint(std::string_view(cr).substr(6, dash - 6), &first)) {
        return Status::InvalidArgument(what_ + ": 206 with a bad Content-Range '" +
                                       cr.substr(0, 80) + "'");
      }
      if (first != *delivered_) {
        return Status::InvalidArgument(what_ + ": asked for bytes from " +
                                       std::to_string(*delivered_) + " but got a range from " +
                                       std::to_string(first));
      }
      std::string_view total_text = std::string_view(cr).substr(slash + 1);
      if (total_text != "*" && ParseUint(total_text, &total) && total != expected_) {
        return SizeMismatch(total);
      }
    } else if (r.status == 200) {
      skip_ = *delivered_;  // the server ignored our Range: skip what we have
      uint64_t length = 0;
      const std::string* cl = r.Header("content-length");
      if (cl != nullptr && ParseUint(*cl, &length) && length != expected_) {
        return SizeMismatch(length);
      }
    } else {
      return Status::InvalidArgument(what_ + ": unexpected HTTP " + std::to_string(r.status));
    }
    return Status::Ok();
  }

  Status Write(const char* data, size_t n) override {
    if (skip_ > 0) {
      size_t s = static_cast<size_t>(std::min<uint64_t>(skip_, n));
      data += s;
      n -= s;
      skip_ -= s;
      if (n == 0) return Status::Ok();
    }
    if (n > expected_ - *delivered_) {
      return Status::DataLoss(what_ + ": upstream sent more than the expected " +
                              std::to_string(expected_) + " bytes");
    }
    Status st;
    try {
      st = sink_(data, n);
    } catch (const std::exception& e) {
      st = Status::Internal(what_ + ": sink threw: " + e.what());
    } catch (...) {
      st = Status::Internal(what_ + ": sink threw");
    }
    if (!st.ok()) {
      sink_failed_ = true;
      return st;
    }
    *delivered_ += n;
    return Status::Ok();
  }

  bool sink_failed() const { return sink_failed_; }

 private:
  Status SizeMismatch(uint64_t got) const {
    return Status::DataLoss(what_ + ": upstream file is " + std::to_string(got) +
                            " bytes, expected " + std::to_string(expected_));
  }

  std::string what_;
  uint64_t* delivered_;
  uint64_t expected_;
  const ByteSink& sink_;
  uint64_t skip_ = 0;
  bool sink_failed_ = false;
};

Status CurlUpstream::DownloadAttempt(CURL* curl, const std::string& resolve_url,
                                     uint64_t* delivered, uint64_t expected_size,
                                     const ByteSink& sink, long* retry_after_ms,
                                     bool* fatal) const {
  *retry_after_ms = -1;
  Request req;
  req.url = resolve_url;
  req.metadata = false;
  bool retried_forbidden = false;
  for (int hops = 0;;) {
    const std::string what = DescribeRequest("GET", req.url);
    req.range = *delivered > 0 ? "bytes=" + std::to_string(*delivered) + "-" : "";
    DownloadTarget target(what, delivered, expected_size, sink);
    Result<Response> result = PerformExchange(curl, req, options_, &target);
    if (!result.ok()) {
      // A sink failure, or data that can never be right, ends the download.
      if (target.sink_failed() || result.status().code() == StatusCode::kDataLoss) *fatal = true;
      return std::move(result).status();
    }
    Response& r = *result;
    if (r.IsSuccess()) return Status::Ok();
    if (r.IsRedirect()) {
      if (r.redirect_url.empty() || !UrlOrigin(r.redirect_url)) {
        return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                                 what + ": upstream redirect " + std::to_string(r.status) +
                                     " without a usable http(s) Location");
      }
      if (++hops > options_.max_redirects) {
        return BadUpstreamAnswer(StatusCode::kInvalidArgument,
                                 what + ": more than " + std::to_string(options_.max_redirects) +
                                     " redirects");
      }
      req.url = r.redirect_url;
      continue;
    }
    if (r.status == 403 && req.url != resolve_url && !retried_forbidden) {
      // Most likely an expired signed CDN URL: ask the resolve URL again.
      retried_forbidden = true;
      req.url = resolve_url;
      hops = 0;
      continue;
    }
    if (r.status == 429 || r.status == 503) {
      *retry_after_ms = ParseRetryAfterMs(r.HeaderOr("retry-after"));
    }
    return ErrorAnswerToStatus(std::move(r), options_, what);
  }
}

Status CurlUpstream::Download(const RepoKey& repo, const std::string& commit,
                              const std::string& path, uint64_t offset, uint64_t expected_size,
                              const ByteSink& sink) {
  HM_RETURN_IF_ERROR(ValidateArgs(repo, commit));
  HM_RETURN_IF_ERROR(ValidateRepoPath(path));
  const std::string resolve_url = ResolveUrl(repo, commit, path);
  const std::string what = DescribeRequest("GET", resolve_url);
  if (offset > expected_size) {
    return Status::InvalidArgument(what + ": offset " + std::to_string(offset) +
                                   " is past the expected size " + std::to_string(expected_size));
  }
  if (offset == expected_size) return Status::Ok();
  HM_ASSIGN_OR_RETURN(CurlEasyPtr curl, MakeHandle());
  uint64_t delivered = offset;
  for (int attempt = 1;; ++attempt) {
    long retry_after_ms = -1;
    bool fatal = false;
    Status st = DownloadAttempt(curl.get(), resolve_url, &delivered, expected_size, sink,
                                &retry_after_ms, &fatal);
    if (st.ok() && delivered == expected_size) return Status::Ok();
    if (st.ok()) {
      st = Status::Unavailable(what + ": body ended after " + std::to_string(delivered) + " of " +
                               std::to_string(expected_size) + " bytes");
    }
    if (fatal || !st.retryable()) return st;
    if (attempt >= options_.max_attempts) {
      return Status(st.code(), st.message() + " (gave up after " + std::to_string(attempt) +
                                   " attempts with " + std::to_string(delivered) + " of " +
                                   std::to_string(expected_size) + " bytes)");
    }
    SleepBeforeRetry(attempt, retry_after_ms);
  }
}

}  // namespace

std::unique_ptr<Upstream> NewCurlUpstream(const UpstreamOptions& options) {
  return std::make_unique<CurlUpstream>(options);
}

}  // namespace hubmirror
