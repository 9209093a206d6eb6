// PublishRoutes: the Hub's write API for repos in the namespaces the mirror
// owns (hub-upload-protocol.md; [publish] in the config):
//
//   POST   /api/repos/create                  {"name","organization"?,"type"?,"private"?|"visibility"?}
//   DELETE /api/repos/delete                  {"name","organization"?,"type"?}
//   PUT    /api/{type}s/{repo}/settings       {"private"?|"visibility"?}
//   POST   /api/validate-yaml                 {"content","repoType"}
//   POST   /api/{type}s/{repo}/preupload/{rev}
//   POST   /api/{type}s/{repo}/commit/{rev}[?create_pr=1]   (NDJSON, commit_payload.h)
//   POST|DELETE /api/{type}s/{repo}/branch/{branch}
//   POST   /api/{type}s/{repo}/tag/{rev}  and  DELETE /api/{type}s/{repo}/tag/{tag}
//   POST   /{[datasets/|spaces/]}{repo}.git/info/lfs/objects/batch   (lfs_uploads.h)
//   and the signed LFS upload URLs under /_hubmirror/lfs/;
//   GET    /api/{type}s/{repo}/xet-write-token/{rev} and the Xet CAS upload
//   routes under /xet/ (xet_uploads.h).
//
// Every write needs a token whose `write` patterns match the repo (401
// anonymous, 403 otherwise); a repo outside the owned namespaces is refused
// (403) whatever the token. A refused request writes nothing. A commit is
// checked whole (every path, every LFS object present, every small file
// stored and hashed) before one index transaction makes it visible; a
// branch that moved meanwhile (or a stale parentCommit) refuses it with 412.
// Every write is in the audit log.
//
// Thread-safe; every pointer must outlive the object.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "server/access/access_policy.h"
#include "server/access/audit_log.h"
#include "server/catalog/repo_catalog.h"
#include "server/http/http_message.h"
#include "server/options.h"
#include "server/publish/lfs_uploads.h"
#include "server/publish/xet_uploads.h"
#include "store/env.h"
#include "store/index/index.h"

namespace hubmirror {

class PublishRoutes {
 public:
  using BaseUrl = std::function<std::string(const HttpRequest&)>;
  PublishRoutes(const ServerOptions& options, Env* env, Index* index, RepoCatalog* catalog,
                LfsUploads* lfs, XetUploads* xet, const AccessPolicy* access, AuditLog* audit,
                BaseUrl base_url);

  // Answers `req` when it is a write route (or one of the two GETs of Xet
  // uploads: the write token and the dedup query); false otherwise (the
  // read routes go on as usual).
  bool Handle(const HttpRequest& req, HttpResponse& res);
  // For streamed uploads (LFS PUTs) and commit bodies (held up to
  // kMaxCommitBodyBytes, beyond the server's limit for other bodies);
  // nullptr otherwise.
  std::unique_ptr<RequestBodySink> SinkFor(const HttpRequest& head);

  static constexpr uint64_t kMaxCommitBodyBytes = uint64_t{256} << 20;

 private:
  class CommitBodySink;

  Status CheckWrite(const Caller& caller, const RepoKey& repo) const;
  void CreateRepo(const Caller& caller, const HttpRequest& req, HttpResponse& res);
  void DeleteRepo(const Caller& caller, const HttpRequest& req, HttpResponse& res);
  void Settings(const Caller& caller, const RepoKey& repo, const HttpRequest& req,
                HttpResponse& res);
  void Preupload(const RepoKey& repo, const std::string& revision, const HttpRequest& req,
                 HttpResponse& res);
  void Commit(const Caller& caller, const RepoKey& repo, const std::string& revision,
              const HttpRequest& req, HttpResponse& res);
  void Branch(const Caller& caller, const RepoKey& repo, const std::string& name,
              const HttpRequest& req, HttpResponse& res);
  void Tag(const Caller& caller, const RepoKey& repo, const std::string& rev,
           const HttpRequest& req, HttpResponse& res);
  void XetWriteToken(const Caller& caller, const RepoKey& repo, const HttpRequest& req,
                     HttpResponse& res);
  // The commit a branch, tag or sha names; RevisionNotFound otherwise.
  Result<std::string> ResolveCommit(const RepoKey& repo, const std::string& revision);
  std::string RepoUrl(const HttpRequest& req, const RepoKey& repo) const;
  void Audit(const Caller& caller, const HttpRequest& req, const RepoKey& repo,
             const std::string& action, const std::string& revision, const std::string& commit,
             int status);

  const ServerOptions& options_;
  Env* env_;
  Index* index_;
  RepoCatalog* catalog_;
  LfsUploads* lfs_;
  XetUploads* xet_;
  const AccessPolicy* access_;
  AuditLog* audit_;
  BaseUrl base_url_;
};

}  // namespace hubmirror
