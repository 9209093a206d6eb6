#include "server/hub_server.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include "server/body_source.h"
#include "server/byte_range.h"
#include "server/error_response.h"
#include "server/url_text.h"
#include "store/entry_objects.h"
#include "store/human_format.h"

namespace hubmirror {
namespace {

using nlohmann::json;

// What the JS client accepts on its resolve probe to learn a file is on Xet.
constexpr const char* kXetFileInfoType = "application/vnd.xet-fileinfo+json";

int64_t MonotonicNowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool HasToken(const HttpRequest& req) { return req.has_header("Authorization"); }

std::string QuotedEtag(const EntryRecord& entry) {
  return "\"" + (entry.is_lfs ? entry.lfs_sha256 : entry.oid) + "\"";
}

// The audit record of one download, written when the last reference goes:
// after the body was streamed (the content provider holds one), or right
// away for answers without a body.
struct DownloadAudit {
  DownloadAudit(AuditLog* log, AuditRecord record) : log(log), record(std::move(record)) {}
  ~DownloadAudit() {
    record.bytes = bytes.load();
    record.complete = record.status < 400 && record.bytes == expected;
    log->Write(record);
  }
  AuditLog* log;
  AuditRecord record;
  uint64_t expected = 0;
  std::atomic<uint64_t> bytes{0};
};

// Copies the response status into the audit record when the handler returns.
class AuditStatusCapture {
 public:
  AuditStatusCapture(DownloadAudit* audit, const HttpResponse& res)
      : audit_(audit), res_(res) {}
  ~AuditStatusCapture() {
    if (audit_ != nullptr) audit_->record.status = res_.status;
  }

