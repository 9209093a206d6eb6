#include "store/chunked_object_store.h"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/chunk_pack.h"
#include "store/chunker.h"
#include "store/file_object_store.h"
#include "store/hash.h"
#include "store/temp_files.h"
#include "store/zstd_context.h"

namespace hubmirror {
namespace {

constexpr int kZstdLevel = 1;
// New chunks go to the pack in writes of this size: large writes give the
// page cache large folios, which makes warm reads of the pack ~2x faster than
// after one write per 64 KiB chunk.
constexpr size_t kPackWriteBytes = 4 << 20;
// Compress a chunk only when that saves at least 1/4 of it. Every read of a
// compressed chunk pays a decompression (~1 GB/s per core) instead of a plain
// pread (page cache: >10 GB/s), so a 10-20% saving (BF16 weights) is not
// worth it; text, JSON and jsonl datasets save 60-90% and always qualify.
constexpr size_t kMinCompressionSavingDivisor = 4;
// Catalog commits a writer tries before it gives up (see Commit()).
constexpr int kCommitAttempts = 3;

Status ValidateDigest(const std::string& sha256) {
  if (!IsLowerHex(sha256, 64)) {
    return Status::InvalidArgument("not a sha256 digest (64 lower-case hex): '" +
                                   sha256.substr(0, 80) + "'");
  }
  return Status::Ok();
}

Status ValidatePromise(const ObjectPromise& promise) {
  if (promise.sha256.empty() && promise.git_sha1.empty()) {
    return Status::InvalidArgument("object promise names neither a sha256 nor a git sha1");
  }
  if (!promise.sha256.empty()) HM_RETURN_IF_ERROR(ValidateDigest(promise.sha256));
  if (!promise.git_sha1.empty() && !IsLowerHex(promise.git_sha1, 40)) {
    return Status::InvalidArgument("not a git sha1 (40 lower-case hex): '" +
                                   promise.git_sha1.substr(0, 80) + "'");
  }
  return Status::Ok();
}

struct FingerprintHash {
  size_t operator()(const ChunkFingerprint& fp) const { return static_cast<size_t>(fp.low); }
};

class ChunkedStore;

class ChunkedObjectWriter final : public ObjectWriter {
 public:
  // `resumable`: the temp file is a NewResumableWriter partial, kept when
  // the writer is abandoned mid-write (see Finish()).
  ChunkedObjectWriter(ChunkedStore* store, ObjectPromise promise, std::string temp_path,
                      std::unique_ptr<WritableFile> file, bool resumable = false);
  ~ChunkedObjectWriter() override;
  ChunkedObjectWriter(const ChunkedObjectWriter&) = delete;
  ChunkedObjectWriter& operator=(const ChunkedObjectWriter&) = delete;

  Status Append(const char* data, size_t n) override;
  uint64_t bytes_written() const override { return bytes_written_.load(std::memory_order_acquire); }
  Result<size_t> ReadWritten(uint64_t offset, char* buf, size_t n) const override;
  Status Reset() override;
  Result<ObjectInfo> Commit() override;
  const ObjectPromise& promise() const override { return promise_; }

  // Takes the bytes an earlier writer left in the temp file as if they had
  // been appended (hashed and chunked; a file longer than the promise is
  // emptied instead).
  Status ResumeFromFile(uint64_t existing_size);

 private:
  enum class State { kWriting, kPoisoned, kAborted, kCommitted };

  // Hashes and chunks bytes that are already in the temp file.
  Status Ingest(const char* data, size_t n);
  // Cuts every complete chunk out of the buffer (all of it when at_end).
  Status CutChunks(bool at_end);
  // Adds bytes to the chunking buffer, cutting the chunks it completes.
  Status Chunk(const char* data, size_t n);
  // Forgets every chunk and chunks the temp file again (before a commit
  // retry); the bytes this writer appended to its pack are cut off.
  Status Rechunk();
  Status AddChunk(const char* data, size_t n);
  // True when the chunk at `loc` (in `pack`) holds exactly data[0, n).
  Result<bool> SameBytes(const RandomAccessFile& pack, const ChunkLocation& loc, const char* data,
                         size_t n);
  Status StoreNewChunk(const ChunkFingerprint& fp, const char* data, size_t n);
  Status FlushPack();
  void ClearChunks();
  // Drops the temp file and gives the pack back; unless committed, first cuts
  // off the chunks this writer appended (nobody else references them).
  void Finish();
  Status Abort(Status why);

