#include "store/legacy/file_object_store.h"

#include <atomic>
#include <optional>
#include <string>
#include <utility>

#include "store/hash.h"
#include "store/temp_files.h"

namespace hubmirror {
namespace {

constexpr int kMaxTempNameAttempts = 8;

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

class FileObjectReader final : public ObjectReader {
 public:
  FileObjectReader(std::unique_ptr<RandomAccessFile> file, uint64_t size)
      : file_(std::move(file)), size_(size) {}

  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    if (offset >= size_) return size_t{0};
    if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
    return file_->ReadAt(offset, buf, n);
  }
  int fd() const override { return file_->fd(); }
  bool GetRawSpan(uint64_t offset, RawFileSpan* span) const override {
    if (offset >= size_ || file_->fd() < 0) return false;
    *span = RawFileSpan{file_->fd(), offset, size_ - offset};
    return true;
  }

 private:
  std::unique_ptr<RandomAccessFile> file_;
  const uint64_t size_;
};

class FileObjectStore;

class FileObjectWriter final : public ObjectWriter {
 public:
  FileObjectWriter(FileObjectStore* store, ObjectPromise promise, std::string temp_path,
                   std::unique_ptr<WritableFile> file);
  ~FileObjectWriter() override;
  FileObjectWriter(const FileObjectWriter&) = delete;
  FileObjectWriter& operator=(const FileObjectWriter&) = delete;

  Status Append(const char* data, size_t n) override;
  uint64_t bytes_written() const override { return bytes_written_.load(std::memory_order_acquire); }
  Result<size_t> ReadWritten(uint64_t offset, char* buf, size_t n) const override;
  Status Reset() override;
  Result<ObjectInfo> Verify() override;
  Result<ObjectInfo> Commit() override;
  const ObjectPromise& promise() const override { return promise_; }

 private:
  enum class State {
    kWriting,
    // An Append failed or overflowed the promise: Commit refuses, Reset recovers.
    kPoisoned,
    // The temp file is gone (failed verification or I/O during Commit).
    kAborted,
    kCommitted,
  };

  // Removes the temp file; the descriptor stays open so ReadWritten keeps
  // working for readers that are still streaming.
  void DropTempFile();
  Status Abort(Status why);

  FileObjectStore* const store_;
  const ObjectPromise promise_;
  const std::string temp_path_;
  // Never replaced after construction, so concurrent ReadWritten is safe.
  const std::unique_ptr<WritableFile> file_;
  std::unique_ptr<Sha256Hasher> sha256_;
  std::optional<ObjectInfo> verified_;  // what Verify() found
  std::unique_ptr<GitBlobHasher> git_sha1_;
  std::atomic<uint64_t> bytes_written_{0};
  State state_ = State::kWriting;
  bool temp_exists_ = true;
};

class FileObjectStore final : public ObjectStore {
 public:
  FileObjectStore(Env* env, std::string root)
      : env_(env),
        root_(std::move(root)),
        objects_dir_(root_ + "/objects/sha256"),
        tmp_dir_(root_ + "/tmp"),
        temp_prefix_(UniqueTempPrefix()) {}

  Status Init() {
    HM_RETURN_IF_ERROR(env_->CreateDirs(objects_dir_));
    return env_->CreateDirs(tmp_dir_);
  }

  bool Contains(const std::string& sha256) override {
    return ValidateObjectDigest(sha256).ok() && env_->FileExists(FileObjectPath(root_, sha256));
  }

  Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    auto file = env_->NewRandomAccessFile(FileObjectPath(root_, sha256));
    if (!file.ok()) {
      if (file.status().IsNotFound()) return Status::NotFound("object " + sha256 + " not stored");
      return std::move(file).status();
    }
    HM_ASSIGN_OR_RETURN(uint64_t size, file.value()->Size());
    return std::unique_ptr<ObjectReader>(new FileObjectReader(std::move(file).value(), size));
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) override {
    HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
    // O_EXCL makes a collision an error rather than a shared file; retry with
    // a fresh counter value in the (unlikely) event one happens.
    Status last;
    for (int attempt = 0; attempt < kMaxTempNameAttempts; ++attempt) {
      std::string path = NextTempPath();
      auto file = env_->NewWritableFile(path);
      if (file.ok()) {
        return std::unique_ptr<ObjectWriter>(
            new FileObjectWriter(this, promise, std::move(path), std::move(file).value()));
      }
      last = std::move(file).status();
      if (last.code() != StatusCode::kAlreadyExists) return last;
    }
    return last;
  }

  Status Remove(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    const std::string path = FileObjectPath(root_, sha256);
    Status removed = env_->RemoveFile(path);
    if (removed.IsNotFound()) return Status::NotFound("object " + sha256 + " not stored");
    HM_RETURN_IF_ERROR(removed);
    // Make the removal durable like a commit's rename.
    return env_->SyncDir(DirName(path));
  }

  Status CleanTemporaryFiles() override {
    HM_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(tmp_dir_));
    for (const std::string& name : names) {
      Status s = env_->RemoveFile(tmp_dir_ + "/" + name);
      if (!s.ok() && !s.IsNotFound()) return s;
    }
    return Status::Ok();
  }

  Env* env() const { return env_; }
  const std::string& root() const { return root_; }

 private:
  std::string NextTempPath() {
    uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    return tmp_dir_ + "/" + temp_prefix_ + "-" + std::to_string(n) + ".tmp";
  }

  Env* const env_;
  const std::string root_;
  const std::string objects_dir_;
  const std::string tmp_dir_;
  const std::string temp_prefix_;
  std::atomic<uint64_t> counter_{0};
};

