#include "server/publish/publish_routes.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "server/error_response.h"
#include "server/hub_route.h"
#include "server/publish/commit_builder.h"
#include "server/publish/commit_payload.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

using json = nlohmann::json;

// What a new repo starts with, as on the Hub: the LFS rules of its first
// commit (the mirror itself decides LFS per file at preupload).
constexpr const char* kInitialGitattributes =
    "*.7z filter=lfs diff=lfs merge=lfs -text\n"
    "*.bin filter=lfs diff=lfs merge=lfs -text\n"
    "*.ckpt filter=lfs diff=lfs merge=lfs -text\n"
    "*.gguf filter=lfs diff=lfs merge=lfs -text\n"
    "*.h5 filter=lfs diff=lfs merge=lfs -text\n"
    "*.npy filter=lfs diff=lfs merge=lfs -text\n"
    "*.onnx filter=lfs diff=lfs merge=lfs -text\n"
    "*.parquet filter=lfs diff=lfs merge=lfs -text\n"
    "*.pt filter=lfs diff=lfs merge=lfs -text\n"
    "*.pth filter=lfs diff=lfs merge=lfs -text\n"
    "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    "*.tar filter=lfs diff=lfs merge=lfs -text\n"
    "*.zip filter=lfs diff=lfs merge=lfs -text\n"
    "*.zst filter=lfs diff=lfs merge=lfs -text\n";

// Files at least this large, or whose first bytes hold a NUL, go over LFS
// (the Hub's own limit is 10 MB; smaller keeps commit bodies small and puts
// more bytes where chunk dedup works).
constexpr uint64_t kRegularFileMaxBytes = 1 << 20;

Status BadRequest(const std::string& message) { return Status::InvalidArgument(message); }

// A repo id from create/delete bodies: "name" alone ("ns/name") or with
// "organization".
Result<RepoKey> RepoFromBody(const json& body) {
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string()) {
    return BadRequest("the request needs a repo 'name'");
  }
  RepoKey repo;
  std::string name = body["name"].get<std::string>();
  if (body.contains("organization") && body["organization"].is_string() &&
      !body["organization"].get<std::string>().empty()) {
    name = body["organization"].get<std::string>() + "/" + name;
  }
  repo.id = name;
  const std::string type = body.contains("type") && body["type"].is_string()
                               ? body["type"].get<std::string>()
                               : "model";
  if (!IsRepoTypeName(type)) return BadRequest("unknown repo type '" + type + "'");
  repo.type = RepoTypeFromName(type);
  HM_RETURN_IF_ERROR(ValidateRepoId(repo.id));
  if (repo.id.find('/') == std::string::npos) {
    return BadRequest("repo '" + repo.id + "' needs a namespace: 'namespace/name'");
  }
  return repo;
}

// "private": bool or "visibility": "public"|"private"|"protected"; nullopt
// when neither is given.
Result<std::optional<bool>> PrivacyFromBody(const json& body) {
  if (body.contains("visibility") && body["visibility"].is_string()) {
    const std::string v = body["visibility"].get<std::string>();
    if (v != "public" && v != "private" && v != "protected") {
      return BadRequest("visibility must be public, private or protected");
    }
    return std::optional<bool>(v != "public");
  }
  if (body.contains("private") && !body["private"].is_null()) {
    if (!body["private"].is_boolean()) return BadRequest("'private' must be true or false");
    return std::optional<bool>(body["private"].get<bool>());
  }
  return std::optional<bool>();
}

bool HasNul(const std::string& bytes) { return bytes.find('\0') != std::string::npos; }

}  // namespace

PublishRoutes::PublishRoutes(const ServerOptions& options, Env* env, Index* index,
                             RepoCatalog* catalog, LfsUploads* lfs, XetUploads* xet,
                             const AccessPolicy* access, AuditLog* audit, BaseUrl base_url)
    : options_(options),
      env_(env),
      index_(index),
      catalog_(catalog),
      lfs_(lfs),
      xet_(xet),
      access_(access),
      audit_(audit),
      base_url_(std::move(base_url)) {}

