// Internal to the chunked store: pack files and reading chunks back.
//
// A pack is append-only: bytes once written at an offset never change, so any
// number of readers may pread a pack while one writer (the holder of its
// PackAppender) appends. Only a writer's own uncommitted appends are cut and
// then written over; once a committed chunk's bytes are cut (ReclaimTail, a
// tail trim) the pack gets no more appends, so an offset a reader looked up
// never comes to hold other bytes. PackSet hands each writer a pack
// exclusively and caches read handles; it is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/legacy/chunk_catalog.h"
#include "store/env.h"
#include "store/object_store.h"
#include "store/status.h"
#include "store/zstd_context.h"

namespace hubmirror {

// Exclusive append access to one pack. While it is open, the pack file also
// holds an exclusive flock(2), so that compaction in any process (`hubmirror
// gc` beside a running `serve`) leaves packs being appended to alone.
struct PackAppender {
  int64_t id = 0;
  std::unique_ptr<WritableFile> file;
  uint64_t size = 0;
};

class PackSet {
 public:
  PackSet(Env* env, std::string dir, int64_t next_id, uint64_t target_bytes)
      : env_(env), dir_(std::move(dir)), next_id_(next_id), target_bytes_(target_bytes) {}
  PackSet(const PackSet&) = delete;
  PackSet& operator=(const PackSet&) = delete;

  static std::string PackName(int64_t id);
  const std::string& dir() const { return dir_; }

  // A pack for appending: a returned one with room, else a new file.
  Result<std::unique_ptr<PackAppender>> Acquire();
  // Gives a pack back; a full one is closed and never appended to again.
  void Release(std::unique_ptr<PackAppender> pack);
  // Cuts bytes [offset, end) off a writer's own pack (an aborted write);
  // a pack left empty is deleted.
  void Rewind(std::unique_ptr<PackAppender>* pack, uint64_t offset);
  // Best effort: if `garbage` (chunks whose catalog rows are gone) is
  // exactly the tail of a pack no writer holds, cuts it off (deleting a pack
  // left empty). Skipped while an ObjectReader of this process has the pack
  // open. A pack cut this way is never appended to again (an idle one is
  // retired): a reader elsewhere that looked its chunks up before the
  // removal may then read short, but never bytes appended after the cut.
  void ReclaimTail(int64_t pack, std::vector<ChunkLocation> garbage);
  Result<std::shared_ptr<RandomAccessFile>> OpenForRead(int64_t id);
  // Drops cached read handles no reader uses, so that the disk space of
  // packs deleted by compaction (here or in another process) is released.
  void DropIdleReadHandles();
  // Forgets the cached read handle of a pack deleted by compaction.
  void ForgetReader(int64_t id);
  // Takes an idle pack out of rotation for compaction: it is closed (its
  // lock released) and never appended to again. False when the pack is not
  // idle here (a writer holds it, or it belongs to no writer of this process).
  bool RetireIdle(int64_t id);

 private:
  Env* const env_;
  const std::string dir_;
  std::mutex mu_;
  int64_t next_id_;  // guarded by mu_
  const uint64_t target_bytes_;
  std::vector<std::unique_ptr<PackAppender>> idle_;               // guarded by mu_
  std::map<int64_t, std::shared_ptr<RandomAccessFile>> readers_;  // guarded by mu_
};

// ReadExactlyAt (store/env.h), short reads naming the pack.
Status ReadFully(const RandomAccessFile& file, uint64_t offset, char* buf, size_t n);

// The pack a writer is appending to, read through its WritableFile (for
// ReadChunkBytes: comparing a chunk with one the same writer appended).
class AppendingPackView final : public RandomAccessFile {
 public:
  explicit AppendingPackView(const WritableFile* file) : file_(file) {}
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    return file_->ReadAt(offset, buf, n);
  }
  Result<uint64_t> Size() const override { return Status::Internal("unused"); }

 private:
  const WritableFile* file_;
};

// Reads the raw bytes of one chunk (decompressing if needed) into *out.
Status ReadChunkBytes(const RandomAccessFile& pack, const ChunkLocation& loc, ZSTD_DCtx* dctx,
                      std::string* scratch, std::string* out);

// A reader over an object's chunk list. Adjacent uncompressed chunks that are
// contiguous in one pack are merged into runs read with one pread each.
Result<std::unique_ptr<ObjectReader>> NewChunkedObjectReader(
    PackSet* packs, const std::vector<ChunkLocation>& chunks, uint64_t size);

}  // namespace hubmirror