  ChunkedStore* const store_;
  const ObjectPromise promise_;
  const std::string temp_path_;
  // Never replaced after construction, so concurrent ReadWritten is safe.
  const std::unique_ptr<WritableFile> file_;
  std::unique_ptr<Sha256Hasher> sha256_;
  std::unique_ptr<GitBlobHasher> git_sha1_;  // only when the promise names one
  std::atomic<uint64_t> bytes_written_{0};
  State state_ = State::kWriting;
  bool temp_exists_ = true;
  const bool resumable_;

  // Chunking buffer: bytes [buf_start_, buf_end_) are not chunked yet.
  std::unique_ptr<char[]> buf_;
  size_t buf_start_ = 0;
  size_t buf_end_ = 0;

  std::unique_ptr<PackAppender> pack_;
  uint64_t pack_start_ = 0;  // pack size when this writer got it
  // Chunk bytes not yet written to the pack; pack_->size counts them.
  std::string pack_buf_;
  std::vector<NewChunk> fresh_;  // chunks this writer appended
  std::unordered_multimap<ChunkFingerprint, size_t, FingerprintHash> fresh_by_fp_;
  std::vector<ChunkRef> refs_;
  ZstdCompressContext cctx_;
  ZstdDecompressContext dctx_;
  std::string scratch_, compare_, compressed_;
};

class ChunkedStore final : public ChunkedObjectStore {
 public:
  ChunkedStore(Env* env, std::string root, ChunkedStoreOptions options)
      : env_(env),
        root_(std::move(root)),
        tmp_dir_(root_ + "/tmp"),
        options_(std::move(options)),
        temp_prefix_(RandomPrefix()) {}

  Status Init() {
    HM_RETURN_IF_ERROR(env_->CreateDirs(root_ + "/chunks/packs"));
    HM_RETURN_IF_ERROR(env_->CreateDirs(tmp_dir_));
    HM_ASSIGN_OR_RETURN(catalog_, ChunkCatalog::Open(root_ + "/chunks/catalog.sqlite"));
    HM_ASSIGN_OR_RETURN(int64_t max_pack, catalog_->MaxPackId());
    packs_ = std::make_unique<PackSet>(env_, root_ + "/chunks/packs", max_pack + 1,
                                       options_.pack_target_bytes);
    if (env_->FileExists(root_ + "/objects/sha256")) {
      HM_ASSIGN_OR_RETURN(legacy_, NewFileObjectStore(env_, root_));
    }
    return Status::Ok();
  }

