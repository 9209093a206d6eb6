// XorbFiles: the files of sealed xorbs, root/xet/xorbs/NN/<id>.xorb (NN =
// the id's low byte in hex, so no directory grows past a few thousand
// entries), and who may delete them.
//
// Locks (flock(2), so they hold across processes sharing the store and die
// with a killed one):
//   - a writer that deduplicates against a xorb holds a shared lock on its
//     file (a XorbPin) until its commit is done;
//   - a writer publishing its own xorbs holds an exclusive lock on each until
//     the catalog rows naming them are committed;
//   - deleting a xorb (removal, compaction, leftovers) takes the exclusive
//     lock without waiting and skips the xorb when it cannot.
// So a xorb is never deleted under a writer about to reference it, and a
// leftover sweep never deletes a file whose rows are about to appear.
//
// Readers do not lock: a deleted file stays readable through descriptors
// already open. Read handles are cached (bounded); thread-safe.
//
// With a bucket (several nodes sharing one store, object_storage.h) the
// bucket holds every sealed xorb, at xorbs/NN/<id>.xorb, and the directory
// is this node's cache of them: Share() uploads a sealed xorb before any
// catalog row may name it, a read of a xorb not cached fetches it (ranged
// GETs into a temporary file, renamed when complete), and the cache is
// trimmed to `cache_bytes`, least recently used first, sparing xorbs pinned
// or being published. Rows are deleted before the bucket object, which goes
// only after a grace period (XorbCatalog's doomed xorbs), so a row never
// names a missing object and a reader on another node that resolved the
// xorb just before still finds it; the catalog's transactions keep writers
// of other nodes from naming a xorb being deleted (XorbCatalog::CommitFile).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/objstore/object_storage.h"
#include "store/status.h"

namespace hubmirror {

// A shared lock on a xorb's file, and a read handle on it.
class XorbPin {
 public:
  explicit XorbPin(std::shared_ptr<RandomAccessFile> file) : file_(std::move(file)) {}
  const std::shared_ptr<RandomAccessFile>& file() const { return file_; }
  // Gives the lock up but keeps the read handle (a committed writer whose
  // readers still stream).
  void Unlock() const;

 private:
  std::shared_ptr<RandomAccessFile> file_;  // the lock lives as long as its descriptor
};

class XorbFiles {
 public:
  XorbFiles(Env* env, std::string dir, size_t max_idle_handles = 256)
      : env_(env), dir_(std::move(dir)), max_idle_handles_(max_idle_handles) {}
  // Bucket mode; `bucket` must outlive this. Fetches are written in
  // `tmp_dir` under `temp_prefix` (the store's), locked, as *.tmp: what a
  // crash leaves there is swept like any temp file.
  XorbFiles(Env* env, std::string dir, ObjectStorage* bucket, uint64_t cache_bytes,
            std::string tmp_dir, std::string temp_prefix);
  XorbFiles(const XorbFiles&) = delete;
  XorbFiles& operator=(const XorbFiles&) = delete;

  const std::string& dir() const { return dir_; }
  std::string FanDirOf(int64_t id) const;
  std::string PathOf(int64_t id) const;
  // The id named by a file name "<id>.xorb"; -1 for anything else.
  static int64_t IdOfName(const std::string& name);

  // A read handle (shared; kept open for later readers while memory allows).
  Result<std::shared_ptr<RandomAccessFile>> OpenForRead(int64_t id);
  // Drops cached handles no reader holds.
  void DropIdleReadHandles();
  // Forgets the cached handle of a deleted xorb.
  void Forget(int64_t id);

  // A shared lock on the xorb's file. NotFound when there is no file;
  // Unavailable while it is being deleted. The caller must check afterwards
  // that the xorb is still in the catalog (it may have been deleted between
  // the caller's lookup and this lock).
  Result<std::unique_ptr<XorbPin>> TryPin(int64_t id);

  // Takes the exclusive lock on the xorb's file without waiting; with it
  // held, runs `delete_rows` and removes the file if that returns true.
  // False (nothing done) when a pin or a publishing writer holds the file.
  // A missing file counts as removed once `delete_rows` agreed.
  Result<bool> RemoveIfUnlocked(int64_t id, const std::function<Result<bool>()>& delete_rows);

  // Ids of every xorb file on disk, ascending.
  Result<std::vector<int64_t>> ListIds();

  // Makes a sealed, durable xorb readable by every node (uploads it to the
  // bucket); nothing to do without one. Must succeed before a catalog row
  // names the xorb.
  Status Share(int64_t id);
  // Deletes a xorb's bucket object (after its rows, and a grace period for
  // readers of other nodes: XorbStore sweeps doomed xorbs).
  Status DeleteShared(int64_t id);
  // Takes back from the bucket a xorb Share()d for a commit that did not
  // happen (refused, failed, or the same file committed by another writer).
  // Deleted only when `named()` is false: an answer lost with the connection
  // may hide a commit that landed, and a row must never name a missing
  // object. Best effort (what stays is garbage); nothing without a bucket.
  void Unshare(int64_t id, const std::function<Result<bool>()>& named);
  // The bucket and the key of a xorb in it (null / "" without a bucket).
  ObjectStorage* bucket() const { return bucket_; }
  static std::string KeyOf(int64_t id);

  // Cache figures (bucket mode).
  BucketCacheFigures cache_stats();

 private:
  Env* const env_;
  const std::string dir_;
  const size_t max_idle_handles_;
  std::mutex mu_;
  // Cached read handles, most recently used at the front.
  std::list<std::pair<int64_t, std::shared_ptr<RandomAccessFile>>> lru_;  // guarded by mu_
  std::map<int64_t, decltype(lru_)::iterator> by_id_;                     // guarded by mu_

  // A new read handle on the xorb's local file, with `lock_shared` also
  // holding a shared lock on it (a pin); in bucket mode fetched into the
  // cache first when absent (one fetch per id at once).
  Result<std::unique_ptr<RandomAccessFile>> OpenLocal(int64_t id, bool lock_shared = false);
  // Bucket mode.
  // Copies the bucket's object into the cache (ranged GETs, renamed whole).
  Status Fetch(int64_t id);
  void ScanCacheLocked();  // cache_mu_ held
  void NoteCached(int64_t id, uint64_t bytes);
  void TrimCache();
  ObjectStorage* const bucket_ = nullptr;
  const uint64_t cache_bytes_ = 0;
  const std::string tmp_dir_;
  const std::string temp_prefix_;
  std::atomic<uint64_t> fetch_counter_{0};
  std::mutex cache_mu_;
  bool cache_scanned_ = false;                      // guarded by cache_mu_
  std::list<std::pair<int64_t, uint64_t>> cached_;  // most recent first; guarded by cache_mu_
  std::map<int64_t, decltype(cached_)::iterator> cached_by_id_;  // guarded by cache_mu_
  std::map<int64_t, std::shared_ptr<std::mutex>> fetching_;      // guarded by cache_mu_
  BucketCacheFigures stats_;                                     // guarded by cache_mu_
};

// flock(2) helpers; true when taken (or when there is no descriptor: test
// doubles have nothing to protect).
bool TryLockShared(int fd);
bool TryLockExclusive(int fd);
void Unlock(int fd);

}  // namespace hubmirror