 private:
  DownloadAudit* audit_;
  const HttpResponse& res_;
};

}  // namespace

// One request as the access log sees it. Written when the last reference
// goes: when Handle() returns, or after the body streamed for responses
// whose content provider holds a reference.
struct HubServer::Exchange {
  explicit Exchange(AccessLog* log) : log(log) {}
  ~Exchange() {
    if (log == nullptr) return;
    record.bytes += streamed_bytes.load();
    if (streaming) record.complete = streamed_bytes.load() == expected_stream_bytes;
    log->Write(record);
  }
  AccessLog* log;
  AccessRecord record;
  bool streaming = false;
  uint64_t expected_stream_bytes = 0;
  std::atomic<uint64_t> streamed_bytes{0};
};

namespace {

EventServerOptions ConnectionOptions(const ServerOptions& options) {
  EventServerOptions o;
  o.host = options.listen_host;
  o.port = options.listen_port;
  o.worker_threads = std::max(1, options.worker_threads);
  o.limits.max_head_bytes = options.max_request_head_bytes;
  o.limits.max_header_count = options.max_request_headers;
  o.limits.max_body_bytes = options.max_request_body_bytes;
  o.head_timeout_ms = int64_t{options.request_head_timeout_seconds} * 1000;
  o.keep_alive_timeout_ms = int64_t{options.keep_alive_timeout_seconds} * 1000;
  o.keep_alive_max_requests = options.keep_alive_max_requests;
  o.read_timeout_ms = int64_t{options.read_timeout_seconds} * 1000;
  o.write_timeout_ms = int64_t{options.write_timeout_seconds} * 1000;
  // A response waiting for a pull-through gives up when the transfer stalls.
  o.body_wait_timeout_ms = int64_t{options.fetch_stall_timeout_seconds} * 1000;
  o.max_connections = options.max_connections;
  o.max_connections_per_client = options.max_connections_per_client;
  return o;
}

// Browser clients (transformers.js, @huggingface/hub in a page) read these
// headers cross-origin, as they do from huggingface.co.
void AddCorsHeaders(HttpResponse* res) {
  res->set_header("Access-Control-Allow-Origin", "*");
  res->set_header("Access-Control-Expose-Headers",
                  "ETag, X-Repo-Commit, X-Linked-Etag, X-Linked-Size, Content-Range, "
                  "Content-Length, Accept-Ranges, Link, X-Total-Count, X-Error-Code, "
                  "X-Error-Message, X-Xet-Hash, X-Xet-Cas-Url, X-Xet-Access-Token, "
                  "X-Xet-Token-Expiration");
}

}  // namespace

HubServer::HubServer(const ServerOptions& options, RepoCatalog* catalog, Index* index,
                     ObjectStore* store, PullThrough* pull_through, const AccessPolicy* access,
                     AuditLog* audit)
    : options_(options),
      catalog_(catalog),
      index_(index),
      store_(store),
      pull_through_(pull_through),
      access_(access),
      audit_(audit),
      started_at_(FormatUtcMillis(std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count())),
      http_(ConnectionOptions(options),
            [this](const HttpRequest& req, HttpResponse& res) { Route(req, res); },
            [](const Status& status, HttpResponse* res) {
              WriteError(status, false, res);
              AddCorsHeaders(res);
            },
            [this](const HttpRequest& head) -> std::unique_ptr<RequestBodySink> {
              return publish_ != nullptr ? publish_->SinkFor(head) : nullptr;
            }) {}

void HubServer::set_route_handler(RouteKind kind, RouteHandler handler) {
  route_handlers_[kind] = std::move(handler);
}

Status HubServer::Bind() {
  HM_RETURN_IF_ERROR(http_.Bind());
  port_ = http_.port();
  return Status::Ok();
}

Status HubServer::Run() { return http_.Run(); }

void HubServer::Stop() { http_.Stop(); }

void HubServer::Route(const HttpRequest& req, HttpResponse& res) {
  if (publish_ != nullptr && req.method != "HEAD" && publish_->Handle(req, res)) {
    if (metrics_ != nullptr) {
      metrics_->requests.With({"publish", req.method, std::to_string(res.status)}).Add();
    }
  } else if (req.method == "GET" || req.method == "HEAD" ||
      (req.method == "POST" && req.path.rfind("/api/", 0) == 0)) {
    Handle(req, res);
  } else if (req.method == "POST" &&
             (req.path == "/v1/telemetry" || req.path == "/xet/v1/telemetry")) {
    // hf_xet reports transfer statistics to the CAS host's root; the mirror
    // keeps none of them, and answers so that nothing is retried.
    res.status = 204;
  } else if (req.method == "OPTIONS") {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Range, Content-Type");
    res.set_header("Access-Control-Max-Age", "86400");
  } else {
    WriteError(Status::NotFound(req.method + " " + req.path + " is not served by this mirror")
                   .WithHubError(HubError::kNone, 404),
               HasToken(req), &res);
  }
  AddCorsHeaders(&res);
}

void HubServer::Handle(const HttpRequest& req, HttpResponse& res) {
  const int64_t start_micros = MonotonicNowMicros();

  Result<HubRoute> route = ParseHubRoute(req.method, req.target);
  const char* route_label = route.ok() ? RouteLabel(route->kind) : "unknown";
  std::shared_ptr<Exchange> exchange;
  if (access_log_ != nullptr) {
    exchange = std::make_shared<Exchange>(access_log_);
    AccessRecord& r = exchange->record;
    r.start_micros = access_log_->env()->NowMicros();
    r.remote = req.remote_addr;
    r.method = req.method;
    r.target = req.target;
    r.route = route_label;
    r.user_agent = req.get_header_value("User-Agent");
    r.who = "anonymous";
  }

  if (!route.ok()) {
    WriteError(route.status(), HasToken(req), &res);
  } else {
    Dispatch(*route, req, res, exchange);
  }

  const int status = res.status;
  if (metrics_ != nullptr) {
    const double seconds = static_cast<double>(MonotonicNowMicros() - start_micros) / 1e6;
    metrics_->requests.With({route_label, req.method, std::to_string(status)}).Add();
    metrics_->request_seconds.With({route_label}).Observe(seconds);
  }
  if (exchange) {
    exchange->record.status = status;
    if (req.method != "HEAD") exchange->record.bytes = res.body.size();
  }
}

void HubServer::Dispatch(const HubRoute& route, const HttpRequest& req,
                         HttpResponse& res, const std::shared_ptr<Exchange>& exchange) {
  if (route.kind == RouteKind::kStatus) return HandleStatus(res);
  auto handler = route_handlers_.find(route.kind);
  const bool operations = route.kind == RouteKind::kMetrics ||
                          route.kind == RouteKind::kHealthz || route.kind == RouteKind::kReadyz;
  if (operations) {
    if (handler == route_handlers_.end()) {
      return WriteError(Status::NotFound("not enabled on this server"), HasToken(req), &res);
    }
    return handler->second(route, Caller{}, req, res);
  }
  if (route.kind == RouteKind::kXetReconstruction || route.kind == RouteKind::kXetXorb) {
    // These carry Xet credentials (a read token, a signed URL), not a
    // mirror token.
    if (xet_ == nullptr) {
      return WriteError(Status::NotFound("this mirror does not serve Xet"), HasToken(req), &res);
    }
    if (route.kind == RouteKind::kXetXorb) return xet_->HandleXorb(route, req, &res);
    return xet_->HandleReconstruction(route, req, PublicBaseUrl(req), &res);
  }
  Result<Caller> caller = access_->Identify(req.get_header_value("Authorization"));
  if (!caller.ok()) return WriteError(caller.status(), HasToken(req), &res);
  if (exchange) exchange->record.who = caller->name;
  switch (route.kind) {
    case RouteKind::kStatus:
    case RouteKind::kMetrics:
    case RouteKind::kHealthz:
    case RouteKind::kReadyz:
    case RouteKind::kXetReconstruction:
    case RouteKind::kXetXorb:
      return;
    case RouteKind::kXetReadToken: {
      if (xet_ == nullptr) {
        return WriteError(Status::NotFound("this mirror does not serve Xet"), HasToken(req),
                          &res);
      }
      Result<Resolution> resolved = ResolveAuthorized(route, *caller);
      if (!resolved.ok()) return WriteError(resolved.status(), HasToken(req), &res);
      return xet_->AnswerReadToken(route, *caller, PublicBaseUrl(req), &res);
    }
    case RouteKind::kUi:
      if (handler == route_handlers_.end()) {
        return WriteError(Status::NotFound("no web UI on this server"), HasToken(req), &res);
      }
      return handler->second(route, *caller, req, res);
    case RouteKind::kAdminStorage: return HandleAdminStorage(*caller, req, res);
    case RouteKind::kWhoAmI: return HandleWhoAmI(*caller, req, res);
    case RouteKind::kRepoInfo: return HandleRepoInfo(route, *caller, req, res);
    case RouteKind::kTree: return HandleTree(route, *caller, req, res);
    case RouteKind::kPathsInfo: return HandlePathsInfo(route, *caller, req, res);
    case RouteKind::kResolve: return HandleResolve(route, *caller, req, res, exchange);
    case RouteKind::kRefs:
    case RouteKind::kCommits:
    case RouteKind::kRepoList: return HandleApiDocument(route, *caller, req, res);
  }
}

void HubServer::HandleResolve(const HubRoute& route, const Caller& caller,
                              const HttpRequest& req, HttpResponse& res,
                              const std::shared_ptr<Exchange>& exchange) {
  std::shared_ptr<DownloadAudit> audit;
  if (audit_ != nullptr && req.method == "GET") {
    AuditRecord record = AuditRecord::About(caller.name, req.remote_addr, req.method, route.repo);
    record.revision = route.revision;
    record.file = route.path;
    audit = std::make_shared<DownloadAudit>(audit_, std::move(record));
  }
  AuditStatusCapture capture_status(audit.get(), res);

  Result<Resolution> resolved = ResolveAuthorized(route, caller);
  if (!resolved.ok()) return WriteError(resolved.status(), HasToken(req), &res);
  const std::string& commit = resolved->commit;
  if (audit) audit->record.commit = commit;
  // Every answer about this file names the commit, errors included: the
  // Python client records a missing file per commit (.no_exist).
  res.set_header("X-Repo-Commit", commit);
  Result<EntryRecord> entry = catalog_->LookupFile(route.repo, commit, route.path);
  if (!entry.ok()) return WriteError(entry.status(), HasToken(req), &res);
  std::string xet_hash = xet_ != nullptr ? xet_->OfferFor(route.repo, commit, *entry) : "";
  if (xet_ != nullptr && xet_hash.empty() && !resolved->stale) {
    xet_hash = xet_->OfferColdFor(route.repo, commit, *entry);
  }
  if (!xet_hash.empty()) {
    xet_->AddResolveHeaders(PublicBaseUrl(req), route, commit, xet_hash, &res);
    if (req.method == "GET" && req.get_header_value("Accept").find(kXetFileInfoType) !=
                                   std::string::npos) {
      // The JS client's probe: the file info, no bytes; it then reads the
      // file over Xet (the reconstruction is audited as the download).
      res.set_header("ETag", QuotedEtag(*entry));
      res.set_header("X-Linked-Etag", QuotedEtag(*entry));
      res.set_header("X-Linked-Size", std::to_string(entry->size));
      if (resolved->stale) res.set_header("X-Hubmirror-Stale", "1");
      if (audit) audit->record.method = "PROBE";
      res.set_content(json{{"hash", xet_hash}, {"size", entry->size}}.dump(), kXetFileInfoType);
      return;
    }
  }

  const uint64_t size = entry->size;
  ByteRange range = ParseByteRange(req.get_header_value("Range"), size);
  if (range.kind == ByteRange::Kind::kUnsatisfiable) {
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    return WriteError(Status::InvalidArgument("Range not satisfiable for a file of " +
                                              std::to_string(size) + " bytes")
                          .WithHubError(HubError::kNone, 416),
                      HasToken(req), &res);
  }
  const bool partial = range.kind == ByteRange::Kind::kSatisfiable;
  const uint64_t first = partial ? range.first : 0;
  const uint64_t length = partial ? range.length() : size;

  // HEAD answers from metadata alone: no bytes are needed, none are fetched.
  // A GET finds its bytes before any header promises them, so that a file
  // that cannot be had is an error status, not a 200 that breaks off.
  const bool send_bytes = req.method != "HEAD" && length > 0;
  std::optional<std::string> stored;
  std::unique_ptr<BodySource> body;
  if (send_bytes) {
    Result<std::optional<std::string>> located = FindStoredObject(index_, store_, *entry);
    if (!located.ok()) return WriteError(located.status(), HasToken(req), &res);
    stored = std::move(located).value();
    Result<std::unique_ptr<BodySource>> source = OpenBody(route, commit, *entry, stored, first);
    if (!source.ok()) return WriteError(source.status(), HasToken(req), &res);
    body = std::move(source).value();
  }

  res.set_header("ETag", QuotedEtag(*entry));
  if (entry->is_lfs) {
    res.set_header("X-Linked-Etag", QuotedEtag(*entry));
    res.set_header("X-Linked-Size", std::to_string(size));
  }
  res.set_header("Accept-Ranges", "bytes");
  if (resolved->stale) res.set_header("X-Hubmirror-Stale", "1");
  res.status = partial ? 206 : 200;
  if (partial) {
    res.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                        std::to_string(range.last) + "/" + std::to_string(size));
  }
  const char* content_type = "application/octet-stream";
  if (length == 0) {
    res.set_content("", content_type);
    return;
  }
  if (!send_bytes) {
    res.set_content_provider(length, content_type,
                             [](uint64_t, uint64_t, const BodyWriter&) { return false; });
    return;
  }