  bool Contains(const std::string& sha256) override {
    if (!ValidateDigest(sha256).ok()) return false;
    auto row = catalog_->GetObject(sha256);
    if (row.ok() && row->has_value()) return true;
    return legacy_ && legacy_->Contains(sha256);
  }

  Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateDigest(sha256));
    HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetObject(sha256));
    if (!row) {
      if (legacy_) return legacy_->Open(sha256);
      return Status::NotFound("object " + sha256 + " not stored");
    }
    // Compaction may move the chunks between the lookup and the opening of
    // their packs: look again (bounded) when a pack has just gone.
    for (int attempt = 0;; ++attempt) {
      HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> chunks, catalog_->ObjectChunks(sha256));
      auto reader = NewChunkedObjectReader(packs_.get(), chunks, row->size);
      if (reader.ok() || !reader.status().IsNotFound() || attempt == 3) return reader;
    }
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) override {
    HM_RETURN_IF_ERROR(ValidatePromise(promise));
    Status last;
    for (int attempt = 0; attempt < 8; ++attempt) {
      uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
      std::string path = tmp_dir_ + "/" + temp_prefix_ + "-" + std::to_string(n) + ".tmp";
      auto file = env_->NewWritableFile(path);
      if (file.ok()) {
        // Fresh and exclusively created: nobody else can hold the lock; it
        // only tells cleaners (CleanTempDir) that the file is in use.
        (void)TryLockTempFile((*file)->fd());
        return std::unique_ptr<ObjectWriter>(
            new ChunkedObjectWriter(this, promise, std::move(path), std::move(file).value()));
      }
      last = std::move(file).status();
      if (last.code() != StatusCode::kAlreadyExists) return last;
    }
    return last;
  }

  Result<std::unique_ptr<ObjectWriter>> NewResumableWriter(const ObjectPromise& promise) override {
    HM_RETURN_IF_ERROR(ValidatePromise(promise));
    const std::string path = tmp_dir_ + "/" + PartialFileName(promise);
    Result<std::unique_ptr<WritableFile>> file = env_->OpenAppendableFile(path);
    if (!file.ok()) {
      if (file.status().code() == StatusCode::kFailedPrecondition) return NewWriter(promise);
      return std::move(file).status();
    }
    // Locked: another writer continues this object now (two files of one
    // revision with the same bytes, or a second sync). Unlinked between our
    // open and our lock: a cleaner judged it stale. Either way, start afresh.
    if (!TryLockTempFile((*file)->fd()) || !SameFile(path, (*file)->fd())) {
      return NewWriter(promise);
    }
    HM_ASSIGN_OR_RETURN(uint64_t existing, env_->FileSize(path));
    auto writer = std::make_unique<ChunkedObjectWriter>(this, promise, path,
                                                        std::move(file).value(),
                                                        /*resumable=*/true);
    HM_RETURN_IF_ERROR(writer->ResumeFromFile(existing));
    return std::unique_ptr<ObjectWriter>(std::move(writer));
  }

  Status Remove(const std::string& sha256) override {
    return RemoveReportingFreed(sha256).status();
  }

  Result<uint64_t> RemoveReportingFreed(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateDigest(sha256));
    auto orphans = catalog_->RemoveObject(sha256);
    if (orphans.status().IsNotFound() && legacy_) {
      HM_RETURN_IF_ERROR(legacy_->Remove(sha256));
      return uint64_t{0};
    }
    HM_RETURN_IF_ERROR(orphans.status());
    uint64_t freed = 0;
    std::map<int64_t, std::vector<ChunkLocation>> by_pack;
    for (const ChunkLocation& c : *orphans) {
      freed += c.stored_size;
      by_pack[c.pack].push_back(c);
    }
    for (auto& [pack, garbage] : by_pack) packs_->ReclaimTail(pack, std::move(garbage));
    return freed;
  }

  Status CleanTemporaryFiles() override {
    return CleanTempDir(env_, tmp_dir_, env_->NowMicros());
  }

  Result<ObjectFootprint> Footprint(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateDigest(sha256));
    HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetObject(sha256));
    ObjectFootprint out;
    if (!row) {
      if (!legacy_ || !legacy_->Contains(sha256)) {
        return Status::NotFound("object " + sha256 + " not stored");
      }
      HM_ASSIGN_OR_RETURN(out.size, env_->FileSize(FileObjectPath(root_, sha256)));
      out.legacy_file = true;
      return out;
    }
    out.size = row->size;
    HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> chunks, catalog_->ObjectChunks(sha256));
    for (const ChunkLocation& c : chunks) out.chunks.emplace_back(c.id, c.stored_size);
    return out;
  }

  Result<std::vector<std::string>> ListLegacyObjects() override {
    std::vector<std::string> out;
    if (!legacy_) return out;
    const std::string dir = root_ + "/objects/sha256";
    HM_ASSIGN_OR_RETURN(std::vector<std::string> fans, env_->ListDir(dir));
    for (const std::string& fan : fans) {
      auto names = env_->ListDir(dir + "/" + fan);
      if (!names.ok()) continue;
      for (const std::string& name : *names) {
        if (IsLowerHex(name, 64)) out.push_back(name);
      }
    }
    return out;
  }

  Status RemoveLegacyFile(const std::string& sha256) override {
    if (!legacy_) return Status::NotFound("store has no legacy objects");
    return legacy_->Remove(sha256);
  }

  Result<std::vector<ChunkedObjectRow>> ListChunkedObjects() override {
    return catalog_->ListObjects();
  }

  Result<uint64_t> LiveStoredBytes() override {
    HM_ASSIGN_OR_RETURN(auto totals, catalog_->Totals());
    return totals.second;
  }

  Result<CompactionReport> CompactPacks(double min_dead_fraction) override {
    return hubmirror::CompactPacks(env_, packs_.get(), catalog_.get(), min_dead_fraction);
  }

  void DropIdleReadHandles() override { packs_->DropIdleReadHandles(); }

  Result<std::vector<PackTail>> UnreferencedPackTails(bool trim) override {
    return ScanPackTails(env_, packs_.get(), catalog_.get(), trim);
  }

  Env* env() const { return env_; }
  ChunkCatalog* catalog() const { return catalog_.get(); }
  PackSet* packs() const { return packs_.get(); }
  ChunkFingerprint Fingerprint(const char* data, size_t n) const {
    if (options_.fingerprint_for_test) return options_.fingerprint_for_test(data, n);
    XXH128_hash_t h = XXH3_128bits(data, n);
    return ChunkFingerprint{h.high64, h.low64};
  }

 private:
  static std::string RandomPrefix() {
    std::random_device rd;
    uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%016" PRIx64 "-%ld", r, static_cast<long>(::getpid()));
    return buf;
  }

  Env* const env_;
  const std::string root_;
  const std::string tmp_dir_;
  const ChunkedStoreOptions options_;
  const std::string temp_prefix_;
  std::atomic<uint64_t> counter_{0};
  std::unique_ptr<ChunkCatalog> catalog_;
  std::unique_ptr<PackSet> packs_;
  std::unique_ptr<ObjectStore> legacy_;  // null when there is no objects/ dir
};

