// The web UI's pages rendered from plain view structs, so rendering is
// separate from reading the index (server/ui/web_ui.h) and testable on its own.
// Every string field holds raw text as it came from the index or an upstream;
// the renderers escape and encode it. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/options.h"
#include "server/ui/web_ui_sources.h"
#include "store/index/index.h"
#include "store/repo_key.h"
#include "store/upkeep/storage_usage.h"

namespace hubmirror {

struct RepoListRow {
  RepoKey repo;
  size_t refs = 0;
  uint64_t files = 0;          // distinct stored files
  uint64_t stored_bytes = 0;   // their sizes, each object once
  std::optional<int64_t> last_access_micros;
  bool restricted = false;     // gated or private upstream
  bool published = false;      // a repo pushed to this mirror ([publish])
};

struct HomeView {
  std::string base_url;
  bool offline = false;
  std::vector<RepoListRow> repos;
  bool truncated = false;  // more repos than the page shows
  int64_t now_micros = 0;
};

struct FileRow {
  std::string path;
  uint64_t size = 0;
  bool is_lfs = false;
  std::string sha256;   // "" when unknown (regular file never stored)
  std::string git_oid;  // the git blob id
  bool stored = false;
};

struct RepoPageView {
  RepoKey repo;
  std::string base_url;
  std::string revision;  // the ref or commit shown, as named in ?rev=
  std::string commit;
  std::vector<NamedRef> refs;
  std::string last_modified;  // from the repo info, "" if unknown
  bool restricted = false;
  bool tree_complete = false;
  std::string query;            // the ?q= filter, "" = none
  std::vector<FileRow> files;   // matching the filter, at most a page
  size_t files_total = 0;       // files of the revision
  size_t files_matching = 0;    // files matching the filter
  std::optional<int64_t> last_access_micros;
  int64_t now_micros = 0;
  // A published repo: who created it, and the latest commits of the
  // revision shown, newest first (who pushed what).
  bool published = false;
  std::string created_by;
  std::vector<HostedCommitRecord> history;
};

struct StorageView {
  std::optional<StorageUsage> usage;  // repos already filtered for the caller
  std::string usage_error;            // why usage is missing ("" = no source)
  std::optional<double> hit_ratio;
  size_t largest = 10;                // repos listed
};

struct SyncView {
  std::optional<SyncRunSummary> status;
  const SyncOptions* options = nullptr;  // the configured list
  bool offline = false;
  int64_t now_micros = 0;
};

std::string RenderHomePage(const HomeView& view);
std::string RenderRepoPage(const RepoPageView& view);
std::string RenderStoragePage(const StorageView& view);
std::string RenderSyncPage(const SyncView& view);
std::string RenderErrorPage(int status, const std::string& message);

// "/ui/repo/models/org/name" (encoded), optionally with ?rev= / &q=.
std::string RepoPageHref(const RepoKey& repo, const std::string& revision = "",
                         const std::string& query = "");
// "/[datasets/]org/name/resolve/COMMIT/PATH" (encoded).
std::string ResolveHref(const RepoKey& repo, const std::string& commit, const std::string& path);
// The copy-paste commands of a repo page.
std::string HfDownloadCommand(const RepoKey& repo, const std::string& base_url,
                              const std::string& revision);
std::string HubmirrorPullCommand(const RepoKey& repo, const std::string& base_url,
                                 const std::string& revision);

}  // namespace hubmirror
