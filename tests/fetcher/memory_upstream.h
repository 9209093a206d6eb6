// MemoryUpstream: an in-memory Upstream for sync tests. Repos are built with
// AddFile()/SetRef(); it counts calls, tracks how many downloads run at once,
// and can corrupt or fail chosen files, or hold downloads until released.
//
// Thread-safe: Download() is called from many sync workers at once.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fetcher/upstream.h"
#include "store/hash.h"

namespace hubmirror {
namespace testing_sync {

class MemoryUpstream : public Upstream {
 public:
  // Adds a file to `commit` (regular unless `lfs`), with its directories.
  void AddFile(const std::string& commit, const std::string& path, const std::string& bytes,
               bool lfs = false) {
    std::lock_guard<std::mutex> lock(mu_);
    EntryRecord e;
    e.path = path;
    e.size = bytes.size();
    e.oid = GitBlobSha1Hex(bytes);
    e.is_lfs = lfs;
    if (lfs) {
      e.lfs_sha256 = Sha256Hex(bytes);
      e.lfs_pointer_size = 130;
    }
    std::vector<EntryRecord>& tree = trees_[commit];
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string dir = path.substr(0, slash);
      bool known = std::any_of(tree.begin(), tree.end(),
                               [&](const EntryRecord& x) { return x.path == dir; });
      if (!known) {
        EntryRecord d;
        d.path = dir;
        d.is_directory = true;
        d.oid = std::string(40, 'd');
        tree.push_back(d);
      }
    }
    tree.push_back(e);
    contents_[commit + "/" + path] = bytes;
  }
  void SetRef(const std::string& revision, const std::string& commit) {
    std::lock_guard<std::mutex> lock(mu_);
    refs_[revision] = commit;
  }
  // Download of `path` (any commit) delivers these bytes instead.
  void Corrupt(const std::string& path, const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    corrupt_[path] = bytes;
  }
  // Download of `path` fails with Unavailable after half its bytes.
  void FailDownloadOf(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_.insert(path);
  }
  void HealAll() {
    std::lock_guard<std::mutex> lock(mu_);
    failing_.clear();
    corrupt_.clear();
  }
  // Downloads wait (at most 10 s) before their first byte until Release().
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // Waits (at most 10 s) until `n` downloads are running at once.
  bool WaitForRunning(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return running_ >= n; });
  }
  void SetRepos(RepoType type, const std::string& author, std::vector<std::string> ids) {
    std::lock_guard<std::mutex> lock(mu_);
    repos_[{type, author}] = std::move(ids);
  }

  std::atomic<int> revision_calls{0};
  std::atomic<int> tree_calls{0};
  std::atomic<int> download_calls{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<int> max_running{0};

  Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) override {
    ++revision_calls;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = refs_.find(revision);
    if (it == refs_.end()) {
      return Status::NotFound("Invalid rev id: " + revision)
          .WithHubError(HubError::kRevisionNotFound, 404);
    }
    return RevisionInfo{it->second, R"({"id":")" + repo.id + R"(","sha":")" + it->second + "\"}"};
  }

  Result<std::vector<EntryRecord>> ListTree(const RepoKey&, const std::string& commit) override {
    ++tree_calls;
    std::lock_guard<std::mutex> lock(mu_);
    return trees_[commit];
  }

  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey&, const std::string&,
                                             const std::vector<std::string>&, bool) override {
    return Status::Internal("PathsInfo is not used by sync");
  }

  Result<FileHead> HeadFile(const RepoKey&, const std::string&, const std::string&) override {
    return Status::Internal("HeadFile is not used by sync");
  }

  Result<std::vector<std::string>> ListRepos(RepoType type, const std::string& author) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repos_.find({type, author});
    if (it == repos_.end()) return std::vector<std::string>{};
    return it->second;
  }

  Status Download(const RepoKey&, const std::string& commit, const std::string& path,
                  uint64_t offset, uint64_t expected_size, const ByteSink& sink) override {
    ++download_calls;
    std::string bytes;
    bool fail = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++running_;
      max_running = std::max(max_running.load(), running_);
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !held_; });
      bytes = corrupt_.count(path) ? corrupt_[path] : contents_[commit + "/" + path];
      fail = failing_.count(path) > 0;
    }
    Status status;
    size_t end = fail ? bytes.size() / 2 : bytes.size();
    for (size_t pos = offset; pos < end && status.ok(); pos += kChunk) {
      size_t n = std::min(kChunk, end - pos);
      status = sink(bytes.data() + pos, n);
      bytes_sent += n;
    }
    if (status.ok() && fail) status = Status::Unavailable("connection reset");
    if (status.ok() && bytes.size() != expected_size) status = Status::DataLoss("size mismatch");
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    return status;
  }

 private:
  static constexpr size_t kChunk = 4096;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> refs_;
  std::map<std::string, std::vector<EntryRecord>> trees_;
  std::map<std::string, std::string> contents_;  // "commit/path" -> bytes
  std::map<std::string, std::string> corrupt_;
  std::set<std::string> failing_;
  std::map<std::pair<RepoType, std::string>, std::vector<std::string>> repos_;
  bool held_ = false;
  int running_ = 0;
};

}  // namespace testing_sync
}  // namespace hubmirror