Status PublishRoutes::CheckWrite(const Caller& caller, const RepoKey& repo) const {
  if (!catalog_->IsHosted(repo)) {
    std::string owned;
    for (const std::string& ns : options_.publish.namespaces) owned += (owned.empty() ? "" : ", ") + ns;
    return Status::PermissionDenied(
               repo.DisplayId() + " is mirrored from the upstream hub and cannot be written; "
               "this mirror publishes only to its own namespaces (" +
               (owned.empty() ? std::string("none configured: [publish] namespaces") : owned) + ")")
        .WithHubError(HubError::kNone, 403);
  }
  return access_->AuthorizeWrite(caller, repo);
}

std::string PublishRoutes::RepoUrl(const HttpRequest& req, const RepoKey& repo) const {
  std::string prefix;
  if (repo.type == RepoType::kDataset) prefix = "datasets/";
  if (repo.type == RepoType::kSpace) prefix = "spaces/";
  return base_url_(req) + "/" + prefix + repo.id;
}

void PublishRoutes::Audit(const Caller& caller, const HttpRequest& req, const RepoKey& repo,
                          const std::string& action, const std::string& revision,
                          const std::string& commit, int status) {
  if (audit_ == nullptr) return;
  AuditRecord r = AuditRecord::About(caller.name, req.remote_addr, req.method, repo);
  r.revision = revision;
  r.commit = commit;
  r.status = status;
  r.complete = status < 400;
  r.action = action;
  audit_->Write(r);
}

namespace {

// "/api/{type}s/{ns}/{name}/{action}[/{rest}]" for the write actions.
std::optional<Result<std::tuple<RepoKey, std::string, std::string>>> ParseWriteTarget(
    const std::string& method, const std::string& path) {
  using Parsed = std::tuple<RepoKey, std::string, std::string>;
  if (path.rfind("/api/", 0) != 0) return std::nullopt;
  std::vector<std::string> segs;
  for (size_t at = 5; at <= path.size();) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    segs.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  if (segs.size() < 4) return std::nullopt;
  RepoKey repo;
  bool typed = false;
  for (RepoType t : kAllRepoTypes) {
    if (segs[0] == RepoTypePlural(t)) {
      repo.type = t;
      typed = true;
    }
  }
  if (!typed) return std::nullopt;
  const std::string& action = segs[3];
  const bool write = (action == "settings" && method == "PUT") ||
                     ((action == "preupload" || action == "commit") && method == "POST") ||
                     ((action == "branch" || action == "tag") &&
                      (method == "POST" || method == "DELETE")) ||
                     (action == "xet-write-token" && method == "GET");
  if (!write) return std::nullopt;
  Result<std::string> ns = PercentDecode(segs[1], false);
  Result<std::string> name = PercentDecode(segs[2], false);
  if (!ns.ok() || !name.ok()) return Result<Parsed>(Status::InvalidArgument("bad repo id"));
  repo.id = *ns + "/" + *name;
  if (Status valid = ValidateRepoId(repo.id); !valid.ok()) return Result<Parsed>(valid);
  std::string raw_rest;
  for (size_t i = 4; i < segs.size(); ++i) raw_rest += (i > 4 ? "/" : "") + segs[i];
  Result<std::string> rest = PercentDecode(raw_rest, false);
  if (!rest.ok()) return Result<Parsed>(rest.status());
  if (action != "settings") {
    if (rest->empty()) return Result<Parsed>(Status::InvalidArgument("missing revision"));
    if (Status valid = ValidateRevision(*rest); !valid.ok()) return Result<Parsed>(valid);
  }
  return Result<Parsed>(Parsed{repo, action, *rest});
}

// "/{[datasets/|spaces/]}{ns}/{name}.git/info/lfs/objects/batch".
std::optional<Result<RepoKey>> ParseLfsBatch(const std::string& method, const std::string& path) {
  constexpr std::string_view kSuffix = ".git/info/lfs/objects/batch";
  if (method != "POST" || path.size() <= kSuffix.size() + 1 ||
      path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  std::string_view id(path);
  id.remove_prefix(1);
  id.remove_suffix(kSuffix.size());
  RepoKey repo;
  repo.type = TakeRepoTypePrefix(&id);
  repo.id = std::string(id);
  if (Status valid = ValidateRepoId(repo.id); !valid.ok()) return Result<RepoKey>(valid);
  return Result<RepoKey>(repo);
}

}  // namespace

// A commit body, held whole (it is parsed as one document) up to its limit.
class PublishRoutes::CommitBodySink : public RequestBodySink {
 public:
  explicit CommitBodySink(PublishRoutes* routes) : routes_(routes) {}
  Status Open(const HttpRequest&) override { return Status::Ok(); }
  Status Write(std::string_view piece) override {
    if (body_.size() + piece.size() > kMaxCommitBodyBytes) {
      return Status::InvalidArgument("a commit body holds at most " +
                                     std::to_string(kMaxCommitBodyBytes >> 20) +
                                     " MiB: upload large files over LFS")
          .WithHubError(HubError::kNone, 413);
    }
    body_.append(piece);
    return Status::Ok();
  }
  void Finish(const HttpRequest& head, HttpResponse& res) override {
    HttpRequest whole = head;
    whole.body = std::move(body_);
    routes_->Handle(whole, res);
  }

