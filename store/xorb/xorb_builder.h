// XorbBuilder: one xorb being written by one object writer.
//
// Chunk records are appended to a temp file of the writer's own (created
// exclusively and flock()ed, so leftover sweeps of any process skip it) in
// large writes, direct to the device where the filesystem allows (a xorb is
// written once and most of it is not read back soon: the page cache's copy
// would cost a copy of every byte and evict what clients read); the last
// bytes below the direct-I/O alignment go through the page cache when the
// xorb is sealed. Seal() appends the footer, Sync() makes the file durable and
// Publish() renames it to its final name, still locked: the writer releases
// it (destroys the builder) only once the catalog rows naming it are
// committed. A builder destroyed removes its file (under whichever name it
// has), unless told to keep it: committed, or a resumable writer's bytes
// for the next process.
//
// While it is written, its chunks can be read (XorbBytes) by the threads
// that stream the object to clients: records still in the write buffer are
// copied from there. Thread-safe: one thread writes, any number read.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/aligned_buffer.h"
#include "store/env.h"
#include "store/xorb/xorb_bytes.h"
#include "store/xorb/catalog/xorb_catalog.h"

namespace hubmirror {

class XorbBuilder final : public XorbBytes {
 public:
  static Result<std::unique_ptr<XorbBuilder>> Create(Env* env, std::string temp_path, int64_t id);
  ~XorbBuilder() override;
  XorbBuilder(const XorbBuilder&) = delete;
  XorbBuilder& operator=(const XorbBuilder&) = delete;

  int64_t id() const { return id_; }
  const std::string& path() const { return path_; }
  // Whether one more chunk of `raw_size` bytes fits the xorb limits.
  bool HasRoomFor(size_t raw_size) const;
  size_t num_chunks() const;
  uint64_t raw_bytes() const;

  // Appends a chunk's record (`stored` holds its bytes under `scheme`);
  // returns its index. Not after Seal().
  Result<uint32_t> Add(const XetHash& hash, XetScheme scheme, const char* stored,
                       uint32_t stored_size, uint32_t raw_size);
  // Writes every buffered record to the file.
  Status Flush();
  // Flushes and appends the footer; no Add() after it.
  Status Seal();
  bool sealed() const { return sealed_; }
  Status Sync();
  // Renames the sealed, synced file to `final_path` (creating and syncing
  // its directory as needed); the lock stays until destruction.
  Status Publish(const std::string& final_path);
  // Leaves the file in place on destruction (committed, or a resumable
  // writer's bytes).
  void KeepFileOnDestruction() { keep_file_ = true; }
  // Gives the exclusive lock up (its rows are committed); reads go on.
  void Unlock();
  // The row and chunk table to commit (after Seal()).
  NewXorb Describe() const;

  Result<size_t> ReadRaw(uint32_t start, uint32_t end, uint64_t offset, char* buf, size_t n,
                         ChunkDecoder* decoder) const override;

 private:
  XorbBuilder(Env* env, std::string path, int64_t id, std::unique_ptr<WritableFile> file);
  // Writes the buffered bytes, or with `all` false only as many as keep the
  // file's end aligned for direct I/O (the rest waits for more).
  Status Write(bool all);

  Env* const env_;
  std::string path_;
  const int64_t id_;
  const std::unique_ptr<WritableFile> file_;
  bool sealed_ = false;
  bool keep_file_ = false;
  XetHash hash_;        // set by Seal()
  uint64_t file_bytes_ = 0;

  mutable std::mutex mu_;
  XorbTable chunks_;     // guarded by mu_
  AlignedBuffer buffer_; // bytes not written yet; guarded by mu_
  uint64_t flushed_ = 0; // bytes in the file; guarded by mu_
  uint64_t end_ = 0;     // records appended (file + buffer); guarded by mu_
  uint64_t raw_ = 0;     // guarded by mu_
};

}  // namespace hubmirror
