// ObjectStore: content-addressed bytes, keyed by the SHA-256 of the content.
//
// An object is written through an ObjectWriter that hashes on the way and
// becomes visible only at Commit(), and only when its size and digests match
// what the upstream promised: a reader never sees a partial or wrong object.
// Storing bytes that are already present is a no-op (the same file in two repos
// or revisions is kept once).
//
// This is an interface so the layout can change without touching callers:
// the Xet-native store (xorb/xorb_object_store.h) keeps an object as Xet
// chunks in xorbs and is what serve, sync and import use; the layouts of
// earlier releases (legacy/) are read through the same interface.
//
// Thread safety: an ObjectStore is thread-safe. An ObjectWriter is written by
// one thread, while ReadWritten/bytes_written may be called from any thread.
// ObjectReaders are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/env.h"
#include "store/status.h"

namespace hubmirror {

// What the upstream said the bytes will be before they arrive. At least one of
// the digests is set; the object is committed only if every set one matches.
struct ObjectPromise {
  uint64_t size = 0;
  std::string sha256;    // lower hex; known for LFS files (the LFS oid)
  std::string git_sha1;  // lower hex git blob id; known for regular files
};

// What was committed: digests computed from the bytes themselves.
struct ObjectInfo {
  std::string sha256;
  // Always set by NewFileObjectStore; the chunked store sets it only when the
  // promise names a git sha1 or no sha256 (see chunked_object_store.h).
  std::string git_sha1;
  uint64_t size = 0;
  // The Xet file hash (hex rule) of the bytes as the store chunked them;
  // "" from stores of older layouts.
  std::string xet_hash;
};

// A stretch of an object's bytes stored verbatim in a plain file.
struct RawFileSpan {
  int fd = -1;
  uint64_t file_offset = 0;  // where the object byte at the asked offset is
  uint64_t length = 0;       // object bytes available from there, contiguously
};

// InvalidArgument unless `sha256` is 64 lower-case hex: an object's name,
// checked before it becomes part of a path.
Status ValidateObjectDigest(const std::string& sha256);
// InvalidArgument unless the promise names a well-formed sha256, git sha1 or
// both (NewWriter checks it before anything is written).
Status ValidateObjectPromise(const ObjectPromise& promise);

// DataLoss naming expected and actual values when the bytes' size or digests
// (`actual`) differ from what was promised; every ObjectWriter checks this
// before an object becomes visible. An empty digest in `actual` is compared
// only if the promise names one.
Status VerifyAgainstPromise(const ObjectPromise& promise, const ObjectInfo& actual);
// Whether a writer computes the git blob id of the bytes: when the promise
// names one, or names no sha256 to check instead. The blob id of an LFS file
// is never looked up, and hashing its weights twice would cost a third of
// the ingest rate.
inline bool PromiseNeedsGitBlobId(const ObjectPromise& promise) {
  return !promise.git_sha1.empty() || promise.sha256.empty();
}
// DataLoss when appending n bytes to `written` would exceed the promised
// size: every ObjectWriter refuses such an Append before taking a byte.
Status CheckAppendFitsPromise(const ObjectPromise& promise, uint64_t written, size_t n);

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual uint64_t size() const = 0;
  // Up to n bytes at offset; 0 at or past the end.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const = 0;
  // The backing descriptor when the object is one plain file (for sendfile);
  // -1 otherwise.
  virtual int fd() const { return -1; }
  // For zero-copy serving (mmap/sendfile) of objects that are not one plain
  // file: where the bytes at `offset` lie verbatim (a run of uncompressed
  // chunks in a pack, or the object file itself). False when they must be
  // read through ReadAt (a compressed chunk, no descriptor, past the end).
  // The descriptor stays valid while the reader lives; never write to it.
  virtual bool GetRawSpan(uint64_t offset, RawFileSpan* span) const { return false; }
  // The spans of GetRawSpan for the bytes from `offset` on, one after the
  // other, as long as they lie in the same file, in increasing order, within
  // `window_bytes` of the first span's start, and up to `max_spans`: what one
  // mapping of the file can serve (a xorb's uncompressed chunks lie verbatim
  // between their 8-byte record headers). Returns how many; 0 when the
  // bytes at `offset` must be read through ReadAt.
  virtual size_t GetRawSpans(uint64_t offset, uint64_t window_bytes, RawFileSpan* spans,
                             size_t max_spans) const;
};

class ObjectWriter {
 public:
  // Destroying an uncommitted writer aborts it: its temp data is removed.
  virtual ~ObjectWriter() = default;
  virtual Status Append(const char* data, size_t n) = 0;
  virtual uint64_t bytes_written() const = 0;
  // Reads back bytes already appended (offset + n may exceed bytes_written;
  // the read is then short). Valid after Commit() too.
  virtual Result<size_t> ReadWritten(uint64_t offset, char* buf, size_t n) const = 0;
  // Throws away everything appended so far (a transfer restarting from byte 0).
  virtual Status Reset() = 0;
  // Once every byte is appended: checks size and digests against the
  // promise, without making anything durable or visible yet. After an OK,
  // the bytes are known good (a streaming reader may take the last byte)
  // and Commit() only makes the object durable and visible. DataLoss as for
  // Commit(). Calling it is optional: Commit() verifies itself otherwise.
  virtual Result<ObjectInfo> Verify() = 0;
  // Verifies size and digests against the promise; on success the object is
  // durable (fsynced, renamed, directory synced) and visible. On DataLoss
  // nothing becomes visible and the temp data is removed. A failed Commit
  // may finish the writer (the chunked store's does): use a new one.
  virtual Result<ObjectInfo> Commit() = 0;
  virtual const ObjectPromise& promise() const = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual bool Contains(const std::string& sha256) = 0;
  virtual Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) = 0;
  virtual Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) = 0;
  // A writer whose temp data outlives it, and the process, so that a later
  // writer of the same promise continues where it stopped (`hubmirror sync`
  // after a kill): bytes_written() is where to resume; the bytes already
  // there are hashed again and verified by Commit() like appended ones. The
  // temp data is kept when the writer is destroyed uncommitted while still
  // writing, and removed on Commit(), DataLoss, or a failed Append. While
  // another writer (thread or process) continues the same promise, this
  // returns an ordinary writer. Stores that cannot resume return NewWriter().
  virtual Result<std::unique_ptr<ObjectWriter>> NewResumableWriter(const ObjectPromise& promise) {
    return NewWriter(promise);
  }
  // Removes a committed object (NotFound if it is not stored). Readers that
  // already opened it keep reading their copy. The caller owns the decision:
  // an index row naming the object must go first, or the object must have
  // been added by the caller itself (an import rolling back).
  virtual Status Remove(const std::string& sha256) = 0;
  // Removes leftovers of writes interrupted by a crash. Call once at start-up.
  // Temp data a live writer (of any process sharing the store) still holds
  // is left alone, and so is resumable data (NewResumableWriter) until it is
  // a week old.
  virtual Status CleanTemporaryFiles() = 0;
};

// The oldest layout (legacy/file_object_store.h): one file per object under
// root/objects/sha256/ab/cdef..., temp files under root/tmp. Read by the
// current store until migrated; `env` must outlive the store.
Result<std::unique_ptr<ObjectStore>> NewFileObjectStore(Env* env, const std::string& root);

}  // namespace hubmirror
