#include "tests/fakehub/extra_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "tests/fakehub/digest.h"

namespace fakehub {
namespace {

// A local file read with pread; the descriptor lives as long as the blob.
class FileBytes : public BlobBytes {
 public:
  FileBytes(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FileBytes() override { ::close(fd_); }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  uint64_t size() const override { return size_; }
  size_t Read(uint64_t offset, char* buf, size_t n) const override {
    while (true) {
      ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return 0;
    }
  }

 private:
  const int fd_;
  const uint64_t size_;
};

std::optional<std::string> OpenHashed(const ExtraFile& file, std::shared_ptr<const Blob>* blob) {
  int fd = ::open(file.local_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + file.local_file + ": " + std::strerror(errno);
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return file.local_file + " is not a regular file";
  }
  auto bytes = std::make_shared<FileBytes>(fd, static_cast<uint64_t>(st.st_size));
  std::optional<FileDigests> digests = DigestContent(*bytes);
  if (!digests) return "cannot read " + file.local_file;
  *blob = MakeBlobWithDigests(std::move(bytes), std::move(digests->sha256),
                              std::move(digests->git_sha1));
  return std::nullopt;
}

}  // namespace

std::optional<ExtraFile> ParseExtraFile(const std::string& spec) {
  size_t first = spec.find(':');
  if (first == std::string::npos) return std::nullopt;
  size_t second = spec.find(':', first + 1);
  if (second == std::string::npos) return std::nullopt;
  ExtraFile file{spec.substr(0, first), spec.substr(first + 1, second - first - 1),
                 spec.substr(second + 1)};
  if (file.repo_id.find('/') == std::string::npos || file.path_in_repo.empty() ||
      file.local_file.empty() || file.path_in_repo.front() == '/') {
    return std::nullopt;
  }
  return file;
}

std::optional<std::string> AddExtraFiles(const std::vector<ExtraFile>& files, Hub* hub) {
  std::map<std::string, std::vector<CommitFile>> by_repo;  // repo id -> files, in flag order
  std::set<std::string> seen;
  for (const ExtraFile& file : files) {
    if (hub->FindRepo(RepoType::kModel, file.repo_id) != nullptr) {
      return "--extra-file: repo " + file.repo_id + " already exists";
    }
    if (!seen.insert(file.repo_id + "\n" + file.path_in_repo).second) {
      return "--extra-file: " + file.path_in_repo + " given twice for " + file.repo_id;
    }
    std::shared_ptr<const Blob> blob;
    if (std::optional<std::string> error = OpenHashed(file, &blob)) return error;
    by_repo[file.repo_id].push_back(CommitFile{file.path_in_repo, std::move(blob), /*lfs=*/true});
  }
  for (auto& [repo_id, commit_files] : by_repo) {
    const std::string author = repo_id.substr(0, repo_id.find('/'));
    Repo repo(RepoType::kModel, repo_id,
              RepoCard{author, "2024-06-01T00:00:00.000Z", {}, "", "", 0, 0}, /*gated=*/false);
    repo.AddCommit("main", Commit(Sha1Hex("commit:extra " + repo_id), "Extra files",
                                  "2024-06-01T00:00:00.000Z", std::move(commit_files)));
    hub->AddRepo(std::move(repo));
  }
  return std::nullopt;
}

}  // namespace fakehub
