// A scripted Upstream for server unit tests: answers from in-memory tables,
// counts calls, and can be told to fail like an unreachable hub.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fetcher/upstream.h"

namespace hubmirror {

class FakeUpstream : public Upstream {
 public:
  // revision -> commit, for GetRevision.
  std::map<std::string, std::string> revisions;
  // commit -> repo-info JSON GetRevision answers (default: only id and sha).
  std::map<std::string, std::string> infos;
  // commit -> tree, for ListTree and PathsInfo.
  std::map<std::string, std::vector<EntryRecord>> trees;
  // path -> bytes, for Download.
  std::map<std::string, std::string> contents;
  // author -> repo ids, for ListRepos (both repo types).
  std::map<std::string, std::vector<std::string>> repos_by_author;
  // path and query -> page, for GetApiPage (absent: 404 RepoNotFound).
  std::map<std::string, ApiPage> pages;
  std::atomic<bool> unreachable{false};
  std::atomic<int> api_page_calls{0};
  std::atomic<int> revision_calls{0};
  std::atomic<int> tree_calls{0};
  std::atomic<int> paths_info_calls{0};
  std::atomic<int> download_calls{0};

  // Download delivers the first `bytes` bytes and then waits (at most 10 s)
  // until Release() is called.
  void HoldDownloadsAfter(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_after_ = bytes;
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }

  Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) override {
    ++revision_calls;
    if (unreachable) return Status::Unavailable("connection refused");
    auto it = revisions.find(revision);
    if (it == revisions.end()) {
      return Status::NotFound("Invalid rev id: " + revision)
          .WithHubError(HubError::kRevisionNotFound, 404);
    }
    if (auto info = infos.find(it->second); info != infos.end()) {
      return RevisionInfo{it->second, info->second};
    }
    return RevisionInfo{it->second, R"({"id":")" + repo.id + R"(","sha":")" + it->second + "\"}"};
  }

  Result<std::vector<EntryRecord>> ListTree(const RepoKey&, const std::string& commit) override {
    ++tree_calls;
    if (unreachable) return Status::Unavailable("connection refused");
    return trees[commit];
  }

  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey&, const std::string& commit,
                                             const std::vector<std::string>& paths,
                                             bool expand) override {
    ++paths_info_calls;
    if (unreachable) return Status::Unavailable("connection refused");
    std::vector<EntryRecord> out;
    for (const EntryRecord& e : trees[commit]) {
      for (const std::string& p : paths) {
        if (p == e.path) {
          out.push_back(e);
          if (expand) out.back().last_commit_json = R"({"id":")" + commit + R"(","title":"t","date":"2024-01-02T03:04:05.000Z"})";
        }
      }
    }
    return out;
  }

  Result<std::vector<std::string>> ListRepos(RepoType, const std::string& author) override {
    if (unreachable) return Status::Unavailable("connection refused");
    auto it = repos_by_author.find(author);
    if (it == repos_by_author.end()) return std::vector<std::string>{};
    return it->second;
  }

  Result<FileHead> HeadFile(const RepoKey&, const std::string&, const std::string&) override {
    return Status::Internal("not scripted");
  }

  Result<ApiPage> GetApiPage(const std::string& path_and_query) override {
    ++api_page_calls;
    if (unreachable) return Status::Unavailable("connection refused");
    auto it = pages.find(path_and_query);
    if (it == pages.end()) {
      return Status::NotFound("no page " + path_and_query).WithHubError(HubError::kRepoNotFound, 404);
    }
    return it->second;
  }

  Status Download(const RepoKey&, const std::string&, const std::string& path, uint64_t offset,
                  uint64_t, const ByteSink& sink) override {
    ++download_calls;
    if (unreachable) return Status::Unavailable("connection refused");
    const std::string& bytes = contents[path];
    for (size_t pos = offset; pos < bytes.size(); ++pos) {
      HM_RETURN_IF_ERROR(sink(bytes.data() + pos, 1));
      std::unique_lock<std::mutex> lock(mu_);
      if (held_ && pos + 1 >= hold_after_) {
        cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !held_; });
      }
    }
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t hold_after_ = 0;
  bool held_ = false;
};

}  // namespace hubmirror