 private:
  PublishRoutes* routes_;
  std::string body_;
};

std::unique_ptr<RequestBodySink> PublishRoutes::SinkFor(const HttpRequest& head) {
  if (auto target = ParseWriteTarget(head.method, head.path);
      target && target->ok() && std::get<1>(**target) == "commit") {
    return std::make_unique<CommitBodySink>(this);
  }
  if (XetUploads::IsUploadRoute(head)) return xet_->SinkFor(head);
  return lfs_->SinkFor(head);
}

bool PublishRoutes::Handle(const HttpRequest& req, HttpResponse& res) {
  if (xet_->HandleDedupQuery(req, res)) return true;
  if (req.path.rfind("/_hubmirror/lfs/", 0) == 0) {
    if (!lfs_->Handle(req, res)) {
      WriteError(Status::NotFound(req.method + " " + req.path + " is not served"), true, &res);
    }
    return true;
  }
  const bool create = req.method == "POST" && req.path == "/api/repos/create";
  const bool remove = req.method == "DELETE" && req.path == "/api/repos/delete";
  const bool yaml = req.method == "POST" && req.path == "/api/validate-yaml";
  auto target = ParseWriteTarget(req.method, req.path);
  auto batch = ParseLfsBatch(req.method, req.path);
  if (!create && !remove && !yaml && !target && !batch) return false;

  const bool has_token = req.has_header("Authorization");
  if (yaml) {
    // The mirror keeps model cards as they are; clients only need the
    // answer to be JSON.
    res.set_content(R"({"errors":[],"warnings":[]})", "application/json");
    return true;
  }
  Result<Caller> caller = access_->Identify(req.get_header_value("Authorization"));
  if (!caller.ok()) {
    WriteError(caller.status(), has_token, &res);
    return true;
  }
  if (create) {
    CreateRepo(*caller, req, res);
  } else if (remove) {
    DeleteRepo(*caller, req, res);
  } else if (batch) {
    if (!batch->ok()) {
      WriteError(batch->status(), has_token, &res);
    } else if (Status allowed = CheckWrite(*caller, **batch); !allowed.ok()) {
      WriteError(allowed, has_token, &res);
    } else {
      lfs_->Batch(**batch, *caller, base_url_(req), req, res);
    }
  } else if (!target->ok()) {
    WriteError(target->status(), has_token, &res);
  } else {
    const auto& [repo, action, rest] = **target;
    if (Status allowed = CheckWrite(*caller, repo); !allowed.ok()) {
      WriteError(allowed, has_token, &res);
    } else if (action == "settings") {
      Settings(*caller, repo, req, res);
    } else if (action == "preupload") {
      Preupload(repo, rest, req, res);
    } else if (action == "commit") {
      Commit(*caller, repo, rest, req, res);
    } else if (action == "xet-write-token") {
      XetWriteToken(*caller, repo, req, res);
    } else if (action == "branch") {
      Branch(*caller, repo, rest, req, res);
    } else {
      Tag(*caller, repo, rest, req, res);
    }
  }
  return true;
}

void PublishRoutes::CreateRepo(const Caller& caller, const HttpRequest& req, HttpResponse& res) {
  json body = json::parse(req.body, nullptr, false);
  Result<RepoKey> repo = RepoFromBody(body);
  if (!repo.ok()) return WriteError(repo.status(), true, &res);
  Result<std::optional<bool>> privacy = PrivacyFromBody(body);
  if (!privacy.ok()) return WriteError(privacy.status(), true, &res);
  if (Status allowed = CheckWrite(caller, *repo); !allowed.ok()) {
    return WriteError(allowed, true, &res);
  }
  const std::string url = RepoUrl(req, *repo);
  HostedRepoRecord record{*repo, privacy->value_or(false), caller.name, env_->NowMicros()};
  Status created = index_->CreateHostedRepo(record);
  if (created.code() == StatusCode::kAlreadyExists) {
    res.status = 409;
    res.set_header("X-Error-Message", "You already created this " +
                                          std::string(RepoTypeName(repo->type)) + " repo");
    res.set_content(json{{"error", "You already created this " +
                                       std::string(RepoTypeName(repo->type)) + " repo"},
                         {"url", url}}
                        .dump(),
                    "application/json");
    return;
  }
  // Its first commit holds .gitattributes, as on the Hub, so that main
  // exists from the start.
  Status status = created;
  std::string commit;
  if (status.ok()) {
    const std::string content = kInitialGitattributes;
    const std::string blob = GitBlobSha1Hex(content);
    Result<ObjectInfo> stored = lfs_->StoreBytes(content, Sha256Hex(content), blob);
    status = stored.status();
    if (status.ok()) {
      CommitChange change;
      change.added.push_back(RegularFileEntry(".gitattributes", blob, content.size()));
      Result<BuiltCommit> built = BuildCommit(
          *repo, record, "", {}, change, CommitMessage{caller.name, "initial commit", "", record.created_at_micros});
      status = built.status();
      if (status.ok()) {
        commit = built->record.commit;
        status = index_->CommitHosted(*repo, "main", "", built->record, built->info_json,
                                      built->entries);
      }
    }
    if (!status.ok()) (void)index_->DeleteHostedRepo(*repo);
  }
  if (!status.ok()) {
    WriteError(status, true, &res);
  } else {
    res.set_content(json{{"url", url}, {"name", repo->id}, {"id", repo->id}}.dump(),
                    "application/json");
  }
  Audit(caller, req, *repo, "create", "main", commit, res.status);
}

void PublishRoutes::DeleteRepo(const Caller& caller, const HttpRequest& req, HttpResponse& res) {
  json body = json::parse(req.body, nullptr, false);
  Result<RepoKey> repo = RepoFromBody(body);
  if (!repo.ok()) return WriteError(repo.status(), true, &res);
  if (Status allowed = CheckWrite(caller, *repo); !allowed.ok()) {
    return WriteError(allowed, true, &res);
  }
  Status deleted = index_->DeleteHostedRepo(*repo);
  if (!deleted.ok()) {
    WriteError(deleted, true, &res);
  } else {
    res.set_content("{}", "application/json");
  }
  Audit(caller, req, *repo, "delete", "", "", res.status);
}

void PublishRoutes::Settings(const Caller& caller, const RepoKey& repo, const HttpRequest& req,
                             HttpResponse& res) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return WriteError(BadRequest("settings must be a JSON object"), true, &res);
  Result<std::optional<bool>> privacy = PrivacyFromBody(body);
  if (!privacy.ok()) return WriteError(privacy.status(), true, &res);
  Status status = Status::Ok();
  if (*privacy) status = index_->SetHostedRepoPrivate(repo, **privacy);
  if (!status.ok()) {
    WriteError(status, true, &res);
  } else {
    res.set_content("{}", "application/json");
  }
  Audit(caller, req, repo, "settings", "", "", res.status);
}

