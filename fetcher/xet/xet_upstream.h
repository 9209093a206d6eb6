// XetUpstream: an Upstream whose downloads go over Xet when the upstream
// offers a file that way (its resolve HEAD carries X-Xet-Hash and a
// xet-auth link), so that only the chunks the store lacks cross the wire
// (XetDownloader). Everything else, and every download the Xet path cannot
// finish, goes to the wrapped upstream over plain HTTP: from the first byte
// the Xet path did not deliver.
//
// A file whose Xet transfer failed verification is fetched over HTTP from
// then on (in this process), so a persistently bad CAS costs one failure.
//
// Thread-safe; `inner`, `store` and `stats` must outlive it.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fetcher/upstream.h"
#include "fetcher/xet/xet_downloader.h"
#include "fetcher/xet/xet_pull_stats.h"
#include "store/chunked_object_store.h"

namespace hubmirror {

class XetUpstream : public Upstream {
 public:
  // `options`: the configured upstreams, whose tokens go to their own
  // origins only (a read token URL on another host gets none). Each fallback
  // to HTTP is reported on `log` (one line) unless it is null.
  XetUpstream(Upstream* inner, std::vector<UpstreamOptions> options, ChunkedObjectStore* store,
              XetPullStats* stats, FILE* log = nullptr);

  Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) override {
    return inner_->GetRevision(repo, revision);
  }
  Result<std::vector<EntryRecord>> ListTree(const RepoKey& repo, const std::string& commit) override {
    return inner_->ListTree(repo, commit);
  }
  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey& repo, const std::string& commit,
                                             const std::vector<std::string>& paths,
                                             bool expand) override {
    return inner_->PathsInfo(repo, commit, paths, expand);
  }
  Result<FileHead> HeadFile(const RepoKey& repo, const std::string& commit,
                            const std::string& path) override {
    return inner_->HeadFile(repo, commit, path);
  }
  Status Download(const RepoKey& repo, const std::string& commit, const std::string& path,
                  uint64_t offset, uint64_t expected_size, const ByteSink& sink) override;
  Result<std::vector<std::string>> ListRepos(RepoType type, const std::string& author) override {
    return inner_->ListRepos(type, author);
  }
  Result<ApiPage> GetApiPage(const std::string& path_and_query) override {
    return inner_->GetApiPage(path_and_query);
  }

 private:
  // The downloader whose options fit `token_url`'s origin.
  XetDownloader* DownloaderFor(const std::string& token_url);
  bool KnownBad(const std::string& xet_hash);
  void MarkBad(const std::string& xet_hash);

  Upstream* inner_;
  std::vector<UpstreamOptions> options_;
  std::vector<std::unique_ptr<XetDownloader>> downloaders_;  // one per options_, then a tokenless one
  XetPullStats* stats_;
  FILE* log_;
  std::mutex mu_;
  std::set<std::string> bad_;  // guarded by mu_
};

}  // namespace hubmirror
