// The fake hub's data model: repositories, refs, commits and their files.
//
// Everything here is immutable once built (see fixtures.h), so request
// handlers on any thread may read it without locking. File contents are
// shared between commits and repositories that hold the same bytes, exactly
// like the Hub deduplicates LFS objects by sha256.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fakehub {

enum class RepoType { kModel, kDataset, kSpace };

// "model" / "dataset" / "space".
std::string_view RepoTypeName(RepoType type);
// "models" / "datasets" / "spaces", as in /api/{plural}/...
std::string_view RepoTypePlural(RepoType type);
// "" / "datasets/" / "spaces/", as in /{prefix}{id}/resolve/...
std::string_view RepoTypeUrlPrefix(RepoType type);

// The bytes of one content: held in memory (fixtures) or read on demand from
// a local file (--extra-file), so multi-GiB files never sit in RAM.
// Immutable and safe to read from any thread.
class BlobBytes {
 public:
  virtual ~BlobBytes() = default;
  virtual uint64_t size() const = 0;
  // The whole content when it is in memory; null when it must be Read().
  virtual const char* data() const { return nullptr; }
  // Copies up to `n` bytes at `offset` into `buf`; returns how many (0 at the
  // end or on a read error).
  virtual size_t Read(uint64_t offset, char* buf, size_t n) const = 0;
};

// In-memory bytes.
std::shared_ptr<const BlobBytes> MemoryBytes(std::string bytes);

// One Xet chunk of a content (../shared/xet-protocol.md (b), (c)).
struct XetChunkRef {
  uint64_t offset = 0;
  uint32_t size = 0;
  std::array<uint8_t, 32> hash{};  // raw chunk hash
};

// One distinct content, with every identity the Hub derives from it.
struct Blob {
  std::shared_ptr<const BlobBytes> bytes;
  std::string sha256;           // 64 hex: LFS oid, CDN key, X-Linked-Etag.
  std::string git_oid;          // 40 hex: git blob id of the bytes themselves.
  std::string lfs_pointer;      // The git-lfs pointer text for these bytes.
  std::string lfs_pointer_oid;  // 40 hex: git blob id of the pointer.
  std::string xet_hash;         // 64 hex: the Xet file hash (hex rule).
  std::vector<XetChunkRef> xet_chunks;  // its chunks, in order

  uint64_t size() const { return bytes->size(); }
};

// Builds a Blob, computing all of its digests.
std::shared_ptr<const Blob> MakeBlob(std::string bytes);
// Builds a Blob from content whose sha256 and git blob sha1 are already known
// (a local file hashed once at start-up).
std::shared_ptr<const Blob> MakeBlobWithDigests(std::shared_ptr<const BlobBytes> bytes,
                                                std::string sha256, std::string git_oid);

// True when the Hub stores a file of this name and size through LFS:
// larger than 10 KiB, or a .safetensors/.bin/.parquet file.
bool IsLfsPath(std::string_view path, uint64_t size);

// A file as seen in one commit.
struct CommitFile {
  std::string path;
  std::shared_ptr<const Blob> blob;
  bool lfs = false;

  // The git oid the tree lists: the pointer's id for LFS files.
  const std::string& tree_oid() const { return lfs ? blob->lfs_pointer_oid : blob->git_oid; }
};

// One entry of a tree listing or paths-info answer.
struct TreeEntry {
  bool is_directory = false;
  std::string path;
  std::string oid;
  const CommitFile* file = nullptr;  // Null for directories.
};

// A commit: a full snapshot of the repository's files, and its place in the
// history (the parent it was made on, "" for a first commit).
class Commit {
 public:
  Commit(std::string id, std::string title, std::string date, std::vector<CommitFile> files,
         std::string parent = "", std::string author = "acme-bot");

  const std::string& id() const { return id_; }
  const std::string& title() const { return title_; }
  const std::string& parent() const { return parent_; }
  const std::string& author() const { return author_; }
  // ISO-8601 with milliseconds and "Z", as the Hub prints dates.
  const std::string& date() const { return date_; }
  // All files, sorted by path.
  const std::map<std::string, CommitFile>& files() const { return files_; }