void PublishRoutes::XetWriteToken(const Caller& caller, const RepoKey& repo,
                                  const HttpRequest& req, HttpResponse& res) {
  Result<std::optional<HostedRepoRecord>> hosted = index_->GetHostedRepo(repo);
  if (!hosted.ok()) return WriteError(hosted.status(), true, &res);
  if (!*hosted) {
    return WriteError(Status::NotFound("repository " + repo.DisplayId() +
                                       " does not exist; create it first")
                          .WithHubError(HubError::kRepoNotFound, 404),
                      true, &res);
  }
  xet_->AnswerWriteToken(repo, caller, base_url_(req), res);
}

Result<std::string> PublishRoutes::ResolveCommit(const RepoKey& repo,
                                                 const std::string& revision) {
  HM_ASSIGN_OR_RETURN(Resolution resolved, catalog_->ResolveRevision(repo, revision));
  return resolved.commit;
}

void PublishRoutes::Preupload(const RepoKey& repo, const std::string& revision,
                              const HttpRequest& req, HttpResponse& res) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("files") || !body["files"].is_array()) {
    return WriteError(BadRequest("preupload needs a 'files' list"), true, &res);
  }
  // The files already at the revision (none on a branch not created yet).
  std::string commit;
  if (Result<std::string> resolved = ResolveCommit(repo, revision); resolved.ok()) {
    commit = *resolved;
  } else if (resolved.status().hub_error() != HubError::kRevisionNotFound) {
    return WriteError(resolved.status(), true, &res);
  }
  json files = json::array();
  for (const json& file : body["files"]) {
    if (!file.is_object() || !file.contains("path") || !file["path"].is_string()) {
      return WriteError(BadRequest("each preupload file needs a 'path'"), true, &res);
    }
    const std::string path = file["path"].get<std::string>();
    if (Status valid = ValidateRepoPath(path); !valid.ok()) return WriteError(valid, true, &res);
    const uint64_t size = file.contains("size") && file["size"].is_number_unsigned()
                              ? file["size"].get<uint64_t>()
                              : 0;
    std::string sample;
    if (file.contains("sample") && file["sample"].is_string()) {
      Result<std::string> decoded = DecodeBase64(file["sample"].get<std::string>());
      if (!decoded.ok()) return WriteError(BadRequest(path + ": sample is not base64"), true, &res);
      sample = std::move(decoded).value();
    }
    const bool lfs = size >= kRegularFileMaxBytes || HasNul(sample);
    json answer = {{"path", path}, {"uploadMode", lfs ? "lfs" : "regular"}, {"shouldIgnore", false}};
    if (!commit.empty()) {
      Result<std::optional<EntryRecord>> entry = index_->GetEntry(repo, commit, path);
      if (entry.ok() && *entry && !(*entry)->is_directory) {
        answer["oid"] = (*entry)->is_lfs ? (*entry)->lfs_sha256 : (*entry)->oid;
      }
    }
    files.push_back(std::move(answer));
  }
  res.set_content(json{{"files", files}}.dump(), "application/json");
}

