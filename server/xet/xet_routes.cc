#include "server/xet/xet_routes.h"

#include <nlohmann/json.hpp>

#include <memory>

#include "server/body_source.h"
#include "server/byte_range.h"
#include "server/error_response.h"
#include "server/url_text.h"
#include "server/xet/xet_reconstruction.h"

namespace hubmirror {
namespace {

using nlohmann::json;

std::string QueryValue(const HubRoute& route, const char* key) {
  auto it = route.query.find(key);
  return it == route.query.end() ? "" : it->second;
}

// How long a reconstruction of a file being pulled waits for it: under
// hf_xet's 300 s read timeout; after it, a 503 the client retries.
constexpr int64_t kColdWaitSeconds = 240;
// Cold offers remembered (each costs one upstream HEAD to learn), and
// stored ones.
constexpr size_t kMaxColdOffers = 20'000;
// How long a stored file's offer is used without asking the store again.
constexpr int64_t kOfferTtlSeconds = 2;

std::string ColdKey(const RepoKey& repo, const std::string& commit, const std::string& path) {
  return std::string(RepoTypeName(repo.type)) + "/" + repo.id + "@" + commit + "/" + path;
}

}  // namespace

std::string XetBearerToken(const HttpRequest& req) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
    return "";
  }
  return header.substr(kBearer.size());
}

std::string XetCasUrl(const std::string& base_url) { return base_url + "/xet"; }

XetRoutes::XetRoutes(const XetOptions& options, Env* env, const XetSigner* signer, Index* index,
                     ChunkedObjectStore* store, AuditLog* audit, ServerMetrics* metrics)
    : options_(options),
      env_(env),
      signer_(signer),
      index_(index),
      store_(store),
      audit_(audit),
      metrics_(metrics) {}

void XetRoutes::EnableColdOffers(PullThrough* pull_through, Upstream* upstream,
                                 int64_t stall_timeout_ms) {
  pull_through_ = pull_through;
  upstream_ = upstream;
  stall_timeout_ms_ = stall_timeout_ms;
}

std::string XetRoutes::OfferColdFor(const RepoKey& repo, const std::string& commit,
                                    const EntryRecord& entry) {
  if (pull_through_ == nullptr || upstream_ == nullptr || !entry.is_lfs || entry.size == 0) {
    return "";
  }
  const std::string key = ColdKey(repo, commit, entry.path);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto known = cold_offers_.find(key);
    if (known != cold_offers_.end()) return known->second;
  }
  // Asked outside the lock: a slow upstream must not hold up other files.
  Result<FileHead> head = upstream_->HeadFile(repo, commit, entry.path);
  if (!head.ok() && head.status().retryable()) return "";  // ask again next time
  std::string offer;
  if (head.ok() && !head->xet_hash.empty() && head->size == entry.size) offer = head->xet_hash;
  std::lock_guard<std::mutex> lock(mu_);
  if (cold_offers_.size() >= kMaxColdOffers) {
    cold_offers_.clear();
    cold_by_hash_.clear();
  }
  cold_offers_[key] = offer;
  if (!offer.empty()) cold_by_hash_[offer] = ColdFile{repo, commit, entry};
  return offer;
}

std::optional<XetRoutes::ColdFile> XetRoutes::FindCold(const std::string& xet_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cold_by_hash_.find(xet_hash);
  if (it == cold_by_hash_.end()) return std::nullopt;
  return it->second;
}

Result<XetServedFile> XetRoutes::PullCold(const ColdFile& cold) {
  Result<std::shared_ptr<ObjectFetch>> fetch =
      pull_through_->StartOrJoin(cold.repo, cold.commit, cold.entry);
  if (!fetch.ok() && fetch.status().code() != StatusCode::kAlreadyExists) return fetch.status();
  if (fetch.ok()) {
    HM_RETURN_IF_ERROR((*fetch)->WaitDone(stall_timeout_ms_, kColdWaitSeconds * 1000));
  }
  // Served under the store's reconstruction, whatever Xet hash it got.
  return store_->XetFileOf(cold.entry.lfs_sha256);
}

int64_t XetRoutes::NowSeconds() const { return env_->NowMicros() / 1000000; }

