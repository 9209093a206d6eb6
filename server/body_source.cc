#include "server/body_source.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace hubmirror {
namespace {

// A copy buffer for a response with `n` bytes left: no larger than needed,
// so that a 4 KiB range does not allocate (and free) a 256 KiB buffer.
void SizeBuffer(std::vector<char>* buffer, uint64_t n) {
  const size_t want = static_cast<size_t>(std::min<uint64_t>(n, kBodyCopyChunkBytes));
  if (buffer->size() < want) buffer->resize(want);
}

Result<size_t> WriteAll(const char* data, size_t n, const BodyWriter& write) {
  if (!write(data, n)) return Status::Unavailable("client connection closed");
  return n;
}

// Maps the file range the spans cover once and hands each span to the
// socket from the mapping.
Result<size_t> WriteMappedSpans(const RawFileSpan* spans, size_t count, size_t n,
                                const BodyWriter& write) {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  // The spans to send, cut at n bytes and at one window of mapped pages.
  n = static_cast<size_t>(std::min<uint64_t>(n, kBodyMapWindowBytes));
  uint64_t total = 0;
  uint64_t last_take = 0;
  size_t used = 0;
  while (used < count && total < n) {
    last_take = std::min<uint64_t>(spans[used].length, n - total);
    total += last_take;
    ++used;
  }
  // The mapping ends where the last byte sent ends.
  const uint64_t map_start = spans[0].file_offset - spans[0].file_offset % page;
  const uint64_t map_end = spans[used - 1].file_offset + last_take;
  const size_t map_length = static_cast<size_t>(map_end - map_start);
  void* map = mmap(nullptr, map_length, PROT_READ, MAP_SHARED | MAP_POPULATE, spans[0].fd,
                   static_cast<off_t>(map_start));
  if (map == MAP_FAILED) {
    return Status::Internal(std::string("mmap of a stored object failed: ") +
                            std::strerror(errno));
  }
  const char* base = static_cast<const char*>(map);
  uint64_t sent = 0;
  bool ok = true;
  for (size_t i = 0; i < used && ok; ++i) {
    const uint64_t take = std::min<uint64_t>(spans[i].length, n - sent);
    ok = write(base + (spans[i].file_offset - map_start), static_cast<size_t>(take));
    sent += take;
  }
  munmap(map, map_length);
  if (!ok) return Status::Unavailable("client connection closed");
  return static_cast<size_t>(sent);
}

// A stored object. Where its bytes lie verbatim in a file (the uncompressed
// chunks of a xorb between their record headers, or an object file of the
// oldest layout), each call maps a window of that file (populated from the
// page cache up front), writes each stretch from the mapping and unmaps it
// again, so resident mapped pages stay bounded per response. Other bytes
// (compressed chunks) are read through ReadAt into a buffer.
class StoredBody : public BodySource {
 public:
  explicit StoredBody(std::unique_ptr<ObjectReader> reader) : reader_(std::move(reader)) {}

  Result<size_t> WriteSome(uint64_t offset, size_t n, const BodyWriter& write) override {
    if (offset >= reader_->size()) return Status::DataLoss("read past the end of a stored object");
    RawFileSpan spans[kMaxSpans];
    const size_t count = reader_->GetRawSpans(offset, kBodyMapWindowBytes, spans, kMaxSpans);
    // Small responses (ranges) are read with pread: mapping and unmapping
    // costs more than copying a few KiB, and every munmap interrupts the
    // other cores running the server's threads.
    if (n >= kBodyMapMinBytes && count > 0 && spans[0].fd >= 0) {
      return WriteMappedSpans(spans, count, n, write);
    }
    return WriteCopied(offset, n, write);
  }

 private:
  // Up to this many stretches of one mapping per call: a window of 1 MiB
  // holds about 16 uncompressed 64 KiB chunks.
  static constexpr size_t kMaxSpans = 64;

  Result<size_t> WriteCopied(uint64_t offset, size_t n, const BodyWriter& write) {
    SizeBuffer(&buffer_, n);
    HM_ASSIGN_OR_RETURN(size_t got,
                        reader_->ReadAt(offset, buffer_.data(), std::min(n, buffer_.size())));
    if (got == 0) return Status::DataLoss("stored object is shorter than its recorded size");
    return WriteAll(buffer_.data(), got, write);
  }

