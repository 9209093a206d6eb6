// HubServer: the Hugging Face Hub HTTP API served from the mirror.
//
// Routes (see hub-protocol.md): repo info, tree, paths-info and resolve
// (HEAD/GET with ETag, X-Repo-Commit, X-Linked-*, single Range) for models and
// datasets, plus a status document at "/". Metadata comes from the
// RepoCatalog; file bytes from the ObjectStore or, for files not stored yet,
// from a PullThrough fetch streamed while it arrives.
//
// Lifecycle: Bind() once, then Run() blocks on the calling thread until Stop()
// is called from any thread. All collaborators must outlive the server.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "server/ops/access_log.h"
#include "server/catalog/api_documents.h"
#include "server/access/access_policy.h"
#include "server/access/audit_log.h"
#include "server/body_source.h"
#include "server/hub_route.h"
#include "server/http/event_server.h"
#include "server/http/http_message.h"
#include "server/options.h"
#include "server/pull_through.h"
#include "server/catalog/repo_catalog.h"
#include "server/ops/server_metrics.h"
#include "server/publish/publish_routes.h"
#include "server/xet/xet_routes.h"
#include "store/index/index.h"
#include "store/object_store.h"

namespace hubmirror {

class HubServer {
 public:
  // `pull_through` is null when offline; `audit` is null without an audit log.
  HubServer(const ServerOptions& options, RepoCatalog* catalog, Index* index, ObjectStore* store,
            PullThrough* pull_through, const AccessPolicy* access, AuditLog* audit);
  HubServer(const HubServer&) = delete;
  HubServer& operator=(const HubServer&) = delete;

  // What GET /api/admin/storage answers (a JSON document); unset = 404.
  using StorageReport = std::function<Result<std::string>()>;
  void set_storage_report(StorageReport report) { storage_report_ = std::move(report); }

  // Handlers of the routes that are not the Hub API: the web UI (kUi) and
  // the operations endpoints (kMetrics, kHealthz, kReadyz). Operations
  // endpoints are answered without identifying the caller (probes and
  // scrapers carry no token); kUi gets the identified caller. A kind without
  // a handler answers 404. Set before Bind(); called from worker threads.
  using RouteHandler = std::function<void(const HubRoute& route, const Caller& caller,
                                          const HttpRequest& req, HttpResponse& res)>;
  void set_route_handler(RouteKind kind, RouteHandler handler);

  // Called on every GET of a file, once the bytes to send are known and
  // before they stream: `sha256` names the stored object served, or is ""
  // when the file is being pulled through. Set before Bind(); called from
  // worker threads concurrently.
  using DownloadListener = std::function<void(const RepoKey& repo, const std::string& commit,
                                              const std::string& sha256)>;
  void set_download_listener(DownloadListener listener) { download_listener_ = std::move(listener); }

  // The refs, commits and repo-listing routes; without it they answer 404.
  // Set before Bind(); must outlive the server.
  void set_api_documents(ApiDocuments* documents) { documents_ = documents; }

  // Optional instrumentation, set before Bind(): request counts, latencies
  // and body bytes go to `metrics`; one line per request to `access_log`.
  // Both must outlive the server.
  void set_metrics(ServerMetrics* metrics) { metrics_ = metrics; }
  // Serving Xet (xet_routes.h); without it no Xet signal is sent and the
  // Xet routes answer 404. Set before Bind(); must outlive the server.
  void set_xet_routes(XetRoutes* xet) { xet_ = xet; }
  // The write API of published repos; unset = the mirror is read-only.
  // Set before Bind().
  void set_publish_routes(PublishRoutes* publish) { publish_ = publish; }
  std::string BaseUrlOf(const HttpRequest& req) const { return PublicBaseUrl(req); }
  void set_access_log(AccessLog* access_log) { access_log_ = access_log; }

  // Binds the listening socket; with port 0 a free port is chosen.
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(). Returns an error if the server could not run.
  Status Run();
  void Stop();

  // The connection layer's counts (open, idle, refused...), for /metrics.
  const ConnectionStats& connection_stats() const { return http_.stats(); }

 private:
  struct Exchange;
  // Every request: by method and path to Handle() or the fixed answers.
  void Route(const HttpRequest& req, HttpResponse& res);
  void Handle(const HttpRequest& req, HttpResponse& res);
  void Dispatch(const HubRoute& route, const HttpRequest& req, HttpResponse& res,
                const std::shared_ptr<Exchange>& exchange);
  void HandleStatus(HttpResponse& res);
  void HandleAdminStorage(const Caller& caller, const HttpRequest& req,
                          HttpResponse& res);
  void HandleWhoAmI(const Caller& caller, const HttpRequest& req, HttpResponse& res);
  void HandleRepoInfo(const HubRoute& route, const Caller& caller, const HttpRequest& req,
                  HttpResponse& res);
  void HandleTree(const HubRoute& route, const Caller& caller, const HttpRequest& req,
                  HttpResponse& res);
  void HandlePathsInfo(const HubRoute& route, const Caller& caller, const HttpRequest& req,
                  HttpResponse& res);
  // kRefs, kCommits, kRepoList.
  void HandleApiDocument(const HubRoute& route, const Caller& caller, const HttpRequest& req,
                         HttpResponse& res);
  void HandleResolve(const HubRoute& route, const Caller& caller, const HttpRequest& req,
                     HttpResponse& res, const std::shared_ptr<Exchange>& exchange);

  // Where the bytes of `entry` come from, from `first` on: the stored object,
  // or a pull-through fetch that has delivered byte `first` (else its error).
  Result<std::unique_ptr<BodySource>> OpenBody(const HubRoute& route, const std::string& commit,
                                               const EntryRecord& entry,
                                               const std::optional<std::string>& stored,
                                               uint64_t first);

  // Resolves the route's revision and checks that `caller` may read the repo.
  Result<Resolution> ResolveAuthorized(const HubRoute& route, const Caller& caller);

  // Adds "xetHash" to the listed entries (`listed`, their JSON, in the same
  // order) whose files are offered over Xet.
  void AddXetHashes(const RepoKey& repo, const std::string& commit,
                    const std::vector<EntryRecord>& entries, nlohmann::json* listed);

  // Base URL for links pointing back at this server (pagination).
  std::string PublicBaseUrl(const HttpRequest& req) const;

  const ServerOptions& options_;
  RepoCatalog* catalog_;
  Index* index_;
  ObjectStore* store_;
  PullThrough* pull_through_;
  const AccessPolicy* access_;
  AuditLog* audit_;
  ApiDocuments* documents_ = nullptr;
  StorageReport storage_report_;
  std::map<RouteKind, RouteHandler> route_handlers_;
  DownloadListener download_listener_;
  ServerMetrics* metrics_ = nullptr;
  AccessLog* access_log_ = nullptr;
  XetRoutes* xet_ = nullptr;
  PublishRoutes* publish_ = nullptr;
  // When this server started: what whoami-v2 reports as a token's creation.
  std::string started_at_;
  EventServer http_;
  int port_ = 0;
};

}  // namespace hubmirror
