#include "store/xorb/xorb_bytes.h"

#include <algorithm>
#include <cstring>

namespace hubmirror {

Result<const std::string*> ChunkDecoder::Decoded(
    const void* owner, uint32_t index, const XorbChunk& chunk,
    const std::function<Status(std::string*)>& read_stored) {
  if (cached_owner_ == owner && cached_index_ == index) return &raw_;
  cached_owner_ = nullptr;
  HM_RETURN_IF_ERROR(read_stored(&stored_));
  raw_.resize(chunk.raw_size);
  HM_RETURN_IF_ERROR(codec_.Decode(chunk.scheme, reinterpret_cast<const uint8_t*>(stored_.data()),
                                   stored_.size(), reinterpret_cast<uint8_t*>(raw_.data()),
                                   raw_.size()));
  cached_owner_ = owner;
  cached_index_ = index;
  return &raw_;
}

uint32_t FindChunk(const XorbTable& table, uint32_t start, uint32_t end, uint64_t offset) {
  if (start >= end || end > table.size()) return end;
  const uint64_t target = table[start].raw_offset + offset;
  // The last chunk of the range starting at or before `target`.
  auto first = table.begin() + start, last = table.begin() + end;
  auto it = std::upper_bound(first, last, target, [](uint64_t t, const XorbChunk& c) {
    return t < c.raw_offset;
  });
  if (it == first) return end;
  --it;
  if (target >= it->raw_offset + it->raw_size) return end;
  return static_cast<uint32_t>(it - table.begin());
}

Result<size_t> ReadRawChunks(const XorbTable& table, const void* owner, uint32_t start,
                             uint32_t end, uint64_t offset, char* buf, size_t n,
                             ChunkDecoder* decoder, const StoredBytesReader& read_stored) {
  uint32_t i = FindChunk(table, start, end, offset);
  size_t done = 0;
  while (done < n && i < end) {
    const XorbChunk& c = table[i];
    const uint64_t within = table[start].raw_offset + offset + done - c.raw_offset;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n - done, c.raw_size - within));
    if (c.scheme == XetScheme::kNone) {
      HM_RETURN_IF_ERROR(read_stored(c.payload_offset() + within, buf + done, take));
    } else {
      HM_ASSIGN_OR_RETURN(const std::string* raw,
                          decoder->Decoded(owner, i, c, [&](std::string* stored) {
                            stored->resize(c.stored_size);
                            return read_stored(c.payload_offset(), stored->data(),
                                               c.stored_size);
                          }));
      std::memcpy(buf + done, raw->data() + within, take);
    }
    done += take;
    ++i;
  }
  return done;
}

Result<size_t> SealedXorbBytes::ReadRaw(uint32_t start, uint32_t end, uint64_t offset, char* buf,
                                        size_t n, ChunkDecoder* decoder) const {
  return ReadRawChunks(*table_, this, start, end, offset, buf, n, decoder,
                       [this](uint64_t at, char* out, size_t len) {
                         return ReadXorbFileBytes(*file_, at, out, len);
                       });
}

bool SealedXorbBytes::RawSpan(uint32_t start, uint32_t end, uint64_t offset,
                              RawFileSpan* span) const {
  const uint32_t i = FindChunk(*table_, start, end, offset);
  if (i >= end || file_->fd() < 0) return false;
  const XorbChunk& c = (*table_)[i];
  if (c.scheme != XetScheme::kNone) return false;
  const uint64_t within = (*table_)[start].raw_offset + offset - c.raw_offset;
  *span = RawFileSpan{file_->fd(), c.payload_offset() + within, c.raw_size - within};
  return true;
}

Result<std::shared_ptr<const XorbTable>> XorbTableCache::Get(int64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  HM_ASSIGN_OR_RETURN(XorbTable table, loader_(id));
  if (table.empty()) return Status::NotFound("xorb " + std::to_string(id) + " is not stored");
  auto shared = std::make_shared<const XorbTable>(std::move(table));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it != by_id_.end()) return it->second->second;
  lru_.emplace_front(id, shared);
  by_id_[id] = lru_.begin();
  chunks_ += shared->size();
  while (chunks_ > max_chunks_ && lru_.size() > 1) {
    chunks_ -= lru_.back().second->size();
    by_id_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return shared;
}

void XorbTableCache::Forget(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  chunks_ -= it->second->second->size();
  lru_.erase(it->second);
  by_id_.erase(it);
}

}  // namespace hubmirror
