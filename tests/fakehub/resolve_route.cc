#include "tests/fakehub/resolve_route.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/fakehub/hub_errors.h"
#include "tests/fakehub/ranged_body.h"

namespace fakehub {
namespace {

constexpr std::string_view kXetFileInfoType = "application/vnd.xet-fileinfo+json";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SignedCdnUrl(ServerState& state, const Blob& blob) {
  int64_t expires = UnixNow() + state.options().cdn_url_ttl_seconds;
  if (state.faults().Take(Fault::kExpiredUrl)) expires = UnixNow() - 60;
  return state.cdn_base_url() + "/lfs/" + blob.sha256 + "?expires=" + std::to_string(expires) +
         "&sig=" + state.signer().Sign(blob.sha256, expires);
}

// Headers the real hub adds to LFS resolves: the linked identity of the
// content and the Xet signals (the CAS is on the CDN host, xet_routes.h).
void SetLfsHeaders(ServerState& state, httplib::Response& res, const Repo& repo,
                   const Commit& commit, const CommitFile& file) {
  const Blob& blob = *file.blob;
  std::string api_type(RepoTypePlural(repo.type()));
  res.set_header("X-Linked-Etag", Quoted(blob.sha256));
  const bool wrong_size = state.faults().Take(Fault::kWrongSize);
  res.set_header("X-Linked-Size", std::to_string(blob.size() + (wrong_size ? 1 : 0)));
  res.set_header("ETag", Quoted(blob.lfs_pointer_oid));
  res.set_header("X-Xet-Hash", blob.xet_hash);
  res.set_header("Link", "<" + state.api_base_url() + "/api/" + api_type + "/" + repo.id() +
                             "/xet-read-token/" + commit.id() + ">; rel=\"xet-auth\", <" +
                             state.cdn_base_url() + "/cas/v1/reconstructions/" + blob.xet_hash +
                             ">; rel=\"xet-reconstruction-info\"");
}

void ServeRegularFile(httplib::Request const& req, httplib::Response& res, const CommitFile& file) {
  res.set_header("ETag", Quoted(file.blob->git_oid));
  std::string type = EndsWith(file.path, ".json") ? "application/json; charset=utf-8"
                                                  : "text/plain; charset=utf-8";
  ServeBytes(req, res, file.blob->bytes, type, nullptr);
}

void ServeXetFileInfo(const ServerState& state, httplib::Response& res, const Repo& repo,
                      const Commit& commit, const CommitFile& file) {
  std::string api_type(RepoTypePlural(repo.type()));
  nlohmann::json info = {{"casUrl", state.cdn_base_url() + "/cas"},
                         {"hash", file.blob->xet_hash},
                         {"refreshUrl", state.api_base_url() + "/api/" + api_type + "/" +
                                            repo.id() + "/xet-read-token/" + commit.id()},
                         {"size", file.blob->size()},
                         {"etag", file.blob->sha256}};
  res.status = 200;
  res.set_content(info.dump(), std::string(kXetFileInfoType));
}

void RedirectToCdn(ServerState& state, httplib::Response& res, const Blob& blob) {
  std::string location = SignedCdnUrl(state, blob);
  res.status = 302;
  res.set_header("Location", location);
  res.set_content("Found. Redirecting to " + location, "text/plain; charset=utf-8");
}

}  // namespace

void HandleResolve(ServerState& state, const httplib::Request& req, httplib::Response& res,
                   const RepoRequest& request) {
  const Repo* repo = state.hub().FindRepo(request.type, request.repo_id);
  if (repo == nullptr) return SetRepoNotFound(req, res);
  if (!CheckGatedAccess(req, res, *repo, state.options().gated_token)) return;
  RevisionAndPath target = SplitRevision(*repo, request.args);
  const Commit* commit = repo->Resolve(target.revision);
  if (commit == nullptr) return SetRevisionNotFound(res, target.revision);
  const CommitFile* file = commit->FindFile(target.path);
  if (file == nullptr) return SetEntryNotFound(res, commit->id());

  if (state.faults().Take(Fault::kServerError)) {
    return SetJsonError(res, 503, "Service Unavailable (injected fault)");
  }
  if (state.faults().Take(Fault::kRedirectLoop)) {
    res.status = 302;
    res.set_header("Location", state.api_base_url() + req.target);
    return;
  }
  res.set_header("X-Repo-Commit", commit->id());
  if (!file->lfs) return ServeRegularFile(req, res, *file);
  SetLfsHeaders(state, res, *repo, *commit, *file);
  if (req.get_header_value("Accept").find(kXetFileInfoType) != std::string::npos) {
    return ServeXetFileInfo(state, res, *repo, *commit, *file);
  }
  RedirectToCdn(state, res, *file->blob);
}

}  // namespace fakehub
