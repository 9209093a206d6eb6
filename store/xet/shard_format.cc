#include "store/xet/shard_format.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace hubmirror {
namespace {

// "HFRepoMetaData\0" and 17 fixed bytes (xet-core's MDB_SHARD_HEADER_TAG).
constexpr uint8_t kHeaderTag[32] = {0x48, 0x46, 0x52, 0x65, 0x70, 0x6f, 0x4d, 0x65,
                                    0x74, 0x61, 0x44, 0x61, 0x74, 0x61, 0x00, 0x55,
                                    0x69, 0x67, 0x45, 0x6a, 0x7b, 0x81, 0x57, 0x83,
                                    0xa5, 0xbd, 0xd9, 0x5c, 0xcd, 0xd1, 0x4a, 0xa9};
constexpr uint64_t kHeaderVersion = 2;
constexpr uint64_t kFooterVersion = 1;
constexpr uint32_t kFileFlagVerification = 1u << 31;
constexpr uint32_t kFileFlagMetadataExt = 1u << 30;

uint32_t U32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t U64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

XetHash HashAt(const char* p) {
  XetHash h;
  std::memcpy(h.bytes.data(), p, 32);
  return h;
}

bool IsBookend(const char* record) {
  for (int i = 0; i < 32; ++i) {
    if (static_cast<uint8_t>(record[i]) != 0xff) return false;
  }
  return true;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutHash(std::string* out, const XetHash& h) {
  out->append(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
}

void PutBookend(std::string* out) {
  out->append(32, '\xff');
  out->append(16, '\0');
}

// The first u64 of a hash: the key of a shard's lookup tables.
uint64_t Truncated(const XetHash& h) { return U64(reinterpret_cast<const char*>(h.bytes.data())); }

// Reads 48-byte records in order, each bounds-checked.
class RecordReader {
 public:
  explicit RecordReader(std::string_view bytes) : bytes_(bytes) {}
  // The next record, or nullptr past the end.
  const char* Next() {
    if (bytes_.size() - pos_ < kShardRecordBytes) return nullptr;
    const char* record = bytes_.data() + pos_;
    pos_ += kShardRecordBytes;
    return record;
  }
  size_t remaining_records() const { return (bytes_.size() - pos_) / kShardRecordBytes; }
  size_t offset() const { return pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = kShardHeaderBytes;
};

Status Bad(const std::string& what, size_t offset) {
  return Status::InvalidArgument("shard: " + what + " (record at byte " + std::to_string(offset) +
                                 ")");
}

Status ParseFiles(RecordReader* reader, std::vector<ShardFile>* files) {
  while (true) {
    const size_t at = reader->offset();
    const char* header = reader->Next();
    if (header == nullptr) return Bad("the file section has no bookend", at);
    if (IsBookend(header)) return Status::Ok();
    ShardFile file;
    file.file_hash = HashAt(header);
    const uint32_t flags = U32(header + 32);
    const uint32_t entries = U32(header + 36);
    const size_t needed = size_t{entries} * ((flags & kFileFlagVerification) ? 2 : 1) +
                          ((flags & kFileFlagMetadataExt) ? 1 : 0);
    if (needed > reader->remaining_records()) {
      return Bad("file " + file.file_hash.ToHex() + " claims more entries than the body holds", at);
    }
    for (uint32_t i = 0; i < entries; ++i) {
      const size_t entry_at = reader->offset();
      const char* entry = reader->Next();
      ShardTerm term;
      term.xorb = HashAt(entry);
      term.unpacked_bytes = U32(entry + 36);
      term.chunk_start = U32(entry + 40);
      term.chunk_end = U32(entry + 44);
      if (term.chunk_end <= term.chunk_start) {
        return Bad("file " + file.file_hash.ToHex() + " has a term with an empty chunk range",
                   entry_at);
      }
      file.terms.push_back(term);
    }
    if (flags & kFileFlagVerification) {
      for (uint32_t i = 0; i < entries; ++i) file.verification.push_back(HashAt(reader->Next()));
    }
    if (flags & kFileFlagMetadataExt) file.sha256 = HashAt(reader->Next());
    files->push_back(std::move(file));
  }
}

Status ParseXorbs(RecordReader* reader, std::vector<ShardXorb>* xorbs) {
  while (true) {
    const size_t at = reader->offset();
    const char* header = reader->Next();
    if (header == nullptr) return Bad("the xorb section has no bookend", at);
    if (IsBookend(header)) return Status::Ok();
    ShardXorb xorb;
    xorb.hash = HashAt(header);
    const uint32_t entries = U32(header + 36);
    xorb.raw_bytes = U32(header + 40);
    if (entries == 0 || entries > reader->remaining_records()) {
      return Bad("xorb " + xorb.hash.ToHex() + " has no chunks or more than the body holds", at);
    }
    uint64_t expected_start = 0;
    for (uint32_t i = 0; i < entries; ++i) {
      const size_t entry_at = reader->offset();
      const char* entry = reader->Next();
      ShardXorbChunk chunk{HashAt(entry), U32(entry + 32), U32(entry + 36)};
      if (chunk.raw_start != expected_start || chunk.raw_size == 0) {
        return Bad("xorb " + xorb.hash.ToHex() + " chunk " + std::to_string(i) +
                       " does not follow the one before it",
                   entry_at);
      }
      expected_start += chunk.raw_size;
      xorb.chunks.push_back(chunk);
    }
    if (expected_start != xorb.raw_bytes) {
      return Bad("xorb " + xorb.hash.ToHex() + " chunk sizes do not add up to its size", at);
    }
    xorbs->push_back(std::move(xorb));
  }
}

}  // namespace

Result<ParsedShard> ParseShard(std::string_view bytes) {
  if (bytes.size() > kMaxShardBytes) {
    return Status::InvalidArgument("shard: larger than " + std::to_string(kMaxShardBytes >> 20) +
                                   " MiB");
  }
  if (bytes.size() < kShardHeaderBytes ||
      std::memcmp(bytes.data(), kHeaderTag, sizeof(kHeaderTag)) != 0) {
    return Status::InvalidArgument("shard: not a Xet shard (header tag)");
  }
  if (U64(bytes.data() + 32) != kHeaderVersion) {
    return Status::InvalidArgument("shard: header version " +
                                   std::to_string(U64(bytes.data() + 32)) + " (expected 2)");
  }
  ParsedShard shard;
  RecordReader reader(bytes);
  HM_RETURN_IF_ERROR(ParseFiles(&reader, &shard.files));
  HM_RETURN_IF_ERROR(ParseXorbs(&reader, &shard.xorbs));
  return shard;
}

std::string SerializeDedupShard(const std::vector<ShardXorb>& xorbs, const XetHash& hmac_key,
                                uint64_t now_seconds, uint64_t expires_at_seconds) {
  std::string out;
  out.append(reinterpret_cast<const char*>(kHeaderTag), sizeof(kHeaderTag));
  PutU64(&out, kHeaderVersion);
  PutU64(&out, kShardFooterBytes);

  const uint64_t file_info_offset = out.size();
  PutBookend(&out);  // no files

  const uint64_t xorb_info_offset = out.size();
  std::vector<std::pair<uint64_t, uint32_t>> xorb_lookup;
  std::vector<std::tuple<uint64_t, uint32_t, uint32_t>> chunk_lookup;
  uint32_t record_index = 0;  // the lookups count records from the section's start
  for (const ShardXorb& xorb : xorbs) {
    xorb_lookup.emplace_back(Truncated(xorb.hash), record_index);
    PutHash(&out, xorb.hash);
    PutU32(&out, 0);  // flags
    PutU32(&out, static_cast<uint32_t>(xorb.chunks.size()));
    PutU32(&out, xorb.raw_bytes);
    PutU32(&out, 0);  // bytes on disk: not the client's business
    for (uint32_t i = 0; i < xorb.chunks.size(); ++i) {
      const XetHash keyed = XetHmac(hmac_key, xorb.chunks[i].hash);
      chunk_lookup.emplace_back(Truncated(keyed), record_index, i);
      PutHash(&out, keyed);
      PutU32(&out, xorb.chunks[i].raw_start);
      PutU32(&out, xorb.chunks[i].raw_size);
      PutU32(&out, 0);
      PutU32(&out, 0);
    }
    record_index += 1 + static_cast<uint32_t>(xorb.chunks.size());
  }
  PutBookend(&out);
  std::sort(xorb_lookup.begin(), xorb_lookup.end());
  std::sort(chunk_lookup.begin(), chunk_lookup.end());

  const uint64_t file_lookup_offset = out.size();
  const uint64_t xorb_lookup_offset = out.size();
  for (const auto& [key, index] : xorb_lookup) {
    PutU64(&out, key);
    PutU32(&out, index);
  }
  const uint64_t chunk_lookup_offset = out.size();
  for (const auto& [key, xorb_index, chunk_index] : chunk_lookup) {
    PutU64(&out, key);
    PutU32(&out, xorb_index);
    PutU32(&out, chunk_index);
  }
  uint64_t raw_total = 0;
  for (const ShardXorb& xorb : xorbs) raw_total += xorb.raw_bytes;

  const uint64_t footer_offset = out.size();
  PutU64(&out, kFooterVersion);
  PutU64(&out, file_info_offset);
  PutU64(&out, xorb_info_offset);
  PutU64(&out, file_lookup_offset);
  PutU64(&out, 0);
  PutU64(&out, xorb_lookup_offset);
  PutU64(&out, xorb_lookup.size());
  PutU64(&out, chunk_lookup_offset);
  PutU64(&out, chunk_lookup.size());
  PutHash(&out, hmac_key);
  PutU64(&out, now_seconds);
  PutU64(&out, expires_at_seconds);
  for (int i = 0; i < 6; ++i) PutU64(&out, 0);
  PutU64(&out, 0);          // stored bytes on disk
  PutU64(&out, 0);          // materialized bytes
  PutU64(&out, raw_total);  // stored bytes
  PutU64(&out, footer_offset);
  return out;
}

}  // namespace hubmirror
