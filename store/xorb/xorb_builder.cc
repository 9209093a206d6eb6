#include "store/xorb/xorb_builder.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "store/xorb/xorb_files.h"

namespace hubmirror {
namespace {

// Records go to the file in writes of this size: large writes give the page
// cache large folios, which makes warm reads of the file faster than after
// one write per 64 KiB chunk.
constexpr size_t kWriteBytes = 4 << 20;

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

Result<std::unique_ptr<XorbBuilder>> XorbBuilder::Create(Env* env, std::string temp_path,
                                                         int64_t id) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewDirectWritableFile(temp_path));
  // Fresh and exclusively created: nobody else can hold the lock; it tells
  // leftover sweeps (in any process) that the file is in use.
  (void)TryLockExclusive(file->fd());
  return std::unique_ptr<XorbBuilder>(
      new XorbBuilder(env, std::move(temp_path), id, std::move(file)));
}

XorbBuilder::XorbBuilder(Env* env, std::string path, int64_t id,
                         std::unique_ptr<WritableFile> file)
    : env_(env), path_(std::move(path)), id_(id), file_(std::move(file)) {
  buffer_.Reserve(kWriteBytes + AlignedBuffer::kAlignment + kXetRecordHeaderBytes +
                  kXetMaxStoredChunkBytes);
}

XorbBuilder::~XorbBuilder() {
  (void)file_->Close();
  // Wherever it is (temp or final name): not committed, not ours to keep.
  // Best effort: a leftover is swept at the next start.
  if (!keep_file_) (void)env_->RemoveFile(path_);
}

bool XorbBuilder::HasRoomFor(size_t raw_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  return !sealed_ && chunks_.size() < kXorbMaxChunks && raw_ + raw_size <= kXorbMaxRawBytes;
}

size_t XorbBuilder::num_chunks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.size();
}

uint64_t XorbBuilder::raw_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return raw_;
}

Result<uint32_t> XorbBuilder::Add(const XetHash& hash, XetScheme scheme, const char* stored,
                                  uint32_t stored_size, uint32_t raw_size) {
  bool flush = false;
  uint32_t index = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sealed_ || chunks_.size() >= kXorbMaxChunks || raw_ + raw_size > kXorbMaxRawBytes) {
      return Status::Internal("xorb " + std::to_string(id_) + " is full or sealed");
    }
    XorbChunk c;
    c.hash = hash;
    c.record_offset = end_;
    c.stored_size = stored_size;
    c.raw_size = raw_size;
    c.raw_offset = raw_;
    c.scheme = scheme;
    uint8_t header[kXetRecordHeaderBytes];
    EncodeRecordHeader(XetRecordHeader{stored_size, scheme, raw_size}, header);
    buffer_.Append(header, sizeof(header));
    buffer_.Append(stored, stored_size);
    end_ = c.record_end();
    raw_ += raw_size;
    index = static_cast<uint32_t>(chunks_.size());
    chunks_.push_back(c);
    flush = buffer_.size() >= kWriteBytes;
  }
  if (flush) HM_RETURN_IF_ERROR(Write(/*all=*/false));
  return index;
}

Status XorbBuilder::Flush() { return Write(/*all=*/true); }

Status XorbBuilder::Write(bool all) {
  // Only the writing thread changes the buffer, so the write itself runs
  // without the lock while readers keep copying from the buffer; they move
  // to the file once `flushed_` does.
  const size_t alignment = file_->direct_io_alignment();
  const char* data = nullptr;
  size_t size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    data = buffer_.data();
    size = buffer_.size();
  }
  if (!all && alignment > 0) size -= size % alignment;
  if (size == 0) return Status::Ok();
  HM_RETURN_IF_ERROR(file_->Append(data, size));
  uint64_t written_from = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    written_from = flushed_;
    flushed_ += size;
    buffer_.DropFront(size);
  }
  // Through the page cache: start writeback of what was just written,
  // without waiting for it, so that the fsync before the commit finds most
  // of the xorb on disk already instead of flushing all of it at the end.
  if (alignment == 0 && file_->fd() >= 0) {
    (void)::sync_file_range(file_->fd(), static_cast<off_t>(written_from),
                            static_cast<off_t>(size), SYNC_FILE_RANGE_WRITE);
  }
  return Status::Ok();
}

Status XorbBuilder::Seal() {
  if (sealed_) return Status::Ok();
  std::vector<XetNode> nodes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes.reserve(chunks_.size());
    for (const XorbChunk& c : chunks_) nodes.push_back(XetNode{c.hash, c.raw_size});
    hash_ = XetXorbHash(std::move(nodes));
    // Behind the records in the buffer: one last write for both.
    const std::string footer = BuildXorbFooter(hash_, chunks_);
    buffer_.Append(footer.data(), footer.size());
    file_bytes_ = end_ + footer.size();
    sealed_ = true;
  }
  return Flush();
}

Status XorbBuilder::Sync() { return file_->Sync(); }

void XorbBuilder::Unlock() { hubmirror::Unlock(file_->fd()); }

Status XorbBuilder::Publish(const std::string& final_path) {
  if (!sealed_) return Status::Internal("xorb " + std::to_string(id_) + " published unsealed");
  const std::string dir = DirName(final_path);
  if (!env_->FileExists(dir)) {
    HM_RETURN_IF_ERROR(env_->CreateDirs(dir));
    HM_RETURN_IF_ERROR(env_->SyncDir(DirName(dir)));
  }
  HM_RETURN_IF_ERROR(env_->RenameFile(path_, final_path));
  path_ = final_path;
  return env_->SyncDir(dir);
}

NewXorb XorbBuilder::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  NewXorb out;
  out.row.id = id_;
  out.row.hash = hash_;
  out.row.num_chunks = static_cast<uint32_t>(chunks_.size());
  out.row.raw_bytes = raw_;
  out.row.records_bytes = end_;
  out.row.file_bytes = file_bytes_;
  out.chunks = chunks_;
  return out;
}

Result<size_t> XorbBuilder::ReadRaw(uint32_t start, uint32_t end, uint64_t offset, char* buf,
                                    size_t n, ChunkDecoder* decoder) const {
  std::lock_guard<std::mutex> lock(mu_);
  end = std::min<uint32_t>(end, static_cast<uint32_t>(chunks_.size()));
  // Records in the file are read from it, the rest from the buffer. A
  // record may straddle the end of the file (the buffer keeps what is past
  // the last aligned write): its head is read from the file, its tail
  // copied from the buffer.
  return ReadRawChunks(
      chunks_, this, start, end, offset, buf, n, decoder,
      [this](uint64_t at, char* out, size_t len) -> Status {
        const size_t from_file =
            at >= flushed_ ? 0 : static_cast<size_t>(std::min<uint64_t>(len, flushed_ - at));
        HM_RETURN_IF_ERROR(ReadXorbFileBytes(*file_, at, out, from_file));
        if (from_file < len) {
          std::memcpy(out + from_file, buffer_.data() + (at + from_file - flushed_),
                      len - from_file);
        }
        return Status::Ok();
      });
}

}  // namespace hubmirror
