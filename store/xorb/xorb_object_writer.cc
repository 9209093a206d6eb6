#include "store/xorb/xorb_object_writer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "store/xorb/reconstruction_reader.h"

namespace hubmirror {

XorbObjectWriter::XorbObjectWriter(XorbWriteTarget target, ObjectPromise promise,
                                   std::unique_ptr<ResumeJournal> journal)
    : target_(std::move(target)), promise_(std::move(promise)), journal_(std::move(journal)) {
  Start();
}

XorbObjectWriter::~XorbObjectWriter() {
  // A resumable writer abandoned mid-write first ingests what it was given
  // (at most the pipeline's window), so the next writer continues from there.
  if (journal_ && state_ == State::kWriting && pipeline_) (void)pipeline_->Drain();
  StopPipeline();  // joins the stage threads before their state goes
  if (journal_) {
    // Abandoned while still writing (a transfer broke off, the process is
    // stopping): what was ingested stays for the next writer. Otherwise the
    // journal goes with everything else.
    if (state_ == State::kWriting && chunked_ > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& b : builders_) {
        (void)b->Flush();
        b->KeepFileOnDestruction();
      }
      (void)journal_->Flush();
    } else {
      journal_->Remove();  // no-op after a commit removed it
    }
  }
  Discard();
}

void XorbObjectWriter::StopPipeline() {
  // Stopped before it goes: a stage still running refers to pipeline_.
  if (pipeline_) pipeline_->Stop();
  pipeline_.reset();
}

void XorbObjectWriter::Start() {
  sha256_ = std::make_unique<Sha256Hasher>();
  git_sha1_.reset();
  if (PromiseNeedsGitBlobId(promise_)) {
    git_sha1_ = std::make_unique<GitBlobHasher>(promise_.size);
  }
  chunker_.Reset();
  chunk_hasher_.Reset();
  cut_ = 0;
  {
    std::lock_guard<std::mutex> lock(cuts_mu_);
    cuts_.clear();
  }
  pending_.clear();
  pending_.reserve(kXetMaxChunkBytes);
  chunked_ = 0;
  nodes_.clear();
  own_chunks_.clear();
  builder_.reset();
  IngestPipeline::Options options;
  options.threaded = promise_.size >= target_.threaded_from_bytes;
  std::vector<IngestPipeline::Stage> stages;
  stages.push_back([this](const char* d, size_t n) { return HashStage(d, n); });
  stages.push_back([this](const char* d, size_t n) { return CutStage(d, n); });
  stages.push_back([this](const char* d, size_t n) { return StoreStage(d, n); });
  pipeline_ = std::make_unique<IngestPipeline>(std::move(stages), options);
}

void XorbObjectWriter::Discard() {
  std::vector<std::shared_ptr<XorbBuilder>> builders;
  std::map<int64_t, std::unique_ptr<XorbPin>> pins;
  {
    std::lock_guard<std::mutex> lock(mu_);
    terms_.clear();
    sources_.clear();
    builders.swap(builders_);
    pins.swap(pins_);
  }
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    read_decoder_.Clear();
  }
  builder_.reset();
  // Destroying the builders removes their files (unless committed).
}

Status XorbObjectWriter::Abort(Status why) {
  state_ = State::kAborted;
  StopPipeline();
  Discard();
  return why;
}

Status XorbObjectWriter::HashStage(const char* data, size_t n) {
  sha256_->Update(data, n);
  if (git_sha1_) git_sha1_->Update(data, n);
  return Status::Ok();
}

Status XorbObjectWriter::CutStage(const char* data, size_t n) {
  // A chunk's name is hashed here, beside its cut, in the pieces the
  // window hands over: no chunk is copied together for it.
  span_cuts_.clear();
  chunker_.Feed(reinterpret_cast<const uint8_t*>(data), n, &span_cuts_);
  size_t pos = 0;
  for (size_t end : span_cuts_) {
    chunk_hasher_.Update(data + pos, end - pos);
    span_chunks_.push_back(CutChunk{cut_ + end, chunk_hasher_.Finish()});
    pos = end;
  }
  chunk_hasher_.Update(data + pos, n - pos);
  cut_ += n;
  if (!span_chunks_.empty()) {
    std::lock_guard<std::mutex> lock(cuts_mu_);
    cuts_.insert(cuts_.end(), span_chunks_.begin(), span_chunks_.end());
  }
  span_chunks_.clear();
  return Status::Ok();
}

