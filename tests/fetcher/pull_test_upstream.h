// Helpers of the pull tests (hf_cache_layout, verified_download,
// repo_puller): a scripted in-memory hub and a per-test temp dir.
//
// ScriptedHub is thread-safe: RepoPuller calls Download() from several
// workers at once.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fetcher/upstream.h"
#include "store/hash.h"

#define PULL_ASSERT_OK(expr)                     \
  do {                                           \
    const ::hubmirror::Status& hm_s_ = (expr);   \
    ASSERT_TRUE(hm_s_.ok()) << hm_s_.ToString(); \
  } while (0)

namespace hubmirror {
namespace testing_pull {

inline const std::string kCommitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline const std::string kCommitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

inline EntryRecord FileEntry(const std::string& path, const std::string& bytes, bool lfs) {
  EntryRecord e;
  e.path = path;
  e.size = bytes.size();
  e.oid = GitBlobSha1Hex(bytes);
  e.is_lfs = lfs;
  if (lfs) {
    e.lfs_sha256 = Sha256Hex(bytes);
    e.lfs_pointer_size = 134;
  }
  return e;
}

inline std::string Bytes(const std::string& seed, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed[i % seed.size()] + i % 7);
  return s;
}

class ScriptedHub : public Upstream {
 public:
  // Adds a file to `commit`; `served` (when given) is what Download sends
  // instead of the real bytes, to play a corrupt hub.
  void AddFile(const std::string& commit, const std::string& path, const std::string& bytes,
               bool lfs, const std::string* served = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    trees_[commit].push_back(FileEntry(path, bytes, lfs));
    contents_[commit + "/" + path] = served != nullptr ? *served : bytes;
  }
  void AddRawEntry(const std::string& commit, EntryRecord entry) {
    std::lock_guard<std::mutex> lock(mu_);
    trees_[commit].push_back(std::move(entry));
  }
  void SetRef(const std::string& revision, const std::string& commit) {
    std::lock_guard<std::mutex> lock(mu_);
    refs_[revision] = commit;
  }
  // Download of `path` fails (Unavailable) after delivering `bytes` bytes.
  void FailAfter(const std::string& path, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_after_[path] = bytes;
  }
  // (path, offset) of every Download call, in order.
  std::vector<std::pair<std::string, uint64_t>> downloads() {
    std::lock_guard<std::mutex> lock(mu_);
    return downloads_;
  }

  Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (repo.id != "org/name") {
      return Status::NotFound("Repository not found").WithHubError(HubError::kRepoNotFound, 404);
    }
    std::string commit = revision;
    if (auto it = refs_.find(revision); it != refs_.end()) commit = it->second;
    if (trees_.count(commit) == 0) {
      return Status::NotFound("Invalid rev id: " + revision)
          .WithHubError(HubError::kRevisionNotFound, 404);
    }
    return RevisionInfo{commit, R"({"id":"org/name","sha":")" + commit + "\"}"};
  }

  Result<std::vector<EntryRecord>> ListTree(const RepoKey&, const std::string& commit) override {
    std::lock_guard<std::mutex> lock(mu_);
    return trees_[commit];
  }

  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey&, const std::string&,
                                             const std::vector<std::string>&, bool) override {
    return Status::Internal("not scripted");
  }

  Result<FileHead> HeadFile(const RepoKey&, const std::string&, const std::string&) override {
    return Status::Internal("not scripted");
  }

  Status Download(const RepoKey&, const std::string& commit, const std::string& path,
                  uint64_t offset, uint64_t expected_size, const ByteSink& sink) override {
    std::string bytes;
    size_t fail_after = SIZE_MAX;
    {
      std::lock_guard<std::mutex> lock(mu_);
      downloads_.emplace_back(path, offset);
      auto it = contents_.find(commit + "/" + path);
      if (it == contents_.end()) {
        return Status::NotFound("Entry not found").WithHubError(HubError::kEntryNotFound, 404);
      }
      bytes = it->second;
      if (auto f = fail_after_.find(path); f != fail_after_.end()) {
        fail_after = f->second;
        fail_after_.erase(f);  // fails once
      }
    }
    if (offset > bytes.size()) return Status::InvalidArgument("offset past the end");
    size_t end = std::min<size_t>(bytes.size(), expected_size);
    for (size_t pos = offset; pos < end; pos += 1000) {
      if (pos >= fail_after) return Status::Unavailable("connection reset");
      size_t n = std::min<size_t>({1000, end - pos, fail_after - pos});
      HM_RETURN_IF_ERROR(sink(bytes.data() + pos, n));
    }
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<EntryRecord>> trees_;
  std::map<std::string, std::string> refs_;
  std::map<std::string, std::string> contents_;
  std::map<std::string, size_t> fail_after_;
  std::vector<std::pair<std::string, uint64_t>> downloads_;
};

// A fresh folder under /tmp per test, removed afterwards.
class PullTempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/hubmirror-pull-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static std::string ReadAll(const std::string& path) {
    std::string out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return out;
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
  }
  static void WriteAll(const std::string& path, const std::string& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr) << path;
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }

  std::string dir_;
};

}  // namespace testing_pull
}  // namespace hubmirror