  std::unique_ptr<ObjectReader> reader_;
  std::vector<char> buffer_;
};

// Bytes [0, size) of a file, from mappings when the file has a descriptor.
class FileBody : public BodySource {
 public:
  FileBody(std::shared_ptr<RandomAccessFile> file, uint64_t size)
      : file_(std::move(file)), size_(size) {}

  Result<size_t> WriteSome(uint64_t offset, size_t n, const BodyWriter& write) override {
    if (offset >= size_) return Status::DataLoss("read past the end of a stored file");
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    if (n >= kBodyMapMinBytes && file_->fd() >= 0) {
      const RawFileSpan span{file_->fd(), offset, n};
      return WriteMappedSpans(&span, 1, n, write);
    }
    SizeBuffer(&buffer_, n);
    HM_ASSIGN_OR_RETURN(size_t got,
                        file_->ReadAt(offset, buffer_.data(), std::min(n, buffer_.size())));
    if (got == 0) return Status::DataLoss("stored file is shorter than its recorded size");
    return WriteAll(buffer_.data(), got, write);
  }

 private:
  std::shared_ptr<RandomAccessFile> file_;
  const uint64_t size_;
  std::vector<char> buffer_;
};

class FetchBody : public BodySource {
 public:
  FetchBody(std::shared_ptr<ObjectFetch> fetch, int64_t stall_timeout_ms)
      : fetch_(std::move(fetch)), stall_timeout_ms_(stall_timeout_ms) {}
  // `n` is what is left of the response, so a write of all `n` bytes ends
  // it. The fetch holds back the object's last byte until the hash checks
  // out; a Range that ends earlier needs the same: its own last byte waits
  // for the verdict, so a corrupt transfer never ends a 206 cleanly.
  // One exception: a single-byte response is the probe clients send for a
  // file's size and etag (@huggingface/hub's `bytes=0-0`), whose body they
  // drop; holding it for a whole multi-GB transfer would trip their timeouts.
  Result<size_t> WriteSome(uint64_t offset, size_t n, const BodyWriter& write) override {
    SizeBuffer(&buffer_, n);
    HM_ASSIGN_OR_RETURN(uint64_t readable, fetch_->WaitReadable(offset, stall_timeout_ms_));
    size_t want = static_cast<size_t>(std::min<uint64_t>({readable, n, buffer_.size()}));
    if (response_bytes_ == 0) response_bytes_ = n;
    if (want == n && !verified_ && response_bytes_ > 1) {
      if (want > 1) {
        --want;
      } else {
        HM_RETURN_IF_ERROR(fetch_->WaitVerified(stall_timeout_ms_));
        verified_ = true;
      }
    }
    HM_ASSIGN_OR_RETURN(size_t got, fetch_->Read(offset, buffer_.data(), want));
    if (got == 0) return Status::Internal("in-flight object read returned no bytes");
    return WriteAll(buffer_.data(), got, write);
  }

  bool ReadyOrWake(uint64_t offset, uint64_t end, std::function<void()> wake) override {
    // WriteSome waits for the verdict before the last byte of a response
    // longer than one byte (see above).
    const bool needs_verdict = offset + 1 == end && response_bytes_ > 1;
    return fetch_->ReadyOrNotify(offset, needs_verdict, std::move(wake));
  }

 private:
  std::shared_ptr<ObjectFetch> fetch_;
  int64_t stall_timeout_ms_;
  bool verified_ = false;
  uint64_t response_bytes_ = 0;  // the response's length, learnt on the first call
  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<BodySource> NewStoredBody(std::unique_ptr<ObjectReader> reader) {
  return std::make_unique<StoredBody>(std::move(reader));
}

std::unique_ptr<BodySource> NewFileBody(std::shared_ptr<RandomAccessFile> file, uint64_t size) {
  return std::make_unique<FileBody>(std::move(file), size);
}

std::unique_ptr<BodySource> NewFetchBody(std::shared_ptr<ObjectFetch> fetch,
                                         int64_t stall_timeout_ms) {
  return std::make_unique<FetchBody>(std::move(fetch), stall_timeout_ms);
}

}  // namespace hubmirror