Status XorbObjectWriter::StoreStage(const char* data, size_t n) {
  // Every cut inside this span is known: the stage before has seen it.
  const uint64_t base = chunked_ + pending_.size();
  size_t pos = 0;
  while (true) {
    CutChunk chunk;
    {
      std::lock_guard<std::mutex> lock(cuts_mu_);
      if (cuts_.empty() || cuts_.front().end > base + n) break;
      chunk = cuts_.front();
      cuts_.pop_front();
    }
    const size_t end = static_cast<size_t>(chunk.end - base);
    if (pending_.empty()) {
      // The whole chunk is in this span: no copy.
      HM_RETURN_IF_ERROR(AddChunk(chunk.hash, data + pos, end - pos));
    } else {
      pending_.append(data + pos, end - pos);
      HM_RETURN_IF_ERROR(AddChunk(chunk.hash, pending_.data(), pending_.size()));
      pending_.clear();
    }
    pos = end;
  }
  pending_.append(data + pos, n - pos);
  return Status::Ok();
}

Result<bool> XorbObjectWriter::PinForDedup(const ChunkHit& hit) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pins_.count(hit.xorb_id) != 0) return true;
  }
  Result<std::unique_ptr<XorbPin>> pin = target_.files->TryPin(hit.xorb_id);
  if (!pin.ok()) {
    // Gone or being deleted: storing the chunk again is always safe.
    if (pin.status().IsNotFound() || pin.status().code() == StatusCode::kUnavailable) {
      return false;
    }
    return std::move(pin).status();
  }
  // Pinned now; still catalogued? (It may have been deleted between the
  // lookup and the lock.)
  HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, target_.catalog->GetXorb(hit.xorb_id));
  if (!row) return false;
  std::lock_guard<std::mutex> lock(mu_);
  pins_.emplace(hit.xorb_id, std::move(pin).value());
  return true;
}

Result<std::pair<int64_t, uint32_t>> XorbObjectWriter::StoreChunk(const XetHash& hash,
                                                                 const char* data, size_t n) {
  if (!builder_ || !builder_->HasRoomFor(n)) {
    if (builder_) HM_RETURN_IF_ERROR(builder_->Seal());
    HM_ASSIGN_OR_RETURN(int64_t id, target_.catalog->AllocateXorbIds(1));
    const std::string path =
        journal_ ? target_.tmp_dir + "/" + ResumeXorbName(target_.resume_key, id)
                 : target_.temp_stem + "." + std::to_string(id) + ".xorb";
    HM_ASSIGN_OR_RETURN(std::unique_ptr<XorbBuilder> created,
                        XorbBuilder::Create(target_.env, path, id));
    builder_ = std::shared_ptr<XorbBuilder>(std::move(created));
    std::lock_guard<std::mutex> lock(mu_);
    builders_.push_back(builder_);
  }
  const XetScheme scheme = codec_.Encode(reinterpret_cast<const uint8_t*>(data), n, &encoded_);
  const char* stored = scheme == XetScheme::kNone ? data : encoded_.data();
  const size_t stored_size = scheme == XetScheme::kNone ? n : encoded_.size();
  HM_ASSIGN_OR_RETURN(uint32_t index,
                      builder_->Add(hash, scheme, stored, static_cast<uint32_t>(stored_size),
                                    static_cast<uint32_t>(n)));
  return std::make_pair(builder_->id(), index);
}

Status XorbObjectWriter::AddChunk(const XetHash& hash, const char* data, size_t n) {
  nodes_.push_back(XetNode{hash, n});
  std::pair<int64_t, uint32_t> where;
  if (auto own = own_chunks_.find(hash); own != own_chunks_.end()) {
    where = own->second;
  } else {
    // BLAKE3 is collision-resistant: a chunk with this hash holds these
    // bytes, so no comparison is needed (the stored chunk was hashed from
    // its own bytes when it was committed).
    HM_ASSIGN_OR_RETURN(std::optional<ChunkHit> hit, target_.catalog->FindChunk(hash));
    bool reused = false;
    if (hit && hit->raw_size == n) {
      HM_ASSIGN_OR_RETURN(reused, PinForDedup(*hit));
      if (reused) where = {hit->xorb_id, hit->index};
    }
    if (!reused) {
      HM_ASSIGN_OR_RETURN(where, StoreChunk(hash, data, n));
    }
    own_chunks_.emplace(hash, where);
  }
  AppendToTerms(where.first, where.second, n);
  if (journal_) {
    journal_->Add(JournalEntry{hash, where.first, where.second, static_cast<uint32_t>(n)});
  }
  chunked_ += n;
  pipeline_->ReleaseBefore(chunked_);
  return Status::Ok();
}

