#include "tests/fakehub/hub_json.h"

#include <algorithm>

namespace fakehub {
namespace {

using nlohmann::json;

json SiblingJson(const CommitFile& file, bool blobs) {
  json sibling = {{"rfilename", file.path}};
  if (!blobs) return sibling;
  sibling["size"] = file.blob->size();
  sibling["blobId"] = file.tree_oid();
  if (file.lfs) {
    sibling["lfs"] = {{"size", file.blob->size()},
                      {"sha256", file.blob->sha256},
                      {"pointerSize", file.blob->lfs_pointer.size()}};
  }
  return sibling;
}

}  // namespace

json RepoInfoJson(const Repo& repo, const Commit& commit, bool blobs,
                  const std::vector<std::string>& expand) {
  const RepoCard& card = repo.card();
  json siblings = json::array();
  for (const auto& [path, file] : commit.files()) siblings.push_back(SiblingJson(file, blobs));

  json info = {{"_id", repo.mongo_id()}, {"id", repo.id()}};
  if (repo.type() == RepoType::kModel) info["modelId"] = repo.id();
  info["author"] = card.author;
  info["sha"] = commit.id();
  info["lastModified"] = commit.date();
  info["createdAt"] = card.created_at;
  info["private"] = false;
  info["gated"] = repo.gated() ? json("manual") : json(false);
  info["disabled"] = false;
  info["downloads"] = card.downloads;
  info["likes"] = card.likes;
  info["tags"] = card.tags;
  if (repo.type() == RepoType::kModel && !card.pipeline_tag.empty()) {
    info["pipeline_tag"] = card.pipeline_tag;
  }
  if (!card.library_name.empty()) info["library_name"] = card.library_name;
  if (repo.type() == RepoType::kSpace) {
    info["sdk"] = card.sdk;
    info["runtime"] = {{"stage", "RUNNING"}, {"hardware", {{"current", "cpu-basic"}}}};
  }
  info["siblings"] = std::move(siblings);
  info["xetEnabled"] = true;
  if (expand.empty()) return info;

  json filtered = {{"_id", info["_id"]}, {"id", info["id"]}};
  for (const std::string& key : expand) {
    if (info.contains(key)) filtered[key] = info[key];
  }
  return filtered;
}

json TreeEntryJson(const TreeEntry& entry, const Commit& commit, bool expand) {
  json out = {{"type", entry.is_directory ? "directory" : "file"},
              {"oid", entry.oid},
              {"size", entry.file ? entry.file->blob->size() : 0},
              {"path", entry.path}};
  if (entry.file && entry.file->lfs) {
    const Blob& blob = *entry.file->blob;
    out["lfs"] = {
        {"oid", blob.sha256}, {"size", blob.size()}, {"pointerSize", blob.lfs_pointer.size()}};
    out["xetHash"] = blob.xet_hash;
  }
  if (expand) {
    out["lastCommit"] = {{"id", commit.id()}, {"title", commit.title()}, {"date", commit.date()}};
    if (entry.file) out["securityFileStatus"] = {{"status", "safe"}};
  }
  return out;
}

json ManifestJson(const Hub& hub, const XetCas& xet) {
  json repos = json::array();
  for (const Repo& repo : hub.repos()) {
    json commits = json::array();
    for (const auto& [id, commit] : repo.commits()) {
      json files = json::array();
      for (const auto& [path, file] : commit.files()) {
        files.push_back({{"path", path},
                         {"size", file.blob->size()},
                         {"sha256", file.blob->sha256},
                         {"git_oid", file.tree_oid()},
                         {"lfs", file.lfs},
                         {"etag", file.lfs ? file.blob->sha256 : file.blob->git_oid}});
        if (file.lfs) {
          files.back()["xet_hash"] = file.blob->xet_hash;
          const CasFile* stored = xet.FindFile(file.blob->xet_hash);
          // What its upload added to the CAS (chunks no earlier file had).
          if (stored != nullptr) files.back()["xet_new_bytes"] = stored->new_bytes;
        }
      }
      commits.push_back({{"id", id}, {"parent", commit.parent()}, {"files", std::move(files)}});
    }
    repos.push_back({{"type", RepoTypeName(repo.type())},
                     {"id", repo.id()},
                     {"gated", repo.gated()},
                     {"default_branch", repo.default_branch()},
                     {"refs", repo.refs()},
                     {"commits", std::move(commits)}});
  }
  return {{"repos", std::move(repos)}};
}

}  // namespace fakehub
