#include "server/publish/commit_builder.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "store/hash.h"
#include "store/human_format.h"
#include "store/index/git_tree.h"

namespace hubmirror {
namespace {

// Git identities must not break the commit object's lines.
std::string IdentityText(std::string name) {
  for (char& c : name) {
    if (c == '<' || c == '>' || c == '\n' || c == '\r' || c == '\0') c = '_';
  }
  return name.empty() ? "unknown" : name;
}

std::string CommitObject(const std::string& tree, const std::string& parent,
                         const CommitMessage& message) {
  const std::string name = IdentityText(message.author);
  const std::string when = std::to_string(message.at_micros / 1'000'000) + " +0000";
  std::string text = "tree " + tree + "\n";
  if (!parent.empty()) text += "parent " + parent + "\n";
  text += "author " + name + " <" + name + "@hubmirror> " + when + "\n";
  text += "committer " + name + " <" + name + "@hubmirror> " + when + "\n\n";
  text += message.summary + "\n";
  if (!message.description.empty()) text += "\n" + message.description + "\n";
  return text;
}

bool IsUnder(const std::string& path, const std::string& folder) {
  return path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
         path[folder.size()] == '/';
}

}  // namespace

EntryRecord LfsFileEntry(const std::string& path, const std::string& sha256, uint64_t size) {
  const std::string pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 +
                              "\nsize " + std::to_string(size) + "\n";
  EntryRecord e;
  e.path = path;
  e.size = size;
  e.oid = GitBlobSha1Hex(pointer);
  e.is_lfs = true;
  e.lfs_sha256 = sha256;
  e.lfs_pointer_size = pointer.size();
  return e;
}

EntryRecord RegularFileEntry(const std::string& path, const std::string& git_sha1, uint64_t size) {
  EntryRecord e;
  e.path = path;
  e.size = size;
  e.oid = git_sha1;
  return e;
}

Result<BuiltCommit> BuildCommit(const RepoKey& repo, const HostedRepoRecord& hosted,
                                const std::string& parent_commit,
                                const std::vector<EntryRecord>& parent_entries,
                                const CommitChange& change, const CommitMessage& message) {
  std::map<std::string, EntryRecord> files;
  for (const EntryRecord& e : parent_entries) {
    if (!e.is_directory) files[e.path] = e;
  }
  const auto not_found = [&](const std::string& what) {
    return Status::NotFound(what + " does not exist in " + repo.ToString() + " at " +
                            (parent_commit.empty() ? std::string("its first commit") : parent_commit))
        .WithHubError(HubError::kEntryNotFound, 404);
  };
  for (const std::string& path : change.deleted_files) {
    if (files.erase(path) == 0) return not_found("file '" + path + "'");
  }
  for (const std::string& folder : change.deleted_folders) {
    size_t removed = 0;
    for (auto it = files.lower_bound(folder); it != files.end();) {
      if (!IsUnder(it->first, folder)) {
        if (it->first.compare(0, folder.size(), folder) != 0) break;
        ++it;
        continue;
      }
      it = files.erase(it);
      ++removed;
    }
    if (removed == 0) return not_found("folder '" + folder + "'");
  }
  for (const EntryRecord& e : change.added) files[e.path] = e;
  // A path cannot be both a file and a folder.
  std::set<std::string> folders;
  for (const auto& [path, e] : files) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      folders.insert(path.substr(0, slash));
    }
  }
  for (const auto& [path, e] : files) {
    if (folders.count(path) != 0) {
      return Status::InvalidArgument("'" + path + "' would be both a file and a folder in " +
                                     repo.ToString());
    }
  }
  std::vector<EntryRecord> list;
  list.reserve(files.size());
  for (auto& [path, e] : files) list.push_back(std::move(e));
  BuiltCommit built;
  std::string root_tree;
  built.entries = WithGitDirectories(list, &root_tree);
  built.record.parent = parent_commit;
  built.record.tree = root_tree;
  built.record.author = message.author;
  built.record.summary = message.summary;
  built.record.description = message.description;
  built.record.at_micros = message.at_micros;
  built.record.commit = GitObjectSha1Hex("commit", CommitObject(root_tree, parent_commit, message));
  built.info_json = HostedRepoInfoJson(repo, hosted, built.record.commit, message.at_micros, list);
  return built;
}

std::string HostedRepoInfoJson(const RepoKey& repo, const HostedRepoRecord& hosted,
                               const std::string& commit, int64_t modified_micros,
                               const std::vector<EntryRecord>& files) {
  nlohmann::json siblings = nlohmann::json::array();
  uint64_t used = 0;
  for (const EntryRecord& e : files) {
    if (e.is_directory) continue;
    nlohmann::json s = {{"rfilename", e.path}, {"size", e.size}, {"blobId", e.oid}};
    if (e.is_lfs) {
      s["lfs"] = {{"sha256", e.lfs_sha256}, {"size", e.size}, {"pointerSize", e.lfs_pointer_size}};
    }
    siblings.push_back(std::move(s));
    used += e.size;
  }
  const size_t slash = repo.id.find('/');
  nlohmann::json info = {
      {"_id", commit.substr(0, 24)},
      {"id", repo.id},
      {"author", slash == std::string::npos ? repo.id : repo.id.substr(0, slash)},
      {"sha", commit},
      {"lastModified", FormatUtcMillis(modified_micros)},
      {"createdAt", FormatUtcMillis(hosted.created_at_micros)},
      {"private", hosted.is_private},
      {"gated", false},
      {"disabled", false},
      {"downloads", 0},
      {"likes", 0},
      {"tags", nlohmann::json::array()},
      {"siblings", std::move(siblings)},
      {"usedStorage", used},
      {"xetEnabled", false},
  };
  if (repo.type == RepoType::kModel) info["modelId"] = repo.id;
  return info.dump();
}

}  // namespace hubmirror