ChunkedObjectWriter::ChunkedObjectWriter(ChunkedStore* store, ObjectPromise promise,
                                         std::string temp_path, std::unique_ptr<WritableFile> file,
                                         bool resumable)
    : store_(store),
      promise_(std::move(promise)),
      temp_path_(std::move(temp_path)),
      file_(std::move(file)),
      sha256_(std::make_unique<Sha256Hasher>()),
      resumable_(resumable),
      buf_(new char[2 * kChunkMaxSize]),
      cctx_(ZSTD_createCCtx()),
      dctx_(ZSTD_createDCtx()) {
  if (!promise_.git_sha1.empty() || promise_.sha256.empty()) {
    git_sha1_ = std::make_unique<GitBlobHasher>(promise_.size);
  }
}

ChunkedObjectWriter::~ChunkedObjectWriter() {
  (void)file_->Close();
  Finish();
}

void ChunkedObjectWriter::Finish() {
  // An abandoned resumable writer (a failed or cancelled transfer) leaves its
  // bytes for the next one; they were appended in order and are verified
  // again, with the rest, by that writer's Commit().
  const bool keep = resumable_ && state_ == State::kWriting && bytes_written() > 0;
  if (temp_exists_ && !keep) {
    // Best effort: a leftover is collected by CleanTemporaryFiles at start-up.
    (void)store_->env()->RemoveFile(temp_path_);
    temp_exists_ = false;
  }
  pack_buf_.clear();
  if (state_ != State::kCommitted) store_->packs()->Rewind(&pack_, pack_start_);
  store_->packs()->Release(std::move(pack_));
}

Status ChunkedObjectWriter::Abort(Status why) {
  state_ = State::kAborted;
  Finish();
  ClearChunks();
  return why;
}

void ChunkedObjectWriter::ClearChunks() {
  buf_start_ = buf_end_ = 0;
  fresh_.clear();
  fresh_by_fp_.clear();
  refs_.clear();
}

