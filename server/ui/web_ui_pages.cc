#include "server/ui/web_ui_pages.h"

#include <algorithm>
#include <cctype>

#include "server/ui/html.h"

namespace hubmirror {
namespace {

std::string Esc(std::string_view s) { return HtmlEscape(s); }


bool IsDefaultRevision(const std::string& revision) {
  return revision.empty() || revision == "main" || revision == "HEAD";
}

std::string NotAvailable() { return "<span class=\"muted\">not available</span>"; }
std::string Dash() { return "<span class=\"muted\">—</span>"; }

std::string Fact(std::string_view label, const std::string& value_html) {
  return "<dt>" + Esc(label) + "</dt><dd>" + value_html + "</dd>";
}

std::string RepoTable(const std::vector<RepoListRow>& rows, int64_t now_micros) {
  std::string out =
      "<table><thead><tr><th>Repository</th><th class=\"num\">Stored size</th>"
      "<th class=\"num\">Files</th><th class=\"num\">Revisions</th><th>Last access</th>"
      "</tr></thead><tbody>";
  for (const RepoListRow& row : rows) {
    out += "<tr><td><a class=\"repo\" href=\"" + Esc(RepoPageHref(row.repo)) + "\">" +
           Esc(row.repo.id) + "</a>";
    if (row.restricted) out += " <span class=\"badge warn\">gated</span>";
    if (row.published) out += " <span class=\"badge ok\">published</span>";
    out += "</td><td class=\"num\">" + HtmlBytes(row.stored_bytes) + "</td><td class=\"num\">" +
           std::to_string(row.files) + "</td><td class=\"num\">" + std::to_string(row.refs) +
           "</td><td>" +
           (row.last_access_micros ? HtmlTime(*row.last_access_micros, now_micros) : Dash()) +
           "</td></tr>";
  }
  return out + "</tbody></table>";
}

std::string Command(const std::string& command) {
  return "<pre class=\"cmd\"><code>" + Esc(command) + "</code></pre>";
}

}  // namespace

std::string RepoPageHref(const RepoKey& repo, const std::string& revision,
                         const std::string& query) {
  std::string href = std::string("/ui/repo/") + RepoTypePlural(repo.type) + "/" +
                     UrlEncode(repo.id, /*keep_slash=*/true);
  char sep = '?';
  if (!revision.empty()) {
    href += sep + std::string("rev=") + UrlEncode(revision, false);
    sep = '&';
  }
  if (!query.empty()) href += sep + std::string("q=") + UrlEncode(query, false);
  return href;
}

std::string ResolveHref(const RepoKey& repo, const std::string& commit, const std::string& path) {
  return "/" + std::string(RepoTypeUrlPrefix(repo.type)) + UrlEncode(repo.id, true) +
         "/resolve/" + UrlEncode(commit, false) + "/" + UrlEncode(path, /*keep_slash=*/true);
}

std::string HfDownloadCommand(const RepoKey& repo, const std::string& base_url,
                              const std::string& revision) {
  std::string cmd = "HF_ENDPOINT=" + ShellQuote(base_url) + " hf download " + ShellQuote(repo.id);
  if (repo.type != RepoType::kModel) cmd += std::string(" --repo-type ") + RepoTypeName(repo.type);
  if (!IsDefaultRevision(revision)) cmd += " --revision " + ShellQuote(revision);
  return cmd;
}

std::string HubmirrorPullCommand(const RepoKey& repo, const std::string& base_url,
                                 const std::string& revision) {
  std::string cmd = "hubmirror pull " +
                    ShellQuote(repo.DisplayId()) +
                    " --endpoint " + ShellQuote(base_url);
  if (!IsDefaultRevision(revision)) cmd += " --revision " + ShellQuote(revision);
  return cmd;
}

std::string RenderHomePage(const HomeView& view) {
  std::string body = "<h1>Stored repositories</h1><p class=\"muted\">Endpoint <code>" +
                     Esc(view.base_url) + "</code> · " +
                     (view.offline ? "offline: serving the store only"
                                   : "files not stored yet are pulled through from upstream") +
                     "</p>";
  body += "<p>Point a client at this mirror:</p>" +
          Command("HF_ENDPOINT=" + ShellQuote(view.base_url) + " hf download ORG/NAME");
  for (RepoType type : kAllRepoTypes) {
    std::vector<RepoListRow> rows;
    for (const RepoListRow& row : view.repos) {
      if (row.repo.type == type) rows.push_back(row);
    }
    // Spaces are shown only when some are stored.
    if (type == RepoType::kSpace && rows.empty()) continue;
    std::string plural = RepoTypePlural(type);
    std::string title = plural;
    title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    body += "<h2>" + title + " (" + std::to_string(rows.size()) + ")</h2>";
    if (rows.empty()) {
      body += "<p class=\"muted\">No " + plural + " stored yet.</p>";
    } else {
      body += RepoTable(rows, view.now_micros);
    }
  }
  if (view.truncated) body += "<p class=\"muted\">More repositories are stored than shown.</p>";
  return HtmlPage("Repositories", UiSection::kRepos, body);
}

std::string RenderRepoPage(const RepoPageView& view) {
  const RepoKey& repo = view.repo;
  std::string body = "<p class=\"muted\">" + std::string(RepoTypeName(repo.type)) + "</p><h1>" +
                     Esc(repo.id) + "</h1>";
  if (view.restricted) body += "<p><span class=\"badge warn\">gated or private upstream</span></p>";
  if (view.published) body += "<p><span class=\"badge ok\">published on this mirror</span></p>";
  body += "<dl class=\"facts\">";
  if (view.published) body += Fact("Created by", Esc(view.created_by));
  body += Fact("Revision", "<code>" + Esc(view.revision) + "</code>");
  body += Fact("Commit", "<code class=\"commit\">" + Esc(view.commit) + "</code>");
  body += Fact("Last modified",
               view.last_modified.empty() ? Dash() : Esc(view.last_modified));
  body += Fact("Last access", view.last_access_micros
                                  ? HtmlTime(*view.last_access_micros, view.now_micros)
                                  : Dash());
  body += "</dl>";

  if (view.published && !view.history.empty()) {
    body += "<h2>History</h2><table><thead><tr><th>Commit</th><th>Pushed by</th>"
            "<th>Summary</th><th>When</th></tr></thead><tbody>";
    for (const HostedCommitRecord& c : view.history) {
      body += "<tr><td><a href=\"" + Esc(RepoPageHref(repo, c.commit)) + "\"><code>" +
              Esc(c.commit.substr(0, 8)) + "</code></a></td><td>" + Esc(c.author) + "</td><td>" +
              Esc(c.summary) + "</td><td>" + HtmlTime(c.at_micros, view.now_micros) + "</td></tr>";
    }
    body += "</tbody></table>";
  }
  body += "<h2>Refs</h2><p class=\"refs\">";
  if (view.refs.empty()) body += "<span class=\"muted\">none stored</span>";
  for (const NamedRef& ref : view.refs) {
    const bool current = ref.name == view.revision;
    body += "<a href=\"" + Esc(RepoPageHref(repo, ref.name)) + "\"" +
            (current ? " class=\"current\"" : "") + " title=\"" + Esc(ref.record.commit) +
            "\">" + Esc(ref.name) + "</a>";
  }
  body += "</p>";

  body += "<h2>Download</h2>";
  body += Command(HfDownloadCommand(repo, view.base_url, view.revision));
  body += Command(HubmirrorPullCommand(repo, view.base_url, view.revision));

  body += "<h2>Files</h2>";
  body += "<form class=\"filter\" method=\"get\" action=\"" + Esc(RepoPageHref(repo)) + "\">";
  body += "<input type=\"hidden\" name=\"rev\" value=\"" + Esc(view.revision) + "\">";
  body += "<input type=\"text\" name=\"q\" placeholder=\"Find a file\" aria-label=\"Find a file\""
          " value=\"" + Esc(view.query) + "\"><button type=\"submit\">Filter</button></form>";
  body += "<p class=\"muted\">";
  if (view.query.empty()) {
    body += std::to_string(view.files_total) + (view.files_total == 1 ? " file" : " files");
  } else {
    body += std::to_string(view.files_matching) + " of " + std::to_string(view.files_total) +
            " files match <code>" + Esc(view.query) + "</code> · <a href=\"" +
            Esc(RepoPageHref(repo, view.revision)) + "\">show all</a>";
  }
  if (view.files.size() < view.files_matching) {
    body += " (first " + std::to_string(view.files.size()) + " shown)";
  }
  if (!view.tree_complete) body += " · only the files requested so far are known";
  body += "</p>";
  body += "<table class=\"files\"><thead><tr><th>Path</th><th class=\"num\">Size</th>"
          "<th>sha256</th><th>Stored</th></tr></thead><tbody>";
  for (const FileRow& f : view.files) {
    body += "<tr><td class=\"path\"><a href=\"" + Esc(ResolveHref(repo, view.commit, f.path)) +
            "\" title=\"Download\">" + Esc(f.path) + "</a>";
    if (f.is_lfs) body += " <span class=\"badge\">LFS</span>";
    body += "</td><td class=\"num\">" + HtmlBytes(f.size) + "</td><td class=\"hash mono\">";
    if (!f.sha256.empty()) {
      body += "<span class=\"sha256\">" + Esc(f.sha256) + "</span>";
    } else {
      body += "<span class=\"muted\">git oid</span> <span class=\"oid\">" + Esc(f.git_oid) +
              "</span>";
    }
    body += "</td><td>" +
            std::string(f.stored ? "<span class=\"badge ok\">stored</span>"
                                 : "<span class=\"muted\">not yet</span>") +
            "</td></tr>";
  }
  body += "</tbody></table>";
  return HtmlPage(repo.id, UiSection::kRepos, body);
}

std::string RenderStoragePage(const StorageView& view) {
  std::string body = "<h1>Storage</h1>";
  if (!view.usage) {
    body += "<p>Storage figures are " + NotAvailable() +
            (view.usage_error.empty() ? "" : ": " + Esc(view.usage_error)) + ".</p>";
  } else {
    const UsageFigures& t = view.usage->total;
    body += "<dl class=\"facts\">";
    body += Fact("Logical bytes", HtmlBytes(t.logical_bytes) + " <span class=\"muted\">(" +
                                      std::to_string(t.files) + " files)</span>");
    body += Fact("File-deduplicated", HtmlBytes(t.unique_file_bytes) +
                                          " <span class=\"muted\">(" + std::to_string(t.objects) +
                                          " distinct objects)</span>");
    body += Fact("Stored bytes", HtmlBytes(t.stored_bytes));
    body += Fact("Dedup saving", "<span class=\"saving\">" + FormatPercent(t.saving()) + "</span>");
    body += Fact("Hit ratio", view.hit_ratio ? FormatPercent(*view.hit_ratio) : NotAvailable());
    body += "</dl>";
  }
  if (!view.usage) {
    body += "<dl class=\"facts\">" +
            Fact("Hit ratio", view.hit_ratio ? FormatPercent(*view.hit_ratio) : NotAvailable()) +
            "</dl>";
  } else {
    std::vector<RepoUsage> largest = view.usage->repos;
    std::sort(largest.begin(), largest.end(), [](const RepoUsage& a, const RepoUsage& b) {
      return a.figures.logical_bytes > b.figures.logical_bytes;
    });
    if (largest.size() > view.largest) largest.resize(view.largest);
    body += "<h2>Largest repositories</h2>";
    if (largest.empty()) body += "<p class=\"muted\">Nothing stored yet.</p>";
    if (!largest.empty()) {
      body += "<table><thead><tr><th>Repository</th><th>Type</th><th class=\"num\">Logical</th>"
              "<th class=\"num\">Stored</th><th class=\"num\">Saving</th></tr></thead><tbody>";
      for (const RepoUsage& r : largest) {
        body += "<tr><td><a href=\"" + Esc(RepoPageHref(r.repo)) + "\">" + Esc(r.repo.id) +
                "</a></td><td>" + RepoTypeName(r.repo.type) + "</td><td class=\"num\">" +
                HtmlBytes(r.figures.logical_bytes) + "</td><td class=\"num\">" +
                HtmlBytes(r.figures.stored_bytes) + "</td><td class=\"num\">" +
                FormatPercent(r.figures.saving()) + "</td></tr>";
      }
      body += "</tbody></table>";
    }
  }
  return HtmlPage("Storage", UiSection::kStorage, body);
}

std::string RenderSyncPage(const SyncView& view) {
  std::string body = "<h1>Sync</h1>";
  const int64_t interval = view.options ? view.options->interval_seconds : 0;
  body += "<dl class=\"facts\">";
  body += Fact("Periodic sync",
               view.offline ? std::string("off (offline)")
               : interval > 0 ? "every " + std::to_string(interval) + " s"
                              : std::string("off (sync.interval_seconds = 0)"));
  if (!view.status) {
    body += Fact("Status", NotAvailable());
  } else {
    const SyncRunSummary& s = *view.status;
    const auto when = [&](int64_t micros) {
      return micros > 0 ? HtmlTime(micros, view.now_micros) : Dash();
    };
    body += Fact("Status", s.running ? "<span class=\"badge ok\">running</span>"
                                     : "<span class=\"badge\">idle</span>");
    body += Fact("Last run started", when(s.last_started_micros));
    body += Fact("Last run ended", when(s.last_finished_micros));
    body += Fact("Next run", when(s.next_start_micros()));
    body += Fact("Revisions ok",
                 std::to_string(s.last_repos - std::min(s.last_repos, s.last_failures)));
    body += Fact("Revisions failed", s.last_failures > 0
                                         ? "<span class=\"badge warn\">" +
                                               std::to_string(s.last_failures) + "</span>"
                                         : std::string("0"));
    body += Fact("Last error", s.last_errors.empty()
                                   ? Dash()
                                   : "<code>" + Esc(s.last_errors.front()) + "</code>");
  }
  body += "</dl><h2>Sync list</h2>";
  if (view.options == nullptr || view.options->repos.empty()) {
    body += "<p class=\"muted\">No <code>[[sync.repos]]</code> configured.</p>";
  } else {
    body += "<ul>";
    for (const SyncRepoSpec& spec : view.options->repos) {
      body += "<li><code>" + Esc(spec.ToString()) + "</code></li>";
    }
    body += "</ul>";
  }
  return HtmlPage("Sync", UiSection::kSync, body);
}

std::string RenderErrorPage(int status, const std::string& message) {
  const std::string title = status == 404   ? "Not found"
                            : status == 401 ? "Sign-in required"
                            : status == 403 ? "Forbidden"
                            : status == 400 ? "Bad request"
                                            : "Error";
  const std::string body = "<h1>" + std::to_string(status) + " · " + Esc(title) + "</h1><p>" +
                           Esc(message) + "</p><p><a href=\"/\">All repositories</a></p>";
  return HtmlPage(title, UiSection::kNone, body);
}

}  // namespace hubmirror
