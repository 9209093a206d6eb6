// Xet shards (../shared/xet-protocol.md (f), "Shard layout"): the metadata a
// Xet client uploads after its xorbs (how each file is made of xorb chunk
// ranges, and which chunks each new xorb holds), and the dedup shard a CAS
// hands back when asked about a chunk it already stores.
//
//   ParseShard          an uploaded shard, checked record by record: the
//                       header, every section ended by its bookend, counts
//                       that fit the body, ranges that are ranges. Nothing
//                       here knows what is stored; the caller checks that.
//   SerializeDedupShard a shard of xorb chunk tables only, with its lookup
//                       tables and footer, the chunk hashes keyed with
//                       `hmac_key` as the Hub's CAS hands them out.
//
// Value types and free functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"
#include "store/xet/xet_hash.h"

namespace hubmirror {

// Every record of a shard is this long.
inline constexpr size_t kShardRecordBytes = 48;
inline constexpr size_t kShardHeaderBytes = 48;
inline constexpr size_t kShardFooterBytes = 200;
// Clients split larger shards; the mirror refuses larger bodies.
inline constexpr size_t kMaxShardBytes = size_t{64} << 20;

// One term of a file: chunks [chunk_start, chunk_end) of xorb `xorb`, which
// the client says hold `unpacked_bytes` raw bytes.
struct ShardTerm {
  XetHash xorb;
  uint32_t unpacked_bytes = 0;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;  // exclusive; > chunk_start
};

struct ShardFile {
  XetHash file_hash;
  std::vector<ShardTerm> terms;
  // One per term when the client sent them (FileVerificationEntry).
  std::vector<XetHash> verification;
  // The file's SHA-256 in the protocol's raw form (ToHex() prints the usual
  // hex), when the client sent the metadata extension.
  std::optional<XetHash> sha256;
};

struct ShardXorbChunk {
  XetHash hash;
  uint32_t raw_start = 0;  // offset of its first byte in the xorb's raw stream
  uint32_t raw_size = 0;
};

struct ShardXorb {
  XetHash hash;
  uint32_t raw_bytes = 0;
  std::vector<ShardXorbChunk> chunks;
};

struct ParsedShard {
  std::vector<ShardFile> files;
  std::vector<ShardXorb> xorbs;
};

// InvalidArgument naming the first fault. A footer and lookup tables after
// the xorb section are allowed and ignored.
Result<ParsedShard> ParseShard(std::string_view bytes);

// The shard a dedup query is answered with: `xorbs` (chunk hashes replaced
// by XetHmac(hmac_key, hash)), no file section entries, a footer naming
// the key, created at `now_seconds` and trusted by the client until
// `expires_at_seconds`.
std::string SerializeDedupShard(const std::vector<ShardXorb>& xorbs, const XetHash& hmac_key,
                                uint64_t now_seconds, uint64_t expires_at_seconds);

}  // namespace hubmirror