void PublishRoutes::Branch(const Caller& caller, const RepoKey& repo, const std::string& name,
                           const HttpRequest& req, HttpResponse& res) {
  Status status = Status::Ok();
  std::string commit;
  if (req.method == "DELETE") {
    status = name == "main" ? BadRequest("the main branch cannot be deleted")
                            : index_->DeleteHostedRef(repo, name, /*is_tag=*/false);
  } else {
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (!body.is_object()) return WriteError(BadRequest("the body must be a JSON object"), true, &res);
    const bool empty = body.value("emptyBranch", false);
    const bool overwrite = body.value("overwrite", false);
    const std::string start = body.contains("startingPoint") && body["startingPoint"].is_string()
                                  ? body["startingPoint"].get<std::string>()
                                  : "main";
    if (name.rfind("refs/", 0) == 0) status = BadRequest("branch names cannot start with refs/");
    Result<std::optional<HostedRepoRecord>> hosted = index_->GetHostedRepo(repo);
    if (status.ok() && (!hosted.ok() || !*hosted)) {
      status = hosted.ok() ? Status::NotFound(repo.ToString() + " does not exist")
                                 .WithHubError(HubError::kRepoNotFound, 404)
                           : hosted.status();
    }
    if (status.ok() && empty) {
      Result<BuiltCommit> built = BuildCommit(repo, **hosted, "", {}, CommitChange{},
                                              CommitMessage{caller.name, "empty branch " + name,
                                                            "", env_->NowMicros()});
      status = built.status();
      if (status.ok()) {
        commit = built->record.commit;
        // Recorded on the new branch itself; refused if it exists.
        Result<std::optional<RefRecord>> existing = index_->GetRef(repo, name);
        if (existing.ok() && *existing && !overwrite) {
          status = Status::AlreadyExists("branch '" + name + "' already exists");
        } else {
          status = index_->CommitHosted(repo, name, existing.ok() && *existing ? (*existing)->commit : "",
                                        built->record, built->info_json, built->entries);
        }
      }
    } else if (status.ok()) {
      Result<std::string> resolved = ResolveCommit(repo, start);
      status = resolved.status();
      if (status.ok()) {
        commit = *resolved;
        status = index_->PutHostedRef(repo, HostedRef{name, false, commit}, overwrite);
      }
    }
  }
  if (status.code() == StatusCode::kAlreadyExists) {
    status = Status::AlreadyExists("Reference already exists: " + name).WithHubError(HubError::kNone, 409);
  }
  if (!status.ok()) {
    WriteError(status, true, &res);
  } else {
    res.set_content("{}", "application/json");
  }
  Audit(caller, req, repo, "branch", name, commit, res.status);
}