std::string XetRoutes::OfferFor(const RepoKey& repo, const std::string& commit,
                                const EntryRecord& entry) {
  if (!entry.is_lfs || entry.lfs_sha256.empty()) return "";
  const int64_t now = env_->NowMicros();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto known = stored_offers_.find(entry.lfs_sha256);
    if (known != stored_offers_.end() &&
        now - known->second.checked_at_micros < kOfferTtlSeconds * 1000000) {
      return known->second.xet_hash;
    }
  }
  // The store's catalog says both whether the bytes are there and under
  // which Xet hash ("" for an older layout). Either answer is kept for a
  // while: HEADs of a file not stored yet must not cost a query each either.
  Result<ChunkedObjectRow> row = store_->GetObjectRow(entry.lfs_sha256);
  if (!row.ok() && row.status().code() != StatusCode::kNotFound) return "";
  const std::string offer = row.ok() ? row->xet_hash : "";
  std::lock_guard<std::mutex> lock(mu_);
  if (stored_offers_.size() >= kMaxColdOffers) stored_offers_.clear();
  stored_offers_[entry.lfs_sha256] = StoredOffer{offer, now};
  if (offer.empty()) return "";
  // Should it be evicted while a client still holds the hash, its
  // reconstruction pulls it again (when this server pulls at all).
  if (cold_by_hash_.size() >= kMaxColdOffers) cold_by_hash_.clear();
  cold_by_hash_[row->xet_hash] = ColdFile{repo, commit, entry};
  return row->xet_hash;
}

void XetRoutes::AddResolveHeaders(const std::string& base_url, const HubRoute& route,
                                  const std::string& commit, const std::string& xet_hash,
                                  HttpResponse* res) const {
  const std::string token_url = base_url + "/api/" + RepoTypePlural(route.repo.type) + "/" +
                                route.repo.id + "/xet-read-token/" + commit;
  res->set_header("X-Xet-Hash", xet_hash);
  res->set_header("Link", "<" + token_url + ">; rel=\"xet-auth\", <" + XetCasUrl(base_url) +
                              "/v1/reconstructions/" + xet_hash +
                              ">; rel=\"xet-reconstruction-info\"");
}

void XetRoutes::AnswerReadToken(const HubRoute& route, const Caller& caller,
                                const std::string& base_url, HttpResponse* res) const {
  const int64_t exp = NowSeconds() + options_.token_ttl_seconds;
  const std::string token = signer_->IssueReadToken(XetReadGrant{route.repo, caller.name, exp});
  WriteXetTokenAnswer(XetCasUrl(base_url), token, exp, res);
}

void WriteXetTokenAnswer(const std::string& cas_url, const std::string& token, int64_t exp,
                         HttpResponse* res) {
  // Both forms: huggingface_hub reads the headers, hf_xet and JS the body.
  res->set_header("X-Xet-Cas-Url", cas_url);
  res->set_header("X-Xet-Access-Token", token);
  res->set_header("X-Xet-Token-Expiration", std::to_string(exp));
  res->set_header("Cache-Control", "no-store");
  res->set_content(json{{"casUrl", cas_url}, {"accessToken", token}, {"exp", exp}}.dump(),
                   "application/json");
}

void XetRoutes::HandleReconstruction(const HubRoute& route, const HttpRequest& req,
                                     const std::string& base_url, HttpResponse* res) {
  const bool has_token = req.has_header("Authorization");
  Result<XetReadGrant> grant = signer_->CheckReadToken(XetBearerToken(req), NowSeconds());
  if (!grant.ok()) return WriteError(grant.status(), has_token, res);
  // The same answer for a file that is not stored and one the token's repo
  // does not list: a token for one repo learns nothing about another.
  const Status not_here =
      Status::NotFound("no file with Xet hash " + route.path + " in " + grant->repo.ToString())
          .WithHubError(HubError::kEntryNotFound, 404);
  Result<XetServedFile> file = store_->FindXetFile(*XetHash::FromHex(route.path));
  if (!file.ok() && file.status().code() == StatusCode::kNotFound) {
    // Announced before it was stored: pull it now (the token must be for
    // the repo it was announced in).
    std::optional<ColdFile> cold = FindCold(route.path);
    if (cold && cold->repo == grant->repo && pull_through_ != nullptr) file = PullCold(*cold);
  }
  if (!file.ok()) {
    return WriteError(file.status().code() == StatusCode::kNotFound ? not_here : file.status(),
                      has_token, res);
  }
  Result<std::optional<RepoFileRef>> listed = index_->FindRepoFileOf(grant->repo, file->row.sha256);
  if (!listed.ok()) return WriteError(listed.status(), has_token, res);
  if (!*listed) return WriteError(not_here, has_token, res);

  const uint64_t size = file->row.size;
  uint64_t first = 0;
  uint64_t last = size == 0 ? 0 : size - 1;
  if (size > 0) {
    ByteRange range = ParseByteRange(req.get_header_value("Range"), size);
    if (range.kind == ByteRange::Kind::kUnsatisfiable) {
      res->set_header("Content-Range", "bytes */" + std::to_string(size));
      return WriteError(Status::InvalidArgument("Range starts past the end of a file of " +
                                                std::to_string(size) + " bytes")
                            .WithHubError(HubError::kNone, 416),
                        has_token, res);
    }
    if (range.kind == ByteRange::Kind::kSatisfiable) {
      first = range.first;
      last = range.last;
    }
  }
  json answer;
  if (size == 0) {
    answer = {{"offset_into_first_range", 0}, {"terms", json::array()}};
    answer[route.api_version == 1 ? "fetch_info" : "xorbs"] = json::object();
  } else {
    const int64_t exp = NowSeconds() + options_.url_ttl_seconds;
    answer = BuildReconstruction(
        *file, route.api_version, first, last,
        [&](const XetHash& xorb, uint64_t from, uint64_t to) {
          const std::string hex = xorb.ToHex();
          return XetCasUrl(base_url) + "/xorbs/" + hex + "?" +
                 signer_->SignRange(hex, from, to, exp);
        });
  }
  if (audit_ != nullptr) {
    // One line per reconstruction asked: the Xet counterpart of a GET.
    AuditRecord record = AuditRecord::About(grant->who, req.remote_addr, "XET", grant->repo);
    record.commit = (*listed)->commit;
    record.file = (*listed)->path;
    record.status = 200;
    record.bytes = size == 0 ? 0 : last - first + 1;
    record.complete = true;
    audit_->Write(record);
  }
  if (on_download_) on_download_(grant->repo, file->row.sha256);
  res->set_header("Cache-Control", "no-store");
  res->set_content(answer.dump(), "application/json");
}

