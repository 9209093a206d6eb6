// WebUi: the human face of the mirror, served at "/" and "/ui/...".
//
//   /                                    stored repos (models, datasets)
//   /ui/repo/{models,datasets}/ORG/NAME  refs, files of a revision (?rev=,
//                                        ?q= filter), copy-paste commands
//   /ui/storage                          logical vs stored bytes, dedup, hits
//   /ui/sync                             mirror-mode sync status
//
// Pages are server-rendered HTML with inline CSS and no script, image, font
// or stylesheet from anywhere (enforced by a Content-Security-Policy), so
// the UI works air-gapped. Every string that came from an upstream is
// HTML-escaped and every URL built from one is percent-encoded (server/ui/html.h).
//
// The UI reads the local Index only: it never resolves a revision or fetches
// metadata upstream, so looking at the UI causes no upstream traffic. A repo
// appears only to callers the AccessPolicy lets read it; a repo whose stored
// commit lacks its repo info is treated as restricted (its gating is unknown).
// With anonymous access off, anonymous callers get 401.
//
// Thread-safe: immutable after construction; the Index, RepoCatalog and the
// sources are thread-safe. All pointers must outlive the WebUi.
#pragma once

#include "server/http/http_message.h"

#include <optional>
#include <string>
#include <vector>

#include "server/access/access_policy.h"
#include "server/hub_route.h"
#include "server/options.h"
#include "server/catalog/repo_catalog.h"
#include "server/ui/web_ui_sources.h"
#include "store/env.h"
#include "store/index/index.h"

namespace hubmirror {

class WebUi {
 public:
  WebUi(const ServerOptions& options, Env* env, Index* index, RepoCatalog* catalog,
        const AccessPolicy* access, WebUiSources sources);
  WebUi(const WebUi&) = delete;
  WebUi& operator=(const WebUi&) = delete;

  // A rendered page: the HTTP status and the whole HTML document.
  struct Page {
    int status = 200;
    std::string html;
  };

  // The HubServer route handler for RouteKind::kUi: renders the page and
  // sets the security headers.
  void Handle(const HubRoute& route, const Caller& caller, const HttpRequest& req,
              HttpResponse& res) const;

  // The page for a kUi route, with `base_url` (no trailing '/') in the
  // copy-paste commands.
  Page Render(const HubRoute& route, const Caller& caller, const std::string& base_url) const;

  // options.public_url if set, else "http://" + a plausible Host header,
  // else the address the request arrived on.
  std::string BaseUrl(const HttpRequest& req) const;

 private:
  // A repo as the list pages see it: its refs, the commit shown by default,
  // and whether the caller may read it.
  struct RepoState;

  Page Home(const Caller& caller, const std::string& base_url) const;
  Page Repo(const HubRoute& route, const Caller& caller, const std::string& base_url) const;
  Page Storage(const Caller& caller) const;
  Page Sync() const;
  Page Error(int status, const std::string& message) const;
  Page Denied(const Caller& caller, const Status& status) const;

  Result<RepoState> LoadRepoState(const RepoKey& repo) const;
  // Whether the upstream marks `repo` gated or private as of `commit`, from
  // the stored repo info alone; true when that is unknown ("" = no commit).
  bool RestrictedLocally(const RepoKey& repo, const std::string& commit) const;

  const ServerOptions& options_;
  Env* env_;
  Index* index_;
  RepoCatalog* catalog_;
  const AccessPolicy* access_;
  WebUiSources sources_;
};

}  // namespace hubmirror
