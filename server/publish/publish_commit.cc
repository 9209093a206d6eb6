// PublishRoutes::Commit: POST /api/{type}s/{repo}/commit/{rev}, in its own
// file for its length (see publish_routes.h for the contract).
#include <nlohmann/json.hpp>

#include "server/error_response.h"
#include "server/hub_route.h"
#include "server/publish/commit_builder.h"
#include "server/publish/commit_payload.h"
#include "server/publish/publish_routes.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

bool QueryFlag(const std::string& target, const std::string& key) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return false;
  Result<std::multimap<std::string, std::string>> query = ParseQueryString(target.substr(q + 1));
  if (!query.ok()) return false;
  auto it = query->find(key);
  return it != query->end() && (it->second == "1" || it->second == "true" || it->second == "True");
}

Status Stale(const std::string& message) {
  return Status::FailedPrecondition(message + ": a commit has happened since. Please refresh "
                                              "and try again.")
      .WithHubError(HubError::kNone, 412);
}

}  // namespace

void PublishRoutes::Commit(const Caller& caller, const RepoKey& repo, const std::string& revision,
                           const HttpRequest& req, HttpResponse& res) {
  std::string new_commit;
  const auto fail = [&](const Status& status) {
    WriteError(status, true, &res);
    Audit(caller, req, repo, "commit", revision, new_commit, res.status);
  };
  Result<CommitPayload> payload = ParseCommitPayload(req.body);
  if (!payload.ok()) return fail(payload.status());
  Result<std::optional<HostedRepoRecord>> hosted = index_->GetHostedRepo(repo);
  if (!hosted.ok()) return fail(hosted.status());
  if (!*hosted) {
    return fail(Status::NotFound(repo.DisplayId() + " does not exist on this mirror: create it "
                                                    "first (hf repo create)")
                    .WithHubError(HubError::kRepoNotFound, 404));
  }
  // Commits go to a branch (or open a pull request from one).
  Result<std::vector<HostedRef>> refs = index_->ListHostedRefs(repo);
  if (!refs.ok()) return fail(refs.status());
  const std::string branch = revision == "HEAD" ? "main" : revision;
  std::string head;
  int pull_requests = 0;
  bool branch_exists = false;
  for (const HostedRef& ref : *refs) {
    if (ref.name.rfind("refs/pr/", 0) == 0) ++pull_requests;
    if (ref.name != branch) continue;
    if (ref.is_tag) return fail(Status::InvalidArgument("'" + branch + "' is a tag; commit to a branch"));
    head = ref.commit;
    branch_exists = true;
  }
  if (!branch_exists) {
    return fail(Status::NotFound("branch '" + branch + "' does not exist in " + repo.DisplayId() +
                                 ": create it first (hf repo branch create)")
                    .WithHubError(HubError::kRevisionNotFound, 404));
  }
  if (!payload->parent_commit.empty() && head.rfind(payload->parent_commit, 0) != 0) {
    return fail(Stale("parentCommit " + payload->parent_commit + " is not the head of '" +
                      branch + "' (" + head + ")"));
  }
  std::string target_ref = branch;
  std::string expected = head;
  const bool create_pr = QueryFlag(req.target, "create_pr");
  if (create_pr) {
    target_ref = "refs/pr/" + std::to_string(pull_requests + 1);
    expected = "";
  }

  // Every operation checked, every new small file stored, before anything
  // becomes visible.
  CommitChange change;
  for (const CommitOperation& op : payload->operations) {
    switch (op.kind) {
      case CommitOperation::Kind::kFile: {
        const std::string blob = GitBlobSha1Hex(op.content);
        Result<ObjectInfo> stored = lfs_->StoreBytes(op.content, Sha256Hex(op.content), blob);
        if (!stored.ok()) return fail(stored.status());
        change.added.push_back(RegularFileEntry(op.path, blob, op.content.size()));
        break;
      }
      case CommitOperation::Kind::kLfsFile: {
        Result<std::optional<ObjectRecord>> object = index_->GetObject(op.oid);
        if (!object.ok()) return fail(object.status());
        if (!*object || !lfs_->HasObject(op.oid)) {
          return fail(Status::InvalidArgument("LFS object " + op.oid + " of '" + op.path +
                                              "' was not uploaded: upload it first (LFS batch "
                                              "API) and commit again"));
        }
        if (op.size && *op.size != (*object)->size) {
          return fail(Status::InvalidArgument("'" + op.path + "' says " + std::to_string(*op.size) +
                                              " bytes; its LFS object has " +
                                              std::to_string((*object)->size)));
        }
        change.added.push_back(LfsFileEntry(op.path, op.oid, (*object)->size));
        break;
      }
      case CommitOperation::Kind::kDeletedFile:
        change.deleted_files.push_back(op.path);
        break;
      case CommitOperation::Kind::kDeletedFolder:
        change.deleted_folders.push_back(op.path);
        break;
    }
  }
  Result<std::vector<EntryRecord>> parent_entries = index_->ListEntries(repo, head, "", true);
  if (!parent_entries.ok()) return fail(parent_entries.status());
  CommitMessage message{caller.name, payload->summary, payload->description, env_->NowMicros()};
  if (message.summary.empty()) message.summary = "Upload with huggingface_hub";
  Result<BuiltCommit> built = BuildCommit(repo, **hosted, head, *parent_entries, change, message);
  if (!built.ok()) return fail(built.status());
  new_commit = built->record.commit;
  Status landed = index_->CommitHosted(repo, target_ref, expected, built->record,
                                       built->info_json, built->entries);
  if (landed.code() == StatusCode::kFailedPrecondition) landed = Stale(landed.message());
  if (!landed.ok()) return fail(landed);
  const std::string url = RepoUrl(req, repo);
  nlohmann::json answer = {{"commitUrl", url + "/commit/" + new_commit},
                           {"commitOid", new_commit},
                           {"commitMessage", message.summary},
                           {"success", true}};
  if (create_pr) answer["pullRequestUrl"] = url + "/discussions/" + std::to_string(pull_requests + 1);
  res.set_content(answer.dump(), "application/json");
  Audit(caller, req, repo, "commit", target_ref, new_commit, res.status);
}

}  // namespace hubmirror