  const CommitFile* FindFile(std::string_view path) const;
  // True for "" (the root) and every folder that holds a file.
  bool IsDirectory(std::string_view path) const;
  // The file or folder at `path`, if any.
  std::optional<TreeEntry> Lookup(std::string_view path) const;
  // Entries under folder `dir` ("" = root): direct children, or all
  // descendants when `recursive`. Folders first, then files, each by path.
  // Nullopt when `dir` is not a folder.
  std::optional<std::vector<TreeEntry>> List(std::string_view dir, bool recursive) const;

 private:
  std::string id_;
  std::string title_;
  std::string date_;
  std::string parent_;
  std::string author_;
  std::map<std::string, CommitFile> files_;
  std::map<std::string, std::string> directory_oids_;  // Folder path -> tree oid.
};

// Static metadata the repo-info endpoint reports.
struct RepoCard {
  std::string author;
  std::string created_at;
  std::vector<std::string> tags;
  std::string pipeline_tag;  // Models only; may be empty.
  std::string library_name;  // May be empty.
  int64_t downloads = 0;
  int64_t likes = 0;
  std::string sdk;           // Spaces only ("gradio", "static", ...).
};

// What a ref is: a branch (refs/heads/NAME), a tag (refs/tags/NAME), a
// pull request (refs/pr/N) or a convert (refs/convert/NAME).
enum class RefKind { kBranch, kTag, kPullRequest, kConvert };

// A repository with its refs and commits.
class Repo {
 public:
  Repo(RepoType type, std::string id, RepoCard card, bool gated);

  RepoType type() const { return type_; }
  const std::string& id() const { return id_; }
  // 24 hex, like the Hub's Mongo ids.
  const std::string& mongo_id() const { return mongo_id_; }
  const RepoCard& card() const { return card_; }
  bool gated() const { return gated_; }
  const std::string& default_branch() const { return default_branch_; }
  // Ref name ("main", "v1", "refs/pr/1") -> commit id.
  const std::map<std::string, std::string>& refs() const { return refs_; }
  const std::map<std::string, Commit>& commits() const { return commits_; }

  // Adds a commit and points `ref` at it. The first ref added is the default
  // branch. A ref named "refs/pr/N" is a pull request, "refs/convert/X" a
  // convert, any other a branch unless `tag`. Used only while building
  // fixtures.
  void AddCommit(const std::string& ref, Commit commit, bool tag = false);
  // Points another ref at a commit already added.
  void AddRef(const std::string& ref, const std::string& commit_id, bool tag = false);
  RefKind KindOf(const std::string& ref) const;
  // The commits reachable from `commit` by parents, newest first.
  std::vector<const Commit*> History(const Commit& commit) const;
  // Resolves a revision: a ref name, "HEAD" (the default branch) or a commit
  // id of this repository. Null when unknown.
  const Commit* Resolve(std::string_view revision) const;

 private:
  RepoType type_;
  std::string id_;
  std::string mongo_id_;
  RepoCard card_;
  bool gated_;
  std::string default_branch_;
  std::map<std::string, std::string> refs_;
  std::map<std::string, bool> tags_;  // ref names that are tags
  std::map<std::string, Commit> commits_;
};

// All repositories, plus an index of LFS blobs by sha256 for the CDN.
class Hub {
 public:
  void AddRepo(Repo repo);

  const Repo* FindRepo(RepoType type, std::string_view id) const;
  const std::vector<Repo>& repos() const { return repos_; }
  // The LFS blob with this sha256, or null.
  std::shared_ptr<const Blob> FindLfsBlob(std::string_view sha256) const;

 private:
  std::vector<Repo> repos_;
  std::map<std::string, std::shared_ptr<const Blob>, std::less<>> lfs_blobs_;
};

}  // namespace fakehub
