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

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "server/access_policy.h"
#include "server/audit_log.h"
#include "server/hub_route.h"
#include "server/options.h"
#include "server/pull_through.h"
#include "server/repo_catalog.h"
#include "store/index.h"
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

  // Binds the listening socket; with port 0 a free port is chosen.
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(). Returns an error if the server could not run.
  Status Run();
  void Stop();

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);
  void HandleStatus(httplib::Response& res);
  void HandleAdminStorage(const Caller& caller, const httplib::Request& req,
                          httplib::Response& res);
  void HandleRepoInfo(const HubRoute& route, const Caller& caller, const httplib::Request& req,
                  httplib::Response& res);
  void HandleTree(const HubRoute& route, const Caller& caller, const httplib::Request& req,
                  httplib::Response& res);
  void HandlePathsInfo(const HubRoute& route, const Caller& caller, const httplib::Request& req,
                  httplib::Response& res);
  void HandleResolve(const HubRoute& route, const Caller& caller, const httplib::Request& req,
                  httplib::Response& res);

  // Resolves the route's revision and checks that `caller` may read the repo.
  Result<Resolution> ResolveAuthorized(const HubRoute& route, const Caller& caller);

  // Base URL for links pointing back at this server (pagination).
  std::string PublicBaseUrl(const httplib::Request& req) const;

  const ServerOptions& options_;
  RepoCatalog* catalog_;
  Index* index_;
  ObjectStore* store_;
  PullThrough* pull_through_;
  const AccessPolicy* access_;
  AuditLog* audit_;
  StorageReport storage_report_;
  httplib::Server http_;
  int port_ = 0;
};

}  // namespace hubmirror