void XorbObjectWriter::AppendToTerms(int64_t xorb_id, uint32_t index, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!terms_.empty()) {
    FileTerm& last = terms_.back();
    if (last.xorb_id == xorb_id && last.chunk_end == index) {
      ++last.chunk_end;
      last.raw_size += n;
      return;
    }
  }
  terms_.push_back(FileTerm{xorb_id, index, index + 1, n, chunked_});
}

Status XorbObjectWriter::Append(const char* data, size_t n) {
  if (state_ != State::kWriting) {
    return Status::FailedPrecondition(state_ == State::kPoisoned
                                          ? "object writer failed earlier; Reset() first"
                                          : "object writer is finished");
  }
  const uint64_t written = bytes_written_.load(std::memory_order_relaxed);
  if (Status s = CheckAppendFitsPromise(promise_, written, n); !s.ok()) {
    state_ = State::kPoisoned;
    return s;
  }
  if (Status s = pipeline_->Append(data, n); !s.ok()) {
    state_ = State::kPoisoned;
    return s;
  }
  bytes_written_.store(written + n, std::memory_order_release);
  return Status::Ok();
}

Result<std::shared_ptr<const XorbBytes>> XorbObjectWriter::SourceOf(int64_t xorb_id) const {
  const XorbPin* pin = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = sources_.find(xorb_id); it != sources_.end()) return it->second;
    for (const auto& b : builders_) {
      if (b->id() == xorb_id) {
        sources_[xorb_id] = b;
        return std::shared_ptr<const XorbBytes>(b);
      }
    }
    auto it = pins_.find(xorb_id);
    if (it == pins_.end()) {
      return Status::Internal("object writer: no source for xorb " + std::to_string(xorb_id));
    }
    pin = it->second.get();  // lives until Discard(), which readers do not outlive
  }
  HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, target_.tables->Get(xorb_id));
  std::lock_guard<std::mutex> lock(mu_);
  auto bytes = std::make_shared<SealedXorbBytes>(std::move(table), pin->file());
  sources_[xorb_id] = bytes;
  return std::shared_ptr<const XorbBytes>(bytes);
}

Result<size_t> XorbObjectWriter::ReadWritten(uint64_t offset, char* buf, size_t n) const {
  const uint64_t written = bytes_written();
  if (offset >= written) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, written - offset));
  if (pipeline_) {
    const size_t got = pipeline_->CopyFromWindow(offset, buf, n);
    if (got > 0) return got;
  }
  // Before the window: the bytes are in chunks by now.
  FileTerm term;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t t = FindTerm(terms_, offset);
    if (t >= terms_.size()) {
      return Status::Unavailable("object writer: bytes at " + std::to_string(offset) +
                                 " are no longer readable");
    }
    term = terms_[t];
  }
  HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbBytes> source, SourceOf(term.xorb_id));
  const uint64_t within = offset - term.file_offset;
  n = static_cast<size_t>(std::min<uint64_t>(n, term.raw_size - within));
  std::lock_guard<std::mutex> lock(read_mu_);
  return source->ReadRaw(term.chunk_start, term.chunk_end, within, buf, n, &read_decoder_);
}

Status XorbObjectWriter::Reset() {
  if (state_ == State::kAborted || state_ == State::kCommitted) {
    return Status::FailedPrecondition("object writer is finished; cannot Reset()");
  }
  StopPipeline();
  Discard();
  if (journal_) HM_RETURN_IF_ERROR(journal_->Reset());
  bytes_written_.store(0, std::memory_order_release);
  verified_.reset();
  Start();
  state_ = State::kWriting;
  return Status::Ok();
}

