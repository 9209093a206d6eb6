#include "fetcher/xet/xet_cas_client.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "fetcher/curl_handle.h"
#include "fetcher/http_exchange.h"

namespace hubmirror {
namespace {

using nlohmann::json;

constexpr size_t kMaxTokenBody = 64 << 10;

// Appends a 206 (or 200) body to `out`, starting at byte `first` of the
// resource; refuses more than `max` bytes.
class AppendTarget final : public StreamTarget {
 public:
  AppendTarget(std::string* out, uint64_t max) : out_(out), max_(max) {}
  Status Begin(const Response& r) override {
    if (r.status != 206) {
      return Status::InvalidArgument("xorb range answered HTTP " + std::to_string(r.status) +
                                     ", not 206");
    }
    return Status::Ok();
  }
  Status Write(const char* data, size_t n) override {
    if (got_ + n > max_) return Status::DataLoss("xorb range answer is longer than asked");
    out_->append(data, n);
    got_ += n;
    return Status::Ok();
  }
  uint64_t got() const { return got_; }

 private:
  std::string* out_;
  const uint64_t max_;
  uint64_t got_ = 0;
};

}  // namespace

Result<XetAccess> XetCasClient::GetReadToken(const std::string& token_url) const {
  CurlEasyPtr curl = NewCurlEasy();
  if (!curl) return Status::Internal("cannot create a libcurl handle");
  Request req;
  req.url = token_url;
  const std::string what = "GET " + token_url;
  HM_ASSIGN_OR_RETURN(Response r, PerformExchange(curl.get(), req, options_, nullptr));
  if (!r.IsSuccess()) return ErrorAnswerToStatus(std::move(r), options_, what);
  XetAccess access;
  json body = r.body.size() <= kMaxTokenBody ? json::parse(r.body, nullptr, false) : json();
  if (body.is_object() && body.value("casUrl", json()).is_string() &&
      body.value("accessToken", json()).is_string() && body.value("exp", json()).is_number()) {
    access.cas_url = body["casUrl"].get<std::string>();
    access.token = body["accessToken"].get<std::string>();
    access.expires_at = body["exp"].get<int64_t>();
  } else {
    access.cas_url = r.HeaderOr("x-xet-cas-url");
    access.token = r.HeaderOr("x-xet-access-token");
    uint64_t exp = 0;
    if (!ParseUint(r.HeaderOr("x-xet-token-expiration"), &exp)) {
      return Status::InvalidArgument(what + ": no Xet token in the answer");
    }
    access.expires_at = static_cast<int64_t>(exp);
  }
  while (!access.cas_url.empty() && access.cas_url.back() == '/') access.cas_url.pop_back();
  if ((access.cas_url.rfind("http://", 0) != 0 && access.cas_url.rfind("https://", 0) != 0) ||
      access.token.empty()) {
    return Status::InvalidArgument(what + ": the Xet token answer has no http(s) casUrl or token");
  }
  return access;
}

Result<std::string> XetCasClient::GetReconstruction(const XetAccess& access,
                                                    const std::string& file_hash, uint64_t first,
                                                    uint64_t last) const {
  CurlEasyPtr curl = NewCurlEasy();
  if (!curl) return Status::Internal("cannot create a libcurl handle");
  Status last_error = Status::Unavailable("no attempt made");
  for (const char* version : {"v2", "v1"}) {
    Request req;
    req.url = access.cas_url + "/" + version + "/reconstructions/" + file_hash;
    req.bearer = access.token;
    req.range = "bytes=" + std::to_string(first) + "-" + std::to_string(last);
    const std::string what = "GET " + req.url;
    for (int attempt = 1;; ++attempt) {
      Result<Response> r = PerformExchange(curl.get(), req, options_, nullptr);
      if (r.ok() && r->IsSuccess()) return std::move(r->body);
      last_error = r.ok() ? ErrorAnswerToStatus(*r, options_, what) : r.status();
      if (r.ok() && (r->status == 404 || r->status == 501) && std::string(version) == "v2") break;
      if (!last_error.retryable() || attempt >= options_.max_attempts) return last_error;
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_initial_ms * attempt));
    }
  }
  return last_error;
}

Status XetCasClient::FetchRange(const std::string& url, uint64_t first, uint64_t last,
                                std::string* out) const {
  CurlEasyPtr curl = NewCurlEasy();
  if (!curl) return Status::Internal("cannot create a libcurl handle");
  uint64_t next = first;
  Status last_error = Status::Unavailable("no attempt made");
  // Rounds are bounded twice: failed attempts by max_attempts, and rounds
  // that made progress by the bytes left (a server answering one byte at a
  // time still ends), capped for good measure.
  constexpr int kMaxRounds = 10'000;
  for (int attempt = 1, round = 0; attempt <= options_.max_attempts && round < kMaxRounds;
       ++round) {
    Request req;
    req.url = url;
    req.anonymous = true;
    req.metadata = false;
    req.range = "bytes=" + std::to_string(next) + "-" + std::to_string(last);
    AppendTarget target(out, last - next + 1);
    Result<Response> r = PerformExchange(curl.get(), req, options_, &target);
    next += target.got();
    if (next > last) return Status::Ok();
    if (r.ok() && r->status == 403) {
      return Status::PermissionDenied("xorb URL refused (expired?): " + url.substr(0, 120));
    }
    if (r.ok() && !r->IsSuccess()) {
      last_error = ErrorAnswerToStatus(*r, options_, "GET xorb range");
      if (!last_error.retryable()) return last_error;
    } else if (!r.ok()) {
      last_error = r.status();
      if (last_error.code() == StatusCode::kDataLoss) return last_error;
    } else {
      last_error = Status::Unavailable("xorb range answer ended early");
    }
    // Progress resets the attempts: a short answer is resumed, not failed.
    if (target.got() == 0) {
      ++attempt;
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_initial_ms * attempt));
    }
  }
  return last_error;
}

}  // namespace hubmirror
