// Uploaded Xet shards: parsed or refused, never a crash; an accepted shard's
// terms are non-empty ranges and its xorbs' chunks tile their raw bytes. A
// dedup shard made of the accepted xorbs parses back to the same layout.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/xet/shard_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = hubmirror::ParseShard(bytes);
  if (!parsed.ok()) return 0;
  for (const hubmirror::ShardFile& f : parsed->files) {
    for (const hubmirror::ShardTerm& t : f.terms) {
      if (t.chunk_end <= t.chunk_start) std::abort();
    }
    if (!f.verification.empty() && f.verification.size() != f.terms.size()) std::abort();
  }
  for (const hubmirror::ShardXorb& x : parsed->xorbs) {
    uint64_t raw = 0;
    for (const hubmirror::ShardXorbChunk& c : x.chunks) {
      if (c.raw_start != raw || c.raw_size == 0) std::abort();
      raw += c.raw_size;
    }
    if (raw != x.raw_bytes || x.chunks.empty()) std::abort();
  }
  const std::string dedup =
      hubmirror::SerializeDedupShard(parsed->xorbs, hubmirror::XetHash{}, 1, 2);
  auto again = hubmirror::ParseShard(dedup);
  if (dedup.size() <= hubmirror::kMaxShardBytes &&
      (!again.ok() || again->xorbs.size() != parsed->xorbs.size() || !again->files.empty())) {
    std::abort();
  }
  return 0;
}