Result<ObjectInfo> XorbObjectWriter::Verify() {
  switch (state_) {
    case State::kVerified:
      return *verified_;
    case State::kWriting:
      break;
    case State::kPoisoned:
      return Abort(Status::DataLoss("object writer failed earlier; nothing committed"));
    case State::kAborted:
      return Status::FailedPrecondition("object writer was aborted");
    case State::kCommitted:
      return Status::FailedPrecondition("object writer already committed");
  }
  if (Status s = pipeline_->Drain(); !s.ok()) return Abort(std::move(s));
  // The stages are idle: their state is this thread's now.
  if (!pending_.empty()) {
    // The last chunk, which no cut ended: stage 2 has hashed exactly its
    // bytes since the last cut.
    const XetHash tail = chunk_hasher_.Finish();
    if (Status s = AddChunk(tail, pending_.data(), pending_.size()); !s.ok()) {
      return Abort(std::move(s));
    }
    pending_.clear();
  }
  ObjectInfo info;
  info.size = bytes_written();
  info.sha256 = sha256_->FinishHex();
  if (git_sha1_) info.git_sha1 = git_sha1_->FinishHex();
  info.xet_hash = XetFileHash(std::move(nodes_)).ToHex();
  nodes_.clear();
  if (Status s = VerifyAgainstPromise(promise_, info); !s.ok()) return Abort(std::move(s));
  if (chunked_ != info.size) {
    return Abort(Status::Internal("object writer chunked " + std::to_string(chunked_) + " of " +
                                  std::to_string(info.size) + " bytes"));
  }
  verified_ = info;
  state_ = State::kVerified;
  return info;
}

Result<ObjectInfo> XorbObjectWriter::Commit() {
  HM_ASSIGN_OR_RETURN(ObjectInfo info, Verify());
  std::vector<std::shared_ptr<XorbBuilder>> builders;
  std::vector<FileTerm> terms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    builders = builders_;
    terms = terms_;
  }
  // Durable before anything names them: seal, fsync, then the final names.
  std::vector<NewXorb> xorbs;
  for (const auto& b : builders) {
    if (Status s = b->Seal(); !s.ok()) return Abort(std::move(s));
    if (Status s = b->Sync(); !s.ok()) return Abort(std::move(s));
  }
  // With a bucket, each xorb is shared (uploaded) before the catalog may
  // name it; what this attempt shared goes again if it does not commit.
  std::vector<int64_t> shared;
  auto unshare = [this, &shared] {
    for (int64_t id : shared) {
      target_.files->Unshare(id, [this, id]() -> Result<bool> {
        HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, target_.catalog->GetXorb(id));
        return row.has_value();
      });
    }
  };
  for (const auto& b : builders) {
    if (Status s = b->Publish(target_.files->PathOf(b->id())); !s.ok()) {
      unshare();
      return Abort(std::move(s));
    }
    if (Status s = target_.files->Share(b->id()); !s.ok()) {
      unshare();
      return Abort(std::move(s));
    }
    shared.push_back(b->id());
    xorbs.push_back(b->Describe());
  }
  ChunkedObjectRow row;
  row.sha256 = info.sha256;
  row.git_sha1 = info.git_sha1;
  row.size = info.size;
  row.xet_hash = info.xet_hash;
  Result<bool> inserted = target_.catalog->CommitFile(row, xorbs, terms);
  if (!inserted.ok()) {
    unshare();
    return Abort(std::move(inserted).status());
  }
  if (*inserted) {
    for (const auto& b : builders) {
      b->KeepFileOnDestruction();
      b->Unlock();
    }
  } else {
    // The same bytes were committed meanwhile (another writer of the same
    // object): ours are not needed and go with the builders.
    unshare();
    Result<std::optional<ChunkedObjectRow>> stored = target_.catalog->GetFile(info.sha256);
    if (stored.ok() && stored->has_value()) info.xet_hash = (*stored)->xet_hash;
  }
  state_ = State::kCommitted;
  if (journal_) journal_->Remove();
  // Clients may still stream the object from this writer (ReadWritten): its
  // sources stay open until it is destroyed, but the pins are given up.
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, pin] : pins_) pin->Unlock();
  return info;
}

}  // namespace hubmirror
