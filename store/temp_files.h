// The object store's temp directory (root/tmp) is shared by every process
// that opens the store: `serve` and `hubmirror sync` may run at once. These
// helpers let each of them tell its own in-flight files from leftovers of a
// crashed one without any registry: a writer holds an exclusive flock() on
// its temp file for as long as it has it open, and a cleaner removes only
// files it can lock itself (the lock dies with the process, so a killed
// writer's file becomes removable at once).
#pragma once

#include <cstdint>
#include <string>

#include "store/env.h"
#include "store/object_store.h"
#include "store/status.h"

namespace hubmirror {

// Resumable temp data (ObjectStore::NewResumableWriter) older than this is
// removed by CleanTempDir: the sync that would have continued it has
// evidently gone.
inline constexpr int64_t kStalePartialMicros = int64_t{7} * 24 * 3600 * 1000000;

// A name prefix no other store instance sharing the temp directory uses:
// 64 random bits and the pid ("<16 hex>-<pid>"), so a process's temp
// files are its own and a crashed one's are recognizable as leftovers.
std::string UniqueTempPrefix();

// Takes an exclusive flock on `fd` without waiting. True when taken, or when
// there is no descriptor to lock (test doubles: nothing to protect).
bool TryLockTempFile(int fd);

// "resume-<sha256>.partial", or "resume-git-<sha1>.partial" when the promise
// names no sha256: one name per object, so the next writer finds it.
std::string PartialFileName(const ObjectPromise& promise);

// Whether `path` is still the file open as `fd` (a cleaner may have removed
// it between our open and our lock).
bool SameFile(const std::string& path, int fd);

// Removes from `dir` every file no live writer holds: *.tmp leftovers, and
// *.partial files last written more than kStalePartialMicros before
// `now_micros` (younger ones are kept for the next sync to continue).
Status CleanTempDir(Env* env, const std::string& dir, int64_t now_micros);

}  // namespace hubmirror