void XetRoutes::HandleXorb(const HubRoute& route, const HttpRequest& req,
                           HttpResponse* res) {
  uint64_t first = 0;
  uint64_t last = 0;
  Status signed_ok = signer_->CheckRange(route.path, QueryValue(route, "range"),
                                         QueryValue(route, "exp"), QueryValue(route, "sig"),
                                         NowSeconds(), &first, &last);
  if (!signed_ok.ok()) {
    return WriteError(std::move(signed_ok).WithHubError(HubError::kNone, 403), false, res);
  }
  Result<StoredXorb> xorb = store_->OpenXorb(*XetHash::FromHex(route.path));
  if (!xorb.ok()) {
    // Compaction may have rewritten it since the URL was made: 403 sends
    // hf_xet and the JS client back for a fresh reconstruction.
    const Status status = xorb.status().code() == StatusCode::kNotFound
                              ? Status::PermissionDenied("xorb " + route.path +
                                                         " moved; fetch the reconstruction again")
                                    .WithHubError(HubError::kNone, 403)
                              : xorb.status();
    return WriteError(status, false, res);
  }
  if (last >= xorb->size) {
    return WriteError(Status::PermissionDenied("signed range lies past the xorb's end; fetch "
                                               "the reconstruction again")
                          .WithHubError(HubError::kNone, 403),
                      false, res);
  }
  // Within the signed range the client may ask any sub-range.
  ByteRange asked = ParseByteRange(req.get_header_value("Range"), xorb->size);
  if (asked.kind == ByteRange::Kind::kUnsatisfiable ||
      (asked.kind == ByteRange::Kind::kSatisfiable &&
       (asked.first < first || asked.last > last))) {
    res->set_header("Content-Range", "bytes */" + std::to_string(xorb->size));
    return WriteError(Status::InvalidArgument("Range lies outside the signed bytes " +
                                              std::to_string(first) + "-" + std::to_string(last))
                          .WithHubError(HubError::kNone, 416),
                      false, res);
  }
  if (asked.kind == ByteRange::Kind::kSatisfiable) {
    first = asked.first;
    last = asked.last;
  }
  const uint64_t length = last - first + 1;
  res->status = 206;
  res->set_header("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                       "/" + std::to_string(xorb->size));
  res->set_header("Accept-Ranges", "bytes");
  if (req.method == "HEAD") {
    res->set_content_provider(length, "application/octet-stream",
                              [](uint64_t, uint64_t, const BodyWriter&) { return false; });
    return;
  }
  std::shared_ptr<BodySource> body = NewFileBody(xorb->file, xorb->size);
  Counter* served = metrics_ != nullptr ? &metrics_->served_bytes.With({"xet"}) : nullptr;
  res->set_content_provider(
      length, "application/octet-stream",
      [body, first, served](uint64_t offset, uint64_t remaining, const BodyWriter& sink) {
        BodyWriter write = [&sink, served](const char* data, size_t n) {
          if (!sink(data, n)) return false;
          if (served != nullptr) served->Add(n);
          return true;
        };
        return body->WriteSome(first + offset, remaining, write).ok();
      });
}

}  // namespace hubmirror