Status ChunkedObjectWriter::Append(const char* data, size_t n) {
  if (state_ != State::kWriting) {
    return Status::FailedPrecondition(state_ == State::kPoisoned
                                          ? "object writer failed earlier; Reset() first"
                                          : "object writer is finished");
  }
  uint64_t written = bytes_written_.load(std::memory_order_relaxed);
  if (n > promise_.size - written) {
    state_ = State::kPoisoned;
    return Status::DataLoss("object is larger than promised: expected " +
                            std::to_string(promise_.size) + " bytes, got at least " +
                            std::to_string(written + n));
  }
  if (Status s = file_->Append(data, n); !s.ok()) {
    state_ = State::kPoisoned;
    return s;
  }
  if (Status s = Ingest(data, n); !s.ok()) {
    state_ = State::kPoisoned;
    return s;
  }
  bytes_written_.store(written + n, std::memory_order_release);
  return Status::Ok();
}

Status ChunkedObjectWriter::ResumeFromFile(uint64_t existing_size) {
  if (existing_size > promise_.size) {
    // Longer than the object can be: not a prefix of it.
    HM_RETURN_IF_ERROR(file_->Truncate(0));
    return Status::Ok();
  }
  std::vector<char> buf(1 << 20);
  for (uint64_t offset = 0; offset < existing_size;) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(buf.size(), existing_size - offset));
    Result<size_t> got = file_->ReadAt(offset, buf.data(), want);
    if (!got.ok() || *got == 0) {
      state_ = State::kPoisoned;  // removed on destruction: start afresh next time
      return got.ok() ? Status::DataLoss(temp_path_ + " shrank while it was read")
                      : std::move(got).status();
    }
    if (Status s = Ingest(buf.data(), *got); !s.ok()) {
      state_ = State::kPoisoned;
      return s;
    }
    offset += *got;
    bytes_written_.store(offset, std::memory_order_release);
  }
  return Status::Ok();
}

Status ChunkedObjectWriter::Ingest(const char* data, size_t n) {
  sha256_->Update(data, n);
  if (git_sha1_) git_sha1_->Update(data, n);
  return Chunk(data, n);
}

Status ChunkedObjectWriter::Chunk(const char* data, size_t n) {
  for (size_t done = 0; done < n;) {
    if (buf_end_ == 2 * kChunkMaxSize) {
      std::memmove(buf_.get(), buf_.get() + buf_start_, buf_end_ - buf_start_);
      buf_end_ -= buf_start_;
      buf_start_ = 0;
    }
    const size_t take = std::min(n - done, 2 * kChunkMaxSize - buf_end_);
    std::memcpy(buf_.get() + buf_end_, data + done, take);
    buf_end_ += take;
    done += take;
    HM_RETURN_IF_ERROR(CutChunks(/*at_end=*/false));
  }
  return Status::Ok();
}

Status ChunkedObjectWriter::Rechunk() {
  // The failed commit published nothing: this writer's appends are its own.
  pack_buf_.clear();
  store_->packs()->Rewind(&pack_, pack_start_);
  ClearChunks();
  std::string piece(1 << 20, '\0');
  const uint64_t size = bytes_written();
  for (uint64_t offset = 0; offset < size;) {
    HM_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset, piece.data(),
                                                  std::min<uint64_t>(piece.size(), size - offset)));
    if (got == 0) return Status::DataLoss("temp file " + temp_path_ + " is short");
    HM_RETURN_IF_ERROR(Chunk(piece.data(), got));
    offset += got;
  }
  return Status::Ok();
}

Status ChunkedObjectWriter::CutChunks(bool at_end) {
  while (buf_end_ > buf_start_) {
    const size_t avail = buf_end_ - buf_start_;
    if (!at_end && avail < kChunkMaxSize) return Status::Ok();
    const char* p = buf_.get() + buf_start_;
    size_t cut = FindChunkBoundary(reinterpret_cast<const uint8_t*>(p), avail, at_end);
    if (cut == 0) return Status::Ok();
    HM_RETURN_IF_ERROR(AddChunk(p, cut));
    buf_start_ += cut;
  }
  buf_start_ = buf_end_ = 0;
  return Status::Ok();
}

