// PackObjectWriter: the ObjectWriter of the chunked store
// (pack_object_store.h, which describes what it does), in its own file.
// Only PackObjectStore creates one; nothing outside store/ uses it.
//
// Thread safety: as ObjectWriter (one writing thread; ReadWritten and
// bytes_written from any thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/legacy/chunk_catalog.h"
#include "store/legacy/chunk_pack.h"
#include "store/env.h"
#include "store/hash.h"
#include "store/object_store.h"
#include "store/zstd_context.h"

namespace hubmirror {

// What a writer needs of its store; everything must outlive the writer.
struct ChunkWriteTarget {
  Env* env = nullptr;
  ChunkCatalog* catalog = nullptr;
  PackSet* packs = nullptr;
  std::function<ChunkFingerprint(const char* data, size_t n)> fingerprint;
};

struct FingerprintHash {
  size_t operator()(const ChunkFingerprint& fp) const { return static_cast<size_t>(fp.low); }
};

class PackObjectWriter final : public ObjectWriter {
 public:
  // `resumable`: the temp file is a NewResumableWriter partial, kept when
  // the writer is abandoned mid-write (see Finish()).
  PackObjectWriter(ChunkWriteTarget target, ObjectPromise promise, std::string temp_path,
                      std::unique_ptr<WritableFile> file, bool resumable = false);
  ~PackObjectWriter() override;
  PackObjectWriter(const PackObjectWriter&) = delete;
  PackObjectWriter& operator=(const PackObjectWriter&) = delete;

  Status Append(const char* data, size_t n) override;
  uint64_t bytes_written() const override { return bytes_written_.load(std::memory_order_acquire); }
  Result<size_t> ReadWritten(uint64_t offset, char* buf, size_t n) const override;
  Status Reset() override;
  Result<ObjectInfo> Verify() override;
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

  const ChunkWriteTarget target_;
  const ObjectPromise promise_;
  const std::string temp_path_;
  // Never replaced after construction, so concurrent ReadWritten is safe.
  const std::unique_ptr<WritableFile> file_;
  std::unique_ptr<Sha256Hasher> sha256_;
  std::unique_ptr<GitBlobHasher> git_sha1_;  // only when the promise names one
  std::optional<ObjectInfo> verified_;       // what Verify() found
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

}  // namespace hubmirror
