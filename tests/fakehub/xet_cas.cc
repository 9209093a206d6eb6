#include "tests/fakehub/xet_cas.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "store/xet/xet_hash.h"
#include "tests/fakehub/xet_chunks.h"

namespace fakehub {
namespace {

constexpr size_t kRecordHeader = 8;
constexpr size_t kXorbMaxChunks = 8192;
constexpr uint64_t kXorbMaxBytes = uint64_t{64} << 20;

void RecordHeader(uint32_t size, char out[kRecordHeader]) {
  // version 0, compressed length u24, scheme 0 (none), raw length u24.
  out[0] = 0;
  out[1] = static_cast<char>(size & 0xff);
  out[2] = static_cast<char>((size >> 8) & 0xff);
  out[3] = static_cast<char>((size >> 16) & 0xff);
  out[4] = 0;
  out[5] = out[1];
  out[6] = out[2];
  out[7] = out[3];
}

}  // namespace

XetCas::XetCas(const Hub& hub) {
  std::set<std::string> uploaded;
  for (const Repo& repo : hub.repos()) {
    for (const auto& [id, commit] : repo.commits()) {
      for (const auto& [path, file] : commit.files()) {
        if (file.lfs && uploaded.insert(file.blob->sha256).second) Upload(*file.blob);
      }
    }
  }
}

void XetCas::Upload(const Blob& blob) {
  if (files_.count(blob.xet_hash) != 0) return;
  CasFile file;
  file.size = blob.size();
  std::vector<hubmirror::XetNode> open_nodes;  // chunks of the xorb being filled
  long open = -1;
  auto seal = [&] {
    if (open < 0) return;
    CasXorb& x = xorbs_[static_cast<size_t>(open)];
    x.hex = hubmirror::XetXorbHash(std::move(open_nodes)).ToHex();
    xorb_by_hex_.emplace(x.hex, static_cast<size_t>(open));
    open_nodes.clear();
    open = -1;
  };
  for (const XetChunkRef& c : blob.xet_chunks) {
    auto known = chunk_index_.find(c.hash);
    size_t xorb = 0;
    uint32_t index = 0;
    if (known != chunk_index_.end()) {
      std::tie(xorb, index) = known->second;
    } else {
      if (open >= 0) {
        const CasXorb& x = xorbs_[static_cast<size_t>(open)];
        if (x.chunks.size() >= kXorbMaxChunks || x.serialized_size + c.size > kXorbMaxBytes) seal();
      }
      if (open < 0) {
        xorbs_.emplace_back();
        open = static_cast<long>(xorbs_.size() - 1);
      }
      CasXorb& x = xorbs_[static_cast<size_t>(open)];
      xorb = static_cast<size_t>(open);
      index = static_cast<uint32_t>(x.chunks.size());
      x.chunks.push_back({&blob, c.offset, c.size, x.serialized_size});
      x.serialized_size += kRecordHeader + c.size;
      hubmirror::XetHash h;
      std::memcpy(h.bytes.data(), c.hash.data(), c.hash.size());
      open_nodes.push_back({h, c.size});
      chunk_index_.emplace(c.hash, std::make_pair(xorb, index));
      file.new_bytes += c.size;
    }
    if (!file.terms.empty() && file.terms.back().xorb == xorb && file.terms.back().end == index) {
      file.terms.back().end++;
      file.terms.back().unpacked += c.size;
    } else {
      file.terms.push_back({xorb, index, index + 1, c.size});
    }
  }
  seal();
  files_.emplace(blob.xet_hash, std::move(file));
}

const CasFile* XetCas::FindFile(const std::string& xet_hash) const {
  auto it = files_.find(xet_hash);
  return it == files_.end() ? nullptr : &it->second;
}

long XetCas::FindXorb(const std::string& hex) const {
  auto it = xorb_by_hex_.find(hex);
  return it == xorb_by_hex_.end() ? -1 : static_cast<long>(it->second);
}

void XetCas::ReadXorb(size_t xorb, uint64_t first, uint64_t last, std::string* out) const {
  const CasXorb& x = xorbs_[xorb];
  last = std::min(last, x.serialized_size - 1);
  // The first record that ends after `first`.
  auto it = std::upper_bound(x.chunks.begin(), x.chunks.end(), first,
                             [](uint64_t at, const CasXorb::Chunk& c) {
                               return at < c.record_offset + kRecordHeader + c.size;
                             });
  std::string record;
  for (; it != x.chunks.end() && it->record_offset <= last; ++it) {
    record.resize(kRecordHeader + it->size);
    RecordHeader(it->size, record.data());
    it->source->bytes->Read(it->offset, record.data() + kRecordHeader, it->size);
    const uint64_t from = std::max(first, it->record_offset) - it->record_offset;
    const uint64_t to = std::min<uint64_t>(last, it->record_offset + record.size() - 1) -
                        it->record_offset;
    out->append(record, from, to - from + 1);
  }
}

}  // namespace fakehub
