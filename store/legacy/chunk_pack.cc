#include "store/legacy/chunk_pack.h"

#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace hubmirror {

Status ReadFully(const RandomAccessFile& file, uint64_t offset, char* buf, size_t n) {
  return ReadExactlyAt(file, offset, buf, n, "pack file is shorter than its catalog says");
}

namespace {


// A stretch of the object served from one place: either a run of raw bytes in
// a pack, or one compressed chunk.
struct Extent {
  uint64_t logical = 0;  // offset in the object
  uint64_t length = 0;   // raw bytes
  std::shared_ptr<RandomAccessFile> pack;
  ChunkLocation chunk;  // compressed: the chunk; raw: offset = run start
};

class ChunkedObjectReader final : public ObjectReader {
 public:
  ChunkedObjectReader(std::vector<Extent> extents, uint64_t size)
      : extents_(std::move(extents)), size_(size) {}

  uint64_t size() const override { return size_; }

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    if (offset >= size_) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    // Last extent starting at or before offset.
    auto it = std::upper_bound(extents_.begin(), extents_.end(), offset,
                               [](uint64_t off, const Extent& e) { return off < e.logical; });
    --it;
    size_t done = 0;
    while (done < n && it != extents_.end()) {
      const uint64_t within = offset + done - it->logical;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n - done, it->length - within));
      if (it->chunk.compression == ChunkCompression::kNone) {
        HM_RETURN_IF_ERROR(ReadFully(*it->pack, it->chunk.offset + within, buf + done, take));
      } else {
        HM_RETURN_IF_ERROR(CopyFromCompressed(*it, within, buf + done, take));
      }
      done += take;
      ++it;
    }
    return done;
  }

  bool GetRawSpan(uint64_t offset, RawFileSpan* span) const override {
    if (offset >= size_) return false;
    auto it = std::upper_bound(extents_.begin(), extents_.end(), offset,
                               [](uint64_t off, const Extent& e) { return off < e.logical; });
    --it;
    if (it->chunk.compression != ChunkCompression::kNone || it->pack->fd() < 0) return false;
    const uint64_t within = offset - it->logical;
    *span = RawFileSpan{it->pack->fd(), it->chunk.offset + within, it->length - within};
    return true;
  }

 private:
  // One decompressed chunk is cached: sequential small reads of a compressed
  // chunk decompress it once.
  Status CopyFromCompressed(const Extent& e, uint64_t within, char* out, size_t n) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_id_ != e.chunk.id || cached_pack_ != e.chunk.pack ||
        cached_offset_ != e.chunk.offset) {
      if (!dctx_) dctx_.reset(ZSTD_createDCtx());
      cached_id_ = -1;
      HM_RETURN_IF_ERROR(ReadChunkBytes(*e.pack, e.chunk, dctx_.get(), &scratch_, &cache_));
      cached_id_ = e.chunk.id;
      cached_pack_ = e.chunk.pack;
      cached_offset_ = e.chunk.offset;
    }
    std::memcpy(out, cache_.data() + within, n);
    return Status::Ok();
  }

  const std::vector<Extent> extents_;
  const uint64_t size_;
  mutable std::mutex mu_;
  mutable ZstdDecompressContext dctx_;  // guarded by mu_
  mutable std::string scratch_;         // guarded by mu_
  mutable std::string cache_;           // guarded by mu_
  mutable int64_t cached_id_ = -1;      // guarded by mu_
  mutable int64_t cached_pack_ = -1;    // guarded by mu_
  mutable uint64_t cached_offset_ = 0;  // guarded by mu_
};

}  // namespace

std::string PackSet::PackName(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08" PRId64 ".pack", id);
  return buf;
}

Result<std::unique_ptr<PackAppender>> PackSet::Acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!idle_.empty()) {
    std::unique_ptr<PackAppender> pack = std::move(idle_.back());
    idle_.pop_back();
    return pack;
  }
  // Another process sharing the store may have taken an id: skip it.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int64_t id = next_id_++;
    auto file = env_->NewWritableFile(dir_ + "/" + PackName(id));
    if (file.ok()) {
      // Held until Close(). Blocking: a trim (ReclaimTail, TrimPackTails)
      // in another process may hold it for a moment on the empty file; a
      // writer that went on without it could have its appends cut.
      if ((*file)->fd() >= 0) {
        while (::flock((*file)->fd(), LOCK_EX) != 0 && errno == EINTR) {
        }
      }
      // The new name must survive a crash before any commit relies on it.
      HM_RETURN_IF_ERROR(env_->SyncDir(dir_));
      auto pack = std::make_unique<PackAppender>();
      pack->id = id;
      pack->file = std::move(file).value();
      return pack;
    }
    if (file.status().code() != StatusCode::kAlreadyExists) return std::move(file).status();
  }
  return Status::Internal("chunked store: no free pack file name in " + dir_);
}

void PackSet::Release(std::unique_ptr<PackAppender> pack) {
  if (!pack) return;
  if (pack->size >= target_bytes_) {
    (void)pack->file->Close();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(pack));
}

void PackSet::Rewind(std::unique_ptr<PackAppender>* pack, uint64_t offset) {
  PackAppender* p = pack->get();
  if (p == nullptr || offset >= p->size) return;
  if (!p->file->Truncate(offset).ok()) return;  // garbage stays; still correct
  p->size = offset;
  if (offset == 0) {
    (void)p->file->Close();
    (void)env_->RemoveFile(dir_ + "/" + PackName(p->id));
    std::lock_guard<std::mutex> lock(mu_);
    readers_.erase(p->id);
    pack->reset();
  }
}