void PublishRoutes::Tag(const Caller& caller, const RepoKey& repo, const std::string& rev,
                        const HttpRequest& req, HttpResponse& res) {
  Status status = Status::Ok();
  std::string commit;
  std::string tag = rev;
  if (req.method == "DELETE") {
    status = index_->DeleteHostedRef(repo, rev, /*is_tag=*/true);
  } else {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("tag") || !body["tag"].is_string()) {
      return WriteError(BadRequest("creating a tag needs a 'tag' name"), true, &res);
    }
    tag = body["tag"].get<std::string>();
    status = ValidateRevision(tag);
    if (status.ok() && (tag.rfind("refs/", 0) == 0 || IsCommitSha(tag))) {
      status = BadRequest("'" + tag + "' cannot be a tag name");
    }
    if (status.ok()) {
      Result<std::string> resolved = ResolveCommit(repo, rev);
      status = resolved.status();
      if (status.ok()) {
        commit = *resolved;
        status = index_->PutHostedRef(repo, HostedRef{tag, true, commit}, /*overwrite=*/false);
      }
    }
  }
  if (status.code() == StatusCode::kAlreadyExists) {
    status = Status::AlreadyExists("Tag already exists: " + tag).WithHubError(HubError::kNone, 409);
  }
  if (!status.ok()) {
    WriteError(status, true, &res);
  } else {
    res.set_content("{}", "application/json");
  }
  Audit(caller, req, repo, "tag", tag, commit, res.status);
}

}  // namespace hubmirror