Result<bool> ChunkedObjectWriter::SameBytes(const RandomAccessFile& pack, const ChunkLocation& loc,
                                            const char* data, size_t n) {
  if (loc.raw_size != n) return false;
  HM_RETURN_IF_ERROR(ReadChunkBytes(pack, loc, dctx_.get(), &scratch_, &compare_));
  return std::memcmp(compare_.data(), data, n) == 0;
}

Status ChunkedObjectWriter::AddChunk(const char* data, size_t n) {
  const ChunkFingerprint fp = store_->Fingerprint(data, n);
  // Reuse only after a byte compare: a fingerprint match proves nothing.
  auto [lo, hi] = fresh_by_fp_.equal_range(fp);
  if (lo != hi) HM_RETURN_IF_ERROR(FlushPack());
  for (auto it = lo; it != hi; ++it) {
    AppendingPackView view(pack_->file.get());
    HM_ASSIGN_OR_RETURN(bool same, SameBytes(view, fresh_[it->second].location, data, n));
    if (same) {
      refs_.push_back(ChunkRef{true, 0, it->second, {}, 0});
      return Status::Ok();
    }
  }
  HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> known, store_->catalog()->FindByFingerprint(fp));
  for (const ChunkLocation& loc : known) {
    // A candidate that cannot be read (e.g. cut off by a concurrent Remove)
    // is just not reused: storing the chunk again is always safe.
    auto pack = store_->packs()->OpenForRead(loc.pack);
    if (!pack.ok()) continue;
    Result<bool> same = SameBytes(**pack, loc, data, n);
    if (same.ok() && *same) {
      refs_.push_back(ChunkRef{false, loc.id, 0, fp, n});
      return Status::Ok();
    }
  }
  return StoreNewChunk(fp, data, n);
}

Status ChunkedObjectWriter::StoreNewChunk(const ChunkFingerprint& fp, const char* data, size_t n) {
  if (!pack_) {
    HM_ASSIGN_OR_RETURN(pack_, store_->packs()->Acquire());
    pack_start_ = pack_->size;
  }
  NewChunk chunk;
  chunk.fingerprint = fp;
  chunk.location.pack = pack_->id;
  chunk.location.offset = pack_->size;
  chunk.location.raw_size = n;
  const char* stored = data;
  size_t stored_size = n;
  compressed_.resize(ZSTD_compressBound(n));
  size_t c = ZSTD_compressCCtx(cctx_.get(), compressed_.data(), compressed_.size(), data, n,
                               kZstdLevel);
  if (!ZSTD_isError(c) && c <= n - n / kMinCompressionSavingDivisor) {
    stored = compressed_.data();
    stored_size = c;
    chunk.location.compression = ChunkCompression::kZstd;
  }
  chunk.location.stored_size = stored_size;
  pack_buf_.append(stored, stored_size);
  pack_->size += stored_size;
  if (pack_buf_.size() >= kPackWriteBytes) HM_RETURN_IF_ERROR(FlushPack());
  fresh_by_fp_.emplace(fp, fresh_.size());
  refs_.push_back(ChunkRef{true, 0, fresh_.size(), {}, 0});
  fresh_.push_back(chunk);
  return Status::Ok();
}

Status ChunkedObjectWriter::FlushPack() {
  if (pack_buf_.empty()) return Status::Ok();
  HM_RETURN_IF_ERROR(pack_->file->Append(pack_buf_.data(), pack_buf_.size()));
  pack_buf_.clear();
  return Status::Ok();
}

Result<size_t> ChunkedObjectWriter::ReadWritten(uint64_t offset, char* buf, size_t n) const {
  uint64_t written = bytes_written();
  if (offset >= written) return size_t{0};
  if (n > written - offset) n = static_cast<size_t>(written - offset);
  return file_->ReadAt(offset, buf, n);
}