  if (download_listener_) download_listener_(route.repo, commit, stored.value_or(""));
  Counter* served_bytes = nullptr;
  if (metrics_ != nullptr) {
    metrics_->downloads.With({stored ? "hit" : "miss"}).Add();
    served_bytes = &metrics_->served_bytes.With({stored ? "store" : "pull_through"});
  }
  std::shared_ptr<BodySource> shared_body = std::move(body);
  if (audit) audit->expected = length;
  if (exchange) {
    exchange->streaming = true;
    exchange->expected_stream_bytes = length;
  }
  BodyProducer produce = [body = shared_body, first, audit, exchange, served_bytes](
                             uint64_t offset, uint64_t remaining, const BodyWriter& sink) {
    BodyWriter write = sink;
    if (audit || exchange || served_bytes != nullptr) {
      write = [&sink, &audit, &exchange, served_bytes](const char* data, size_t n) {
        if (!sink(data, n)) return false;
        if (audit) audit->bytes += n;
        if (exchange) exchange->streamed_bytes += n;
        if (served_bytes != nullptr) served_bytes->Add(n);
        return true;
      };
    }
    // An error here ends the response before Content-Length bytes: the
    // client sees a broken transfer, never wrong bytes.
    return body->WriteSome(first + offset, static_cast<size_t>(remaining), write).ok();
  };
  // A pull-through whose bytes are still on their way parks the connection
  // instead of a thread.
  BodyReadiness ready = [body = shared_body, first, length](uint64_t offset,
                                                           std::function<void()> wake) {
    return body->ReadyOrWake(first + offset, first + length, std::move(wake));
  };
  res.set_content_provider(length, content_type, std::move(produce), std::move(ready));
}