void PackSet::ReclaimTail(int64_t pack, std::vector<ChunkLocation> garbage) {
  std::sort(garbage.begin(), garbage.end(),
            [](const ChunkLocation& a, const ChunkLocation& b) { return a.offset < b.offset; });
  // Where the pack would end once the garbage contiguous with `end` is gone.
  auto cut_from = [&garbage](uint64_t end) {
    for (auto it = garbage.rbegin(); it != garbage.rend(); ++it) {
      if (it->offset + it->stored_size != end) break;
      end = it->offset;
    }
    return end;
  };
  const std::string path = dir_ + "/" + PackName(pack);
  std::unique_ptr<PackAppender> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // An open ObjectReader holds the pack's read handle: the removed object
    // may still be read through it, so its bytes must stay.
    auto reader = readers_.find(pack);
    if (reader != readers_.end() && reader->second.use_count() > 1) return;
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if ((*it)->id == pack) {
        if (cut_from((*it)->size) == (*it)->size) return;  // stays in rotation
        idle = std::move(*it);
        idle_.erase(it);
        break;
      }
    }
  }
  std::unique_ptr<WritableFile> file;
  uint64_t size = 0;
  if (idle) {
    // Retired: appending at offsets a committed chunk had would hand them
    // new bytes under readers that looked the old chunk up.
    file = std::move(idle->file);
    size = idle->size;
  } else {
    // A pack no writer of any process holds (a writer keeps its pack's
    // flock until it closes it, and never appends once it has).
    auto opened = env_->OpenWritableFile(path);
    if (!opened.ok() || (*opened)->fd() < 0) return;
    file = std::move(opened).value();
    if (::flock(file->fd(), LOCK_EX | LOCK_NB) != 0) return;
    auto stat = env_->FileSize(path);
    if (!stat.ok()) return;
    size = *stat;
  }
  const uint64_t cut = cut_from(size);
  if (cut < size && file->Truncate(cut).ok() && cut == 0) {
    (void)env_->RemoveFile(path);
    ForgetReader(pack);
  }
  (void)file->Close();  // releases the flock
}

Result<std::shared_ptr<RandomAccessFile>> PackSet::OpenForRead(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = readers_.find(id);
  if (it != readers_.end()) return it->second;
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                      env_->NewRandomAccessFile(dir_ + "/" + PackName(id)));
  std::shared_ptr<RandomAccessFile> shared(std::move(file));
  readers_.emplace(id, shared);
  return shared;
}

void PackSet::DropIdleReadHandles() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = readers_.begin(); it != readers_.end();) {
    it = it->second.use_count() == 1 ? readers_.erase(it) : std::next(it);
  }
}

void PackSet::ForgetReader(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  readers_.erase(id);
}

bool PackSet::RetireIdle(int64_t id) {
  std::unique_ptr<PackAppender> retired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if ((*it)->id == id) {
        retired = std::move(*it);
        idle_.erase(it);
        break;
      }
    }
  }
  if (!retired) return false;
  (void)retired->file->Close();
  return true;
}

Status ReadChunkBytes(const RandomAccessFile& pack, const ChunkLocation& loc, ZSTD_DCtx* dctx,
                      std::string* scratch, std::string* out) {
  out->resize(loc.raw_size);
  if (loc.compression == ChunkCompression::kNone) {
    if (loc.stored_size != loc.raw_size) return Status::DataLoss("chunk sizes disagree");
    return ReadFully(pack, loc.offset, out->data(), loc.raw_size);
  }
  if (loc.compression != ChunkCompression::kZstd) return Status::DataLoss("unknown compression");
  scratch->resize(loc.stored_size);
  HM_RETURN_IF_ERROR(ReadFully(pack, loc.offset, scratch->data(), loc.stored_size));
  size_t got = ZSTD_decompressDCtx(dctx, out->data(), out->size(), scratch->data(), scratch->size());
  if (ZSTD_isError(got) || got != loc.raw_size) {
    return Status::DataLoss("chunk " + std::to_string(loc.id) + " does not decompress");
  }
  return Status::Ok();
}

Result<std::unique_ptr<ObjectReader>> NewChunkedObjectReader(
    PackSet* packs, const std::vector<ChunkLocation>& chunks, uint64_t size) {
  std::vector<Extent> extents;
  uint64_t logical = 0;
  for (const ChunkLocation& c : chunks) {
    const bool raw = c.compression == ChunkCompression::kNone;
    if (raw && !extents.empty()) {
      Extent& last = extents.back();
      if (last.chunk.compression == ChunkCompression::kNone && last.chunk.pack == c.pack &&
          last.chunk.offset + last.length == c.offset) {
        last.length += c.raw_size;
        logical += c.raw_size;
        continue;
      }
    }
    Extent e;
    e.logical = logical;
    e.length = c.raw_size;
    e.chunk = c;
    HM_ASSIGN_OR_RETURN(e.pack, packs->OpenForRead(c.pack));
    extents.push_back(std::move(e));
    logical += c.raw_size;
  }
  if (logical != size) return Status::DataLoss("object chunks do not add up to its size");
  return std::unique_ptr<ObjectReader>(new ChunkedObjectReader(std::move(extents), size));
}

}  // namespace hubmirror