Status ChunkedObjectWriter::Reset() {
  if (state_ == State::kAborted || state_ == State::kCommitted) {
    return Status::FailedPrecondition("object writer is finished; cannot Reset()");
  }
  bytes_written_.store(0, std::memory_order_release);
  HM_RETURN_IF_ERROR(file_->Truncate(0));
  sha256_ = std::make_unique<Sha256Hasher>();
  if (git_sha1_) git_sha1_ = std::make_unique<GitBlobHasher>(promise_.size);
  // Nothing references the chunks appended so far: cut them off.
  pack_buf_.clear();
  if (pack_) {
    store_->packs()->Rewind(&pack_, pack_start_);
    if (pack_) store_->packs()->Release(std::move(pack_));
  }
  ClearChunks();
  state_ = State::kWriting;
  return Status::Ok();
}

Result<ObjectInfo> ChunkedObjectWriter::Commit() {
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
  ObjectInfo info;
  info.size = bytes_written();
  info.sha256 = sha256_->FinishHex();
  if (git_sha1_) info.git_sha1 = git_sha1_->FinishHex();
  if (Status s = VerifyAgainstPromise(promise_, info); !s.ok()) return Abort(std::move(s));
  Result<bool> inserted = false;
  for (int attempt = 1;; ++attempt) {
    if (Status s = CutChunks(/*at_end=*/true); !s.ok()) return Abort(std::move(s));
    if (!fresh_.empty()) {
      if (Status s = FlushPack(); !s.ok()) return Abort(std::move(s));
      if (Status s = pack_->file->Sync(); !s.ok()) return Abort(std::move(s));
    }
    inserted = store_->catalog()->CommitObject(
        ChunkedObjectRow{info.sha256, info.git_sha1, info.size}, fresh_, refs_);
    if (inserted.ok()) break;
    if (!inserted.status().retryable() || attempt == kCommitAttempts) {
      return Abort(std::move(inserted).status());
    }
    // A chunk reused by compare was removed meanwhile (eviction, gc) or the
    // catalog was busy: chunk the bytes again from the temp file, storing
    // what is no longer there, rather than fail a verified download.
    if (Status s = Rechunk(); !s.ok()) return Abort(std::move(s));
  }
  state_ = State::kCommitted;
  if (!*inserted) {
    // The same bytes were stored meanwhile: ours are unreferenced.
    state_ = State::kAborted;
    Finish();
    state_ = State::kCommitted;
  } else {
    Finish();
  }
  ClearChunks();
  return info;
}

}  // namespace

Result<std::unique_ptr<ChunkedObjectStore>> NewChunkedObjectStore(Env* env,
                                                                  const std::string& root,
                                                                  ChunkedStoreOptions options) {
  if (root.empty()) return Status::InvalidArgument("object store root is empty");
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto store = std::make_unique<ChunkedStore>(env, std::move(trimmed), std::move(options));
  HM_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ChunkedObjectStore>(std::move(store));
}

Result<uint64_t> MigrateLegacyObjects(ChunkedObjectStore* store) {
  HM_ASSIGN_OR_RETURN(std::vector<std::string> legacy, store->ListLegacyObjects());
  uint64_t moved = 0;
  std::vector<char> buf(1 << 20);
  for (const std::string& sha256 : legacy) {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, store->Open(sha256));
    HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer,
                        store->NewWriter(ObjectPromise{reader->size(), sha256, ""}));
    for (uint64_t off = 0; off < reader->size();) {
      HM_ASSIGN_OR_RETURN(size_t got, reader->ReadAt(off, buf.data(), buf.size()));
      if (got == 0) return Status::DataLoss("legacy object " + sha256 + " is short");
      HM_RETURN_IF_ERROR(writer->Append(buf.data(), got));
      off += got;
    }
    HM_RETURN_IF_ERROR(writer->Commit().status());
    HM_RETURN_IF_ERROR(store->RemoveLegacyFile(sha256));
    ++moved;
  }
  return moved;
}

}  // namespace hubmirror