Result<std::unique_ptr<BodySource>> HubServer::OpenBody(const HubRoute& route,
                                                       const std::string& commit,
                                                       const EntryRecord& entry,
                                                       const std::optional<std::string>& stored,
                                                       uint64_t first) {
  if (stored) {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, store_->Open(*stored));
    return NewStoredBody(std::move(reader));
  }
  if (catalog_->IsHosted(route.repo)) {
    // A published file's bytes exist only here and are never evicted.
    return Status::Internal(route.path + " of " + route.repo.ToString() + " at " + commit +
                            " is missing from the store: run `hubmirror verify`");
  }
  if (pull_through_ == nullptr) {
    // The Hub's answer for a file that cannot be had: clients report it as
    // not available instead of retrying a gateway error.
    return Status::NotFound(route.path + " of " + route.repo.ToString() + " at " + commit +
                            " is not stored on this offline mirror")
        .WithHubError(HubError::kEntryNotFound, 404);
  }
  Result<std::shared_ptr<ObjectFetch>> started =
      pull_through_->StartOrJoin(route.repo, commit, entry);
  if (started.status().code() == StatusCode::kAlreadyExists) {
    // Committed since we looked: the store has it now.
    HM_ASSIGN_OR_RETURN(std::optional<std::string> now_stored,
                        FindStoredObject(index_, store_, entry));
    if (now_stored) return OpenBody(route, commit, entry, now_stored, first);
  }
  HM_ASSIGN_OR_RETURN(std::shared_ptr<ObjectFetch> fetch, std::move(started));
  // Wait for the upstream to deliver the first byte wanted (or fail): an
  // unreachable upstream then answers 502/504, which clients retry or fall
  // back on, where a 200 that ends at once looks like a broken network.
  const int64_t stall_ms = int64_t{options_.fetch_stall_timeout_seconds} * 1000;
  HM_RETURN_IF_ERROR(fetch->WaitReadable(first, stall_ms).status());
  return NewFetchBody(std::move(fetch), stall_ms);
}

