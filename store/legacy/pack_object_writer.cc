#include "store/legacy/pack_object_writer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "store/legacy/chunker.h"

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

}  // namespace

PackObjectWriter::PackObjectWriter(ChunkWriteTarget target, ObjectPromise promise,
                                         std::string temp_path, std::unique_ptr<WritableFile> file,
                                         bool resumable)
    : target_(std::move(target)),
      promise_(std::move(promise)),
      temp_path_(std::move(temp_path)),
      file_(std::move(file)),
      sha256_(std::make_unique<Sha256Hasher>()),
      resumable_(resumable),
      buf_(new char[2 * kChunkMaxSize]),
      cctx_(ZSTD_createCCtx()),
      dctx_(ZSTD_createDCtx()) {
  if (PromiseNeedsGitBlobId(promise_)) {
    git_sha1_ = std::make_unique<GitBlobHasher>(promise_.size);
  }
}

PackObjectWriter::~PackObjectWriter() {
  (void)file_->Close();
  Finish();
}

void PackObjectWriter::Finish() {
  // An abandoned resumable writer (a failed or cancelled transfer) leaves its
  // bytes for the next one; they were appended in order and are verified
  // again, with the rest, by that writer's Commit().
  const bool keep = resumable_ && state_ == State::kWriting && bytes_written() > 0;
  if (temp_exists_ && !keep) {
    // Best effort: a leftover is collected by CleanTemporaryFiles at start-up.
    (void)target_.env->RemoveFile(temp_path_);
    temp_exists_ = false;
  }
  pack_buf_.clear();
  if (state_ != State::kCommitted) target_.packs->Rewind(&pack_, pack_start_);
  target_.packs->Release(std::move(pack_));
}

Status PackObjectWriter::Abort(Status why) {
  state_ = State::kAborted;
  Finish();
  ClearChunks();
  return why;
}

void PackObjectWriter::ClearChunks() {
  buf_start_ = buf_end_ = 0;
  fresh_.clear();
  fresh_by_fp_.clear();
  refs_.clear();
}

Status PackObjectWriter::Append(const char* data, size_t n) {
  if (state_ != State::kWriting) {
    return Status::FailedPrecondition(state_ == State::kPoisoned
                                          ? "object writer failed earlier; Reset() first"
                                          : "object writer is finished");
  }
  uint64_t written = bytes_written_.load(std::memory_order_relaxed);
  if (Status s = CheckAppendFitsPromise(promise_, written, n); !s.ok()) {
    state_ = State::kPoisoned;
    return s;
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

Status PackObjectWriter::ResumeFromFile(uint64_t existing_size) {
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

Status PackObjectWriter::Ingest(const char* data, size_t n) {
  sha256_->Update(data, n);
  if (git_sha1_) git_sha1_->Update(data, n);
  return Chunk(data, n);
}

Status PackObjectWriter::Chunk(const char* data, size_t n) {
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

Status PackObjectWriter::Rechunk() {
  // The failed commit published nothing: this writer's appends are its own.
  pack_buf_.clear();
  target_.packs->Rewind(&pack_, pack_start_);
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

Status PackObjectWriter::CutChunks(bool at_end) {
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

Result<bool> PackObjectWriter::SameBytes(const RandomAccessFile& pack, const ChunkLocation& loc,
                                            const char* data, size_t n) {
  if (loc.raw_size != n) return false;
  HM_RETURN_IF_ERROR(ReadChunkBytes(pack, loc, dctx_.get(), &scratch_, &compare_));
  return std::memcmp(compare_.data(), data, n) == 0;
}

Status PackObjectWriter::AddChunk(const char* data, size_t n) {
  const ChunkFingerprint fp = target_.fingerprint(data, n);
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
  HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> known, target_.catalog->FindByFingerprint(fp));
  for (const ChunkLocation& loc : known) {
    // A candidate that cannot be read (e.g. cut off by a concurrent Remove)
    // is just not reused: storing the chunk again is always safe.
    auto pack = target_.packs->OpenForRead(loc.pack);
    if (!pack.ok()) continue;
    Result<bool> same = SameBytes(**pack, loc, data, n);
    if (same.ok() && *same) {
      refs_.push_back(ChunkRef{false, loc.id, 0, fp, n});
      return Status::Ok();
    }
  }
  return StoreNewChunk(fp, data, n);
}

Status PackObjectWriter::StoreNewChunk(const ChunkFingerprint& fp, const char* data, size_t n) {
  if (!pack_) {
    HM_ASSIGN_OR_RETURN(pack_, target_.packs->Acquire());
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

Status PackObjectWriter::FlushPack() {
  if (pack_buf_.empty()) return Status::Ok();
  HM_RETURN_IF_ERROR(pack_->file->Append(pack_buf_.data(), pack_buf_.size()));
  pack_buf_.clear();
  return Status::Ok();
}

Result<size_t> PackObjectWriter::ReadWritten(uint64_t offset, char* buf, size_t n) const {
  uint64_t written = bytes_written();
  if (offset >= written) return size_t{0};
  if (n > written - offset) n = static_cast<size_t>(written - offset);
  return file_->ReadAt(offset, buf, n);
}

Status PackObjectWriter::Reset() {
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
    target_.packs->Rewind(&pack_, pack_start_);
    if (pack_) target_.packs->Release(std::move(pack_));
  }
  ClearChunks();
  verified_.reset();
  state_ = State::kWriting;
  return Status::Ok();
}

Result<ObjectInfo> PackObjectWriter::Verify() {
  if (verified_) return *verified_;
  if (state_ == State::kPoisoned) {
    return Abort(Status::DataLoss("object writer failed earlier; nothing committed"));
  }
  if (state_ != State::kWriting) return Status::FailedPrecondition("object writer is finished");
  ObjectInfo info;
  info.size = bytes_written();
  info.sha256 = sha256_->FinishHex();
  if (git_sha1_) info.git_sha1 = git_sha1_->FinishHex();
  if (Status s = VerifyAgainstPromise(promise_, info); !s.ok()) return Abort(std::move(s));
  verified_ = info;
  return info;
}

Result<ObjectInfo> PackObjectWriter::Commit() {
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
  Result<bool> inserted = false;
  for (int attempt = 1;; ++attempt) {
    if (Status s = CutChunks(/*at_end=*/true); !s.ok()) return Abort(std::move(s));
    if (!fresh_.empty()) {
      if (Status s = FlushPack(); !s.ok()) return Abort(std::move(s));
      if (Status s = pack_->file->Sync(); !s.ok()) return Abort(std::move(s));
    }
    inserted = target_.catalog->CommitObject(
        PackObjectRow{info.sha256, info.git_sha1, info.size}, fresh_, refs_);
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

}  // namespace hubmirror
