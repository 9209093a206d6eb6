#include "fetcher/xet/xet_upstream.h"

namespace hubmirror {
namespace {

constexpr size_t kMaxRememberedBad = 10'000;

// "scheme://host[:port]" of an absolute URL, or "".
std::string Origin(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const size_t path = url.find('/', scheme + 3);
  return url.substr(0, path);
}

}  // namespace

XetUpstream::XetUpstream(Upstream* inner, std::vector<UpstreamOptions> options,
                         ChunkedObjectStore* store, XetPullStats* stats, FILE* log)
    : inner_(inner), options_(std::move(options)), stats_(stats), log_(log) {
  for (const UpstreamOptions& o : options_) {
    downloaders_.push_back(std::make_unique<XetDownloader>(o, store, stats));
  }
  UpstreamOptions anonymous = options_.empty() ? UpstreamOptions{} : options_.front();
  anonymous.token.clear();
  downloaders_.push_back(std::make_unique<XetDownloader>(anonymous, store, stats));
}

XetDownloader* XetUpstream::DownloaderFor(const std::string& token_url) {
  const std::string origin = Origin(token_url);
  for (size_t i = 0; i < options_.size(); ++i) {
    if (Origin(options_[i].endpoint + "/") == origin) return downloaders_[i].get();
  }
  return downloaders_.back().get();
}

bool XetUpstream::KnownBad(const std::string& xet_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_.count(xet_hash) != 0;
}

void XetUpstream::MarkBad(const std::string& xet_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bad_.size() >= kMaxRememberedBad) bad_.clear();
  bad_.insert(xet_hash);
}

Status XetUpstream::Download(const RepoKey& repo, const std::string& commit,
                             const std::string& path, uint64_t offset, uint64_t expected_size,
                             const ByteSink& sink) {
  Result<FileHead> head = inner_->HeadFile(repo, commit, path);
  if (!head.ok() || head->xet_hash.empty() || head->size != expected_size ||
      KnownBad(head->xet_hash)) {
    return inner_->Download(repo, commit, path, offset, expected_size, sink);
  }
  bool sink_failed = false;
  const ByteSink watched = [&sink, &sink_failed](const char* data, size_t n) {
    Status st = sink(data, n);
    if (!st.ok()) sink_failed = true;
    return st;
  };
  uint64_t delivered = 0;
  Status xet = DownloaderFor(head->xet_token_url)
                   ->Download(head->xet_hash, head->xet_token_url, offset, expected_size, watched,
                              &delivered);
  if (xet.ok() || sink_failed) return xet;
  if (stats_ != nullptr) stats_->fallbacks += 1;
  if (log_ != nullptr) {
    std::fprintf(log_, "hubmirror: pulling %s/%s@%s over Xet failed after %llu bytes (%s); %s\n",
                 repo.ToString().c_str(), path.c_str(), commit.c_str(),
                 static_cast<unsigned long long>(delivered), xet.ToString().c_str(),
                 xet.code() == StatusCode::kDataLoss && delivered > 0
                     ? "the transfer fails; the next one goes over HTTP"
                     : "going on over HTTP");
  }
  if (xet.code() == StatusCode::kDataLoss) {
    // Bytes already delivered may be wrong; the caller's digest check
    // refuses them. The next attempt goes over HTTP.
    MarkBad(head->xet_hash);
    if (delivered > 0) return xet;
  }
  return inner_->Download(repo, commit, path, offset + delivered, expected_size, sink);
}

}  // namespace hubmirror