FileObjectWriter::FileObjectWriter(FileObjectStore* store, ObjectPromise promise,
                                   std::string temp_path, std::unique_ptr<WritableFile> file)
    : store_(store),
      promise_(std::move(promise)),
      temp_path_(std::move(temp_path)),
      file_(std::move(file)),
      sha256_(std::make_unique<Sha256Hasher>()),
      git_sha1_(std::make_unique<GitBlobHasher>(promise_.size)) {}

FileObjectWriter::~FileObjectWriter() {
  (void)file_->Close();
  if (state_ != State::kCommitted) DropTempFile();
}

void FileObjectWriter::DropTempFile() {
  if (!temp_exists_) return;
  // Best effort: a leftover is collected by CleanTemporaryFiles at start-up.
  (void)store_->env()->RemoveFile(temp_path_);
  temp_exists_ = false;
}

Status FileObjectWriter::Abort(Status why) {
  DropTempFile();
  state_ = State::kAborted;
  return why;
}

Status FileObjectWriter::Append(const char* data, size_t n) {
  switch (state_) {
    case State::kWriting:
      break;
    case State::kPoisoned:
      return Status::FailedPrecondition("object writer failed earlier; Reset() first");
    case State::kAborted:
      return Status::FailedPrecondition("object writer was aborted");
    case State::kCommitted:
      return Status::FailedPrecondition("object writer already committed");
  }
  uint64_t written = bytes_written_.load(std::memory_order_relaxed);
  if (Status s = CheckAppendFitsPromise(promise_, written, n); !s.ok()) {
    state_ = State::kPoisoned;
    return s;
  }
  Status s = file_->Append(data, n);
  if (!s.ok()) {
    // Part of the chunk may be on disk but not hashed; only Reset can recover.
    state_ = State::kPoisoned;
    return s;
  }
  sha256_->Update(data, n);
  git_sha1_->Update(data, n);
  bytes_written_.store(written + n, std::memory_order_release);
  return Status::Ok();
}

Result<size_t> FileObjectWriter::ReadWritten(uint64_t offset, char* buf, size_t n) const {
  uint64_t written = bytes_written();
  if (offset >= written) return size_t{0};
  if (n > written - offset) n = static_cast<size_t>(written - offset);
  return file_->ReadAt(offset, buf, n);
}

Status FileObjectWriter::Reset() {
  if (state_ == State::kAborted || state_ == State::kCommitted) {
    return Status::FailedPrecondition("object writer is finished; cannot Reset()");
  }
  // Readers must not see stale bytes past the new end, so shrink the visible
  // size before the file.
  bytes_written_.store(0, std::memory_order_release);
  HM_RETURN_IF_ERROR(file_->Truncate(0));
  sha256_ = std::make_unique<Sha256Hasher>();
  git_sha1_ = std::make_unique<GitBlobHasher>(promise_.size);
  verified_.reset();
  state_ = State::kWriting;
  return Status::Ok();
}

Result<ObjectInfo> FileObjectWriter::Verify() {
  if (verified_) return *verified_;
  if (state_ == State::kPoisoned) {
    return Abort(Status::DataLoss("object writer failed earlier; nothing committed"));
  }
  if (state_ != State::kWriting) return Status::FailedPrecondition("object writer is finished");
  ObjectInfo info;
  info.size = bytes_written();
  info.sha256 = sha256_->FinishHex();
  info.git_sha1 = git_sha1_->FinishHex();
  if (Status s = VerifyAgainstPromise(promise_, info); !s.ok()) return Abort(std::move(s));
  verified_ = info;
  return info;
}

Result<ObjectInfo> FileObjectWriter::Commit() {
  switch (state_) {
    case State::kWriting:
      break;
    case State::kPoisoned:
      return Abort(Status::DataLoss("object writer failed earlier; nothing committed"));
    case State::kAborted:
      return Status::FailedPrecondition("object writer was aborted");
    case State::kCommitted:
      return Status::FailedPrecondition("object writer already committed");
  }
  HM_ASSIGN_OR_RETURN(ObjectInfo info, Verify());

  Env* env = store_->env();
  const std::string final_path = FileObjectPath(store_->root(), info.sha256);
  const std::string dir = DirName(final_path);
  if (env->FileExists(final_path)) {
    // Same digest, same bytes: the copy already stored wins.
    DropTempFile();
    state_ = State::kCommitted;
    return info;
  }
  if (Status s = file_->Sync(); !s.ok()) return Abort(std::move(s));
  if (!env->FileExists(dir)) {
    if (Status s = env->CreateDirs(dir); !s.ok()) return Abort(std::move(s));
    // The new fan-out directory itself must survive a crash.
    if (Status s = env->SyncDir(DirName(dir)); !s.ok()) return Abort(std::move(s));
  }
  if (Status s = env->RenameFile(temp_path_, final_path); !s.ok()) return Abort(std::move(s));
  temp_exists_ = false;
  state_ = State::kCommitted;
  // The object is visible now; a failed directory sync only means the rename
  // might not survive a power loss. Report it so the caller does not record
  // the object as durable; a retry finds the file and succeeds.
  HM_RETURN_IF_ERROR(env->SyncDir(dir));
  return info;
}

}  // namespace

std::string FileObjectPath(const std::string& root, const std::string& sha256) {
  return root + "/objects/sha256/" + sha256.substr(0, 2) + "/" + sha256;
}

Result<std::unique_ptr<ObjectStore>> NewFileObjectStore(Env* env, const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("object store root is empty");
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto store = std::make_unique<FileObjectStore>(env, std::move(trimmed));
  HM_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace hubmirror
