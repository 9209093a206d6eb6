#include "fetcher/verified_download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "fetcher/local_files.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

constexpr size_t kReadChunk = 1 << 20;

// The digest that identifies an entry: sha256 for LFS files, the git blob
// sha1 for regular ones.
class ContentVerifier {
 public:
  explicit ContentVerifier(const EntryRecord& entry)
      : entry_(entry),
        sha256_(entry.is_lfs ? std::make_unique<Sha256Hasher>() : nullptr),
        git_sha1_(entry.is_lfs ? nullptr : std::make_unique<GitBlobHasher>(entry.size)) {}

  void Update(const char* data, size_t n) {
    if (sha256_) sha256_->Update(data, n);
    if (git_sha1_) git_sha1_->Update(data, n);
    bytes_ += n;
  }

  // OK when the bytes seen have the entry's size and digest.
  Status Finish() {
    const char* kind = entry_.is_lfs ? "sha256" : "git blob sha1";
    const std::string& expected = entry_.is_lfs ? entry_.lfs_sha256 : entry_.oid;
    if (bytes_ != entry_.size) {
      return Status::DataLoss(entry_.path + ": got " + std::to_string(bytes_) +
                              " bytes, the hub lists " + std::to_string(entry_.size));
    }
    std::string actual = sha256_ ? sha256_->FinishHex() : git_sha1_->FinishHex();
    if (actual != expected) {
      return Status::DataLoss(entry_.path + ": the downloaded bytes have " + kind + " " + actual +
                              " but the hub lists " + expected);
    }
    return Status::Ok();
  }

 private:
  const EntryRecord& entry_;
  std::unique_ptr<Sha256Hasher> sha256_;
  std::unique_ptr<GitBlobHasher> git_sha1_;
  uint64_t bytes_ = 0;
};

Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Status::FromErrno(errno, "cannot write " + path);
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Feeds the first `size` bytes of `fd` to the verifier.
Status HashExisting(int fd, uint64_t size, const std::string& path, ContentVerifier* verifier) {
  std::vector<char> buf(kReadChunk);
  uint64_t offset = 0;
  while (offset < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - offset));
    ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "cannot read " + path);
    if (n == 0) return Status::DataLoss(path + " shrank while it was read");
    verifier->Update(buf.data(), static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// One pass: resume (or start) the partial, complete it, verify it, rename it.
// *resumed_bytes is set to the partial's size before the transfer.
Status DownloadOnce(Upstream* upstream, const RepoKey& repo, const std::string& commit,
                    const EntryRecord& entry, const std::string& partial_path,
                    const std::string& final_path, TransferProgress* progress,
                    uint64_t* resumed_bytes) {
  UniqueFd fd(open(partial_path.c_str(),
                   O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return Status::FromErrno(errno, "cannot open " + partial_path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "cannot inspect " + partial_path);
  uint64_t existing = static_cast<uint64_t>(st.st_size);
  if (existing > entry.size) {
    // Longer than the file can be: not a prefix of it.
    if (ftruncate(fd.get(), 0) != 0) {
      return Status::FromErrno(errno, "cannot truncate " + partial_path);
    }
    existing = 0;
  }
  *resumed_bytes = existing;

  ContentVerifier verifier(entry);
  HM_RETURN_IF_ERROR(HashExisting(fd.get(), existing, partial_path, &verifier));
  const int raw_fd = fd.get();
  HM_RETURN_IF_ERROR(upstream->Download(
      repo, commit, entry.path, existing, entry.size,
      [&](const char* data, size_t n) -> Status {
        HM_RETURN_IF_ERROR(WriteAll(raw_fd, data, n, partial_path));
        verifier.Update(data, n);
        progress->BytesTransferred(entry.path, n);
        return Status::Ok();
      }));

  if (Status verified = verifier.Finish(); !verified.ok()) {
    fd = UniqueFd();  // closed; the file is deleted either way
    HM_RETURN_IF_ERROR(RemoveFileIfPresent(partial_path));
    return verified;
  }
  if (fsync(fd.get()) != 0) return Status::FromErrno(errno, "cannot fsync " + partial_path);
  HM_RETURN_IF_ERROR(fd.Close(partial_path));
  if (rename(partial_path.c_str(), final_path.c_str()) != 0) {
    return Status::FromErrno(errno, "cannot rename " + partial_path + " to " + final_path);
  }
  return Status::Ok();
}

}  // namespace

Result<VerifiedDownloadOutcome> DownloadVerifiedFile(Upstream* upstream, const RepoKey& repo,
                                                     const std::string& commit,
                                                     const EntryRecord& entry,
                                                     const std::string& partial_path,
                                                     const std::string& final_path,
                                                     TransferProgress* progress) {
  VerifiedDownloadOutcome outcome;
  Status st = DownloadOnce(upstream, repo, commit, entry, partial_path, final_path, progress,
                           &outcome.resumed_bytes);
  if (st.ok()) return outcome;
  if (st.code() != StatusCode::kDataLoss || outcome.resumed_bytes == 0 ||
      IsRegularFile(partial_path)) {
    return st;
  }
  // The mismatch may come from the earlier bytes: they are gone now, so one
  // fresh download settles it.
  outcome.discarded_partial = true;
  uint64_t fresh_resumed = 0;
  st = DownloadOnce(upstream, repo, commit, entry, partial_path, final_path, progress,
                    &fresh_resumed);
  if (!st.ok()) return st;
  return outcome;
}

}  // namespace hubmirror
