// XorbObjectWriter: the ObjectWriter of the Xet-native store
// (xorb_object_store.h describes the layout). Only the store creates one.
//
// Write once: appended bytes pass through an IngestPipeline of three
// stages: the first hashes the whole object (SHA-256, and the git blob id
// when the promise names one), the second cuts Xet chunks and names each by
// its BLAKE3 chunk hash, the third either references a chunk the store
// already holds (its xorb pinned against removal until the commit) or
// appends it, compressed where that pays, to a xorb of the writer's own.
// (Three, not two: SHA-256 alone is about as costly as cutting and naming,
// so the cores stay evenly loaded.) No other copy
// of the bytes is written. Clients streaming the object meanwhile read
// recent bytes from the pipeline's window and older ones through the
// chunks (ReadWritten).
//
// Verify() drains the pipeline and checks size and digests; Commit() then
// seals the writer's xorbs, fsyncs them, moves them to their final names
// and publishes xorbs, chunks, the file row and its terms in one catalog
// transaction. Anything short of that leaves nothing visible, and the
// writer's xorb files are removed (or swept at the next start after a
// crash: they carry no catalog rows).
//
// Thread safety: as ObjectWriter (one appending thread; ReadWritten and
// bytes_written from any thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/env.h"
#include "store/hash.h"
#include "store/object_store.h"
#include "store/xet/chunk_codec.h"
#include "store/xet/xet_chunker.h"
#include "store/xet/xet_hash.h"
#include "store/xorb/ingest_pipeline.h"
#include "store/xorb/resume_journal.h"
#include "store/xorb/xorb_builder.h"
#include "store/xorb/xorb_bytes.h"
#include "store/xorb/catalog/xorb_catalog.h"
#include "store/xorb/xorb_files.h"

namespace hubmirror {

// What a writer needs of its store; everything must outlive the writer.
struct XorbWriteTarget {
  Env* env = nullptr;
  XorbCatalog* catalog = nullptr;
  XorbFiles* files = nullptr;
  XorbTableCache* tables = nullptr;
  // Where the writer's xorbs are built: "<temp_stem>.<xorb id>.xorb", or
  // for a resumable writer tmp/resume-<key>.<id>.xorb.partial.
  std::string temp_stem;
  std::string tmp_dir;
  std::string resume_key;  // set for a resumable writer
  // Objects at least this large run the pipeline's stages on threads.
  uint64_t threaded_from_bytes = uint64_t{8} << 20;
};

class XorbObjectWriter final : public ObjectWriter {
 public:
  // With a `journal` the writer is resumable (resume_journal.h): what it
  // ingested stays for the next writer of the object when it is destroyed
  // uncommitted while still writing.
  XorbObjectWriter(XorbWriteTarget target, ObjectPromise promise,
                   std::unique_ptr<ResumeJournal> journal = nullptr);
  ~XorbObjectWriter() override;
  XorbObjectWriter(const XorbObjectWriter&) = delete;
  XorbObjectWriter& operator=(const XorbObjectWriter&) = delete;

  Status Append(const char* data, size_t n) override;
  uint64_t bytes_written() const override { return bytes_written_.load(std::memory_order_acquire); }
  Result<size_t> ReadWritten(uint64_t offset, char* buf, size_t n) const override;
  Status Reset() override;
  Result<ObjectInfo> Verify() override;
  Result<ObjectInfo> Commit() override;
  const ObjectPromise& promise() const override { return promise_; }

 private:
  enum class State { kWriting, kPoisoned, kVerified, kAborted, kCommitted };

  void Start();
  void StopPipeline();
  // Stage 1: the object's digests.
  Status HashStage(const char* data, size_t n);
  // Stage 2: chunk boundaries and chunk hashes.
  Status CutStage(const char* data, size_t n);
  // Stage 3: the chunks between those boundaries, deduplicated and stored.
  Status StoreStage(const char* data, size_t n);
  Status AddChunk(const XetHash& hash, const char* data, size_t n);
  // Stores a chunk the store does not hold; returns (xorb id, index).
  Result<std::pair<int64_t, uint32_t>> StoreChunk(const XetHash& hash, const char* data, size_t n);
  // A pinned, still catalogued xorb holding `hit`, or nullopt.
  Result<bool> PinForDedup(const ChunkHit& hit);
  void AppendToTerms(int64_t xorb_id, uint32_t index, size_t n);
  Result<std::shared_ptr<const XorbBytes>> SourceOf(int64_t xorb_id) const;
  // Drops every builder, pin and chunk of this attempt.
  void Discard();
  Status Abort(Status why);

  const XorbWriteTarget target_;
  const ObjectPromise promise_;
  std::atomic<uint64_t> bytes_written_{0};
  State state_ = State::kWriting;
  std::optional<ObjectInfo> verified_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<ResumeJournal> journal_;  // null unless resumable

  // Stage 1.
  std::unique_ptr<Sha256Hasher> sha256_;
  std::unique_ptr<GitBlobHasher> git_sha1_;  // only when the promise names one

  // Stage 2.
  struct CutChunk {
    uint64_t end = 0;  // object offset just past the chunk
    XetHash hash;
  };
  XetChunker chunker_;
  XetChunkHasher chunk_hasher_;      // the chunk being cut
  std::vector<size_t> span_cuts_;    // scratch for chunker_.Feed
  std::vector<CutChunk> span_chunks_;  // scratch: the chunks one span ended
  uint64_t cut_ = 0;                 // object bytes stage 2 has seen
  // Chunks stage 2 cut and stage 3 has not stored yet.
  std::mutex cuts_mu_;
  std::deque<CutChunk> cuts_;  // guarded by cuts_mu_

  // Stage 3 (its thread only, until Verify() drained the pipeline).
  std::string pending_;           // bytes of the chunk being cut
  uint64_t chunked_ = 0;          // object bytes already in chunks
  XetChunkCodec codec_;
  std::string encoded_;
  std::vector<XetNode> nodes_;    // every chunk in order: the file's xet hash
  std::unordered_map<XetHash, std::pair<int64_t, uint32_t>, XetHashHasher> own_chunks_;
  std::shared_ptr<XorbBuilder> builder_;  // the xorb being filled

  // Shared with readers (ReadWritten).
  mutable std::mutex mu_;
  std::vector<FileTerm> terms_;                                   // guarded by mu_
  std::vector<std::shared_ptr<XorbBuilder>> builders_;            // guarded by mu_
  std::map<int64_t, std::unique_ptr<XorbPin>> pins_;              // guarded by mu_
  mutable std::map<int64_t, std::shared_ptr<const XorbBytes>> sources_;  // guarded by mu_
  mutable std::mutex read_mu_;
  mutable ChunkDecoder read_decoder_;  // guarded by read_mu_
};

}  // namespace hubmirror