Result<Resolution> HubServer::ResolveAuthorized(const HubRoute& route, const Caller& caller) {
  HM_ASSIGN_OR_RETURN(Resolution resolved, catalog_->ResolveRevision(route.repo, route.revision));
  HM_ASSIGN_OR_RETURN(bool restricted, catalog_->IsRestricted(route.repo, resolved.commit));
  HM_RETURN_IF_ERROR(access_->Authorize(caller, route.repo, restricted));
  return resolved;
}

void HubServer::AddXetHashes(const RepoKey& repo, const std::string& commit,
                             const std::vector<EntryRecord>& entries, json* listed) {
  if (xet_ == nullptr || !listed->is_array() || listed->size() != entries.size()) return;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].is_directory || !entries[i].is_lfs) continue;
    const std::string xet_hash = xet_->OfferFor(repo, commit, entries[i]);
    if (!xet_hash.empty()) (*listed)[i]["xetHash"] = xet_hash;
  }
}

std::string HubServer::PublicBaseUrl(const HttpRequest& req) const {
  if (!options_.public_url.empty()) return options_.public_url;
  std::string host = req.get_header_value("Host");
  if (!IsPlausibleHost(host)) host = options_.listen_host + ":" + std::to_string(port_);
  return "http://" + host;
}

}  // namespace hubmirror
