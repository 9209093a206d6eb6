#include "store/legacy/pack_compaction.h"

#include <sys/file.h>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

namespace hubmirror {
namespace {

// "00000012.pack" -> 12; -1 for other names (leftovers, temp files).
int64_t PackIdOf(const std::string& name) {
  int64_t id = -1;
  char tail[8] = {0};
  if (name.size() != 13 || std::sscanf(name.c_str(), "%8" SCNd64 ".%4s", &id, tail) != 2 ||
      std::string(tail) != "pack") {
    return -1;
  }
  return id;
}

// Holds an exclusive flock on an open pack for the duration of its
// compaction; fails when a writer holds the pack.
class PackLock {
 public:
  explicit PackLock(const RandomAccessFile& file) : fd_(file.fd()) {
    locked_ = fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
  }
  ~PackLock() {
    if (locked_ && fd_ >= 0) ::flock(fd_, LOCK_UN);
  }
  bool locked() const { return locked_; }

 private:
  int fd_;
  bool locked_ = false;
};

Status CopyChunks(const RandomAccessFile& from, const std::vector<ChunkLocation>& live,
                  PackAppender* to, std::vector<ChunkMove>* moves) {
  std::string buf;
  for (const ChunkLocation& chunk : live) {
    buf.resize(chunk.stored_size);
    HM_RETURN_IF_ERROR(ReadFully(from, chunk.offset, buf.data(), buf.size()));
    HM_RETURN_IF_ERROR(to->file->Append(buf.data(), buf.size()));
    moves->push_back(ChunkMove{chunk.id, chunk.offset, to->size});
    to->size += chunk.stored_size;
  }
  return to->file->Sync();
}

}  // namespace

Result<PackCompactionReport> CompactPacks(Env* env, PackSet* packs, ChunkCatalog* catalog,
                                      double min_dead_fraction) {
  PackCompactionReport report;
  HM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(packs->dir()));
  for (const std::string& name : names) {
    const int64_t id = PackIdOf(name);
    if (id < 0) continue;
    const std::string path = packs->dir() + "/" + name;
    auto file = env->NewRandomAccessFile(path);
    if (!file.ok()) {
      if (file.status().IsNotFound()) continue;  // compacted by another process
      return file.status();
    }
    // Decide on a first look, then look again under the pack's lock (a
    // writer may have appended meanwhile).
    uint64_t size = 0, live_bytes = 0;
    std::vector<ChunkLocation> live;
    auto worth_compacting = [&]() -> Result<bool> {
      HM_ASSIGN_OR_RETURN(size, (*file)->Size());
      HM_ASSIGN_OR_RETURN(live, catalog->PackChunks(id));
      live_bytes = 0;
      for (const ChunkLocation& c : live) live_bytes += c.stored_size;
      const uint64_t dead = size > live_bytes ? size - live_bytes : 0;
      return dead > 0 &&
             static_cast<double>(dead) >= min_dead_fraction * static_cast<double>(size);
    };
    HM_ASSIGN_OR_RETURN(bool worth, worth_compacting());
    if (!worth) continue;
    // An idle pack of this process is retired (never appended to again) so
    // it can be compacted; a pack a writer holds keeps its lock: skipped.
    packs->RetireIdle(id);
    PackLock lock(**file);
    if (!lock.locked()) {
      ++report.packs_busy;
      continue;
    }
    HM_ASSIGN_OR_RETURN(worth, worth_compacting());
    if (!worth) continue;

    std::vector<ChunkMove> moves;
    int64_t to_id = 0;
    if (!live.empty()) {
      HM_ASSIGN_OR_RETURN(std::unique_ptr<PackAppender> to, packs->Acquire());
      to_id = to->id;
      const uint64_t to_start = to->size;
      Status copied = CopyChunks(**file, live, to.get(), &moves);
      if (!copied.ok()) {
        packs->Rewind(&to, to_start);
        packs->Release(std::move(to));
        return copied;
      }
      packs->Release(std::move(to));
    }
    // Rows first, then the file: a crash in between leaves an unreferenced
    // pack (dead bytes a later compaction deletes), never a dangling row.
    HM_RETURN_IF_ERROR(catalog->RelocateChunks(id, to_id, moves));
    HM_RETURN_IF_ERROR(env->RemoveFile(path));
    HM_RETURN_IF_ERROR(env->SyncDir(packs->dir()));
    packs->ForgetReader(id);
    ++report.packs_compacted;
    report.chunks_moved += moves.size();
    report.bytes_before += size;
    report.bytes_after += live_bytes;
  }
  return report;
}

Result<std::vector<PackTail>> ScanPackTails(Env* env, PackSet* packs, ChunkCatalog* catalog,
                                            bool trim) {
  std::vector<PackTail> tails;
  HM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(packs->dir()));
  for (const std::string& name : names) {
    const int64_t id = PackIdOf(name);
    if (id < 0) continue;
    const std::string path = packs->dir() + "/" + name;
    PackTail tail{id, 0, 0};
    auto measure = [&]() -> Result<bool> {
      HM_ASSIGN_OR_RETURN(tail.size, env->FileSize(path));
      HM_ASSIGN_OR_RETURN(tail.referenced_end, catalog->PackEnd(id));
      return tail.size > tail.referenced_end;
    };
    // A first look without the lock: most packs end with a committed chunk,
    // and a pack just created (empty) is never locked here.
    auto worth = measure();
    if (worth.status().IsNotFound()) continue;  // compacted meanwhile
    HM_RETURN_IF_ERROR(worth.status());
    if (!*worth) continue;
    // The cut goes through the descriptor holding the lock (see
    // Env::OpenWritableFile); a scan only needs a shared lock.
    std::unique_ptr<WritableFile> writable;
    std::unique_ptr<RandomAccessFile> readable;
    int fd = -1;
    if (trim) {
      auto opened = env->OpenWritableFile(path);
      if (opened.status().IsNotFound()) continue;
      HM_RETURN_IF_ERROR(opened.status());
      writable = std::move(opened).value();
      fd = writable->fd();
    } else {
      auto opened = env->NewRandomAccessFile(path);
      if (opened.status().IsNotFound()) continue;
      HM_RETURN_IF_ERROR(opened.status());
      readable = std::move(opened).value();
      fd = readable->fd();
    }
    // No descriptor (a test double) proves nothing about writers: skip.
    if (fd < 0 || ::flock(fd, (trim ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) continue;
    // Under the lock no chunk can be committed into the pack; rows may
    // still go (Remove), which only makes the cut more cautious.
    worth = measure();
    if (worth.status().IsNotFound()) continue;
    HM_RETURN_IF_ERROR(worth.status());
    if (!*worth) continue;
    if (trim) {
      HM_RETURN_IF_ERROR(writable->Truncate(tail.referenced_end));
      if (tail.referenced_end == 0) {
        HM_RETURN_IF_ERROR(env->RemoveFile(path));
        packs->ForgetReader(id);
      }
    }
    tails.push_back(tail);
  }  // each descriptor closes here, releasing its lock
  if (trim && !tails.empty()) HM_RETURN_IF_ERROR(env->SyncDir(packs->dir()));
  return tails;
}

}  // namespace hubmirror
