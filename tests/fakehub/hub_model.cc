#include "tests/fakehub/hub_model.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "tests/fakehub/digest.h"
#include "tests/fakehub/xet_chunks.h"

namespace fakehub {
namespace {

constexpr uint64_t kLfsThresholdBytes = 10 * 1024;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "a/b/c.txt" -> "a/b"; "c.txt" -> "".
std::string_view ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// True when `path` lies strictly below folder `dir` ("" = root).
bool IsBelow(std::string_view path, std::string_view dir) {
  if (dir.empty()) return true;
  return path.size() > dir.size() + 1 && path.substr(0, dir.size()) == dir &&
         path[dir.size()] == '/';
}

class InMemoryBytes : public BlobBytes {
 public:
  explicit InMemoryBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  const char* data() const override { return bytes_.data(); }
  size_t Read(uint64_t offset, char* buf, size_t n) const override {
    if (offset >= bytes_.size()) return 0;
    size_t count = std::min<uint64_t>(n, bytes_.size() - offset);
    std::memcpy(buf, bytes_.data() + offset, count);
    return count;
  }

 private:
  const std::string bytes_;
};

}  // namespace

std::shared_ptr<const BlobBytes> MemoryBytes(std::string bytes) {
  return std::make_shared<InMemoryBytes>(std::move(bytes));
}

std::string_view RepoTypeName(RepoType type) {
  switch (type) {
    case RepoType::kModel: return "model";
    case RepoType::kDataset: return "dataset";
    case RepoType::kSpace: return "space";
  }
  return "model";
}

std::string_view RepoTypePlural(RepoType type) {
  switch (type) {
    case RepoType::kModel: return "models";
    case RepoType::kDataset: return "datasets";
    case RepoType::kSpace: return "spaces";
  }
  return "models";
}

std::string_view RepoTypeUrlPrefix(RepoType type) {
  switch (type) {
    case RepoType::kModel: return "";
    case RepoType::kDataset: return "datasets/";
    case RepoType::kSpace: return "spaces/";
  }
  return "";
}

std::shared_ptr<const Blob> MakeBlob(std::string bytes) {
  std::string sha256 = Sha256Hex(bytes);
  std::string git_oid = GitBlobSha1Hex(bytes);
  return MakeBlobWithDigests(MemoryBytes(std::move(bytes)), std::move(sha256),
                             std::move(git_oid));
}

std::shared_ptr<const Blob> MakeBlobWithDigests(std::shared_ptr<const BlobBytes> bytes,
                                                std::string sha256, std::string git_oid) {
  auto blob = std::make_shared<Blob>();
  blob->sha256 = std::move(sha256);
  blob->git_oid = std::move(git_oid);
  blob->lfs_pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + blob->sha256 +
                      "\nsize " + std::to_string(bytes->size()) + "\n";
  blob->lfs_pointer_oid = GitBlobSha1Hex(blob->lfs_pointer);
  blob->xet_chunks = ChunkForXet(*bytes);
  blob->xet_hash = XetFileHashHex(blob->xet_chunks);
  blob->bytes = std::move(bytes);
  return blob;
}

bool IsLfsPath(std::string_view path, uint64_t size) {
  return size > kLfsThresholdBytes || EndsWith(path, ".safetensors") || EndsWith(path, ".bin") ||
         EndsWith(path, ".parquet");
}

Commit::Commit(std::string id, std::string title, std::string date, std::vector<CommitFile> files,
               std::string parent, std::string author)
    : id_(std::move(id)),
      title_(std::move(title)),
      date_(std::move(date)),
      parent_(std::move(parent)),
      author_(std::move(author)) {
  for (CommitFile& file : files) {
    std::string path = file.path;
    files_.emplace(std::move(path), std::move(file));
  }
  // Every ancestor folder of every file, root included.
  std::set<std::string> folders = {""};
  for (const auto& [path, file] : files_) {
    for (std::string_view dir = ParentOf(path); !dir.empty(); dir = ParentOf(dir)) {
      folders.emplace(dir);
    }
  }
  // Folder oids bottom-up (deepest first): sha1 over the sorted child lines.
  std::vector<std::string> by_depth(folders.begin(), folders.end());
  std::sort(by_depth.begin(), by_depth.end(), [](const std::string& a, const std::string& b) {
    auto depth = [](const std::string& s) {
      return s.empty() ? 0 : 1 + std::count(s.begin(), s.end(), '/');
    };
    return depth(a) != depth(b) ? depth(a) > depth(b) : a < b;
  });
  for (const std::string& dir : by_depth) {
    std::string listing;
    for (const auto& [path, file] : files_) {
      if (IsBelow(path, dir) && ParentOf(path) == dir) {
        listing += "blob " + std::string(BaseName(path)) + " " + file.tree_oid() + "\n";
      }
    }
    for (const auto& [sub, oid] : directory_oids_) {
      if (!sub.empty() && IsBelow(sub, dir) && ParentOf(sub) == dir) {
        listing += "tree " + std::string(BaseName(sub)) + " " + oid + "\n";
      }
    }
    directory_oids_[dir] = Sha1Hex(listing);
  }
}

const CommitFile* Commit::FindFile(std::string_view path) const {
  auto it = files_.find(std::string(path));
  return it == files_.end() ? nullptr : &it->second;
}

bool Commit::IsDirectory(std::string_view path) const {
  return directory_oids_.count(std::string(path)) > 0;
}

std::optional<TreeEntry> Commit::Lookup(std::string_view path) const {
  if (const CommitFile* file = FindFile(path)) {
    return TreeEntry{false, file->path, file->tree_oid(), file};
  }
  auto dir = directory_oids_.find(std::string(path));
  if (dir == directory_oids_.end() || path.empty()) return std::nullopt;
  return TreeEntry{true, dir->first, dir->second, nullptr};
}

std::optional<std::vector<TreeEntry>> Commit::List(std::string_view dir, bool recursive) const {
  if (!IsDirectory(dir)) return std::nullopt;
  auto wanted = [&](std::string_view path) {
    return IsBelow(path, dir) && (recursive || ParentOf(path) == dir);
  };
  std::vector<TreeEntry> entries;
  for (const auto& [path, oid] : directory_oids_) {
    if (!path.empty() && wanted(path)) entries.push_back({true, path, oid, nullptr});
  }
  for (const auto& [path, file] : files_) {
    if (wanted(path)) entries.push_back({false, path, file.tree_oid(), &file});
  }
  return entries;  // Both maps iterate in path order, folders come first.
}

Repo::Repo(RepoType type, std::string id, RepoCard card, bool gated)
    : type_(type),
      id_(std::move(id)),
      mongo_id_(Sha1Hex("repo:" + id_).substr(0, 24)),
      card_(std::move(card)),
      gated_(gated) {}

void Repo::AddCommit(const std::string& ref, Commit commit, bool tag) {
  std::string id = commit.id();
  commits_.emplace(id, std::move(commit));
  AddRef(ref, id, tag);
}

void Repo::AddRef(const std::string& ref, const std::string& commit_id, bool tag) {
  if (default_branch_.empty()) default_branch_ = ref;
  refs_[ref] = commit_id;
  if (tag) tags_[ref] = true;
}

RefKind Repo::KindOf(const std::string& ref) const {
  if (ref.rfind("refs/pr/", 0) == 0) return RefKind::kPullRequest;
  if (ref.rfind("refs/convert/", 0) == 0) return RefKind::kConvert;
  return tags_.count(ref) > 0 ? RefKind::kTag : RefKind::kBranch;
}

std::vector<const Commit*> Repo::History(const Commit& commit) const {
  std::vector<const Commit*> history;
  for (const Commit* c = &commit; c != nullptr && history.size() <= commits_.size();) {
    history.push_back(c);
    auto parent = commits_.find(c->parent());
    c = parent == commits_.end() ? nullptr : &parent->second;
  }
  return history;
}

const Commit* Repo::Resolve(std::string_view revision) const {
  std::string rev(revision == "HEAD" ? std::string_view(default_branch_) : revision);
  auto ref = refs_.find(rev);
  if (ref != refs_.end()) rev = ref->second;
  auto commit = commits_.find(rev);
  return commit == commits_.end() ? nullptr : &commit->second;
}

void Hub::AddRepo(Repo repo) {
  for (const auto& [id, commit] : repo.commits()) {
    for (const auto& [path, file] : commit.files()) {
      if (file.lfs) lfs_blobs_.emplace(file.blob->sha256, file.blob);
    }
  }
  repos_.push_back(std::move(repo));
}

const Repo* Hub::FindRepo(RepoType type, std::string_view id) const {
  for (const Repo& repo : repos_) {
    if (repo.type() == type && repo.id() == id) return &repo;
  }
  return nullptr;
}

std::shared_ptr<const Blob> Hub::FindLfsBlob(std::string_view sha256) const {
  auto it = lfs_blobs_.find(sha256);
  return it == lfs_blobs_.end() ? nullptr : it->second;
}

}  // namespace fakehub
