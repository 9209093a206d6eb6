// Serialized xorbs (bundle records today, uploads tomorrow): parsed and
// verified or refused, never a crash; an accepted xorb's chunks tile its
// records and add up to its raw size.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/xet/xorb_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hubmirror::XetChunkCodec codec;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = hubmirror::ParseAndVerifyXorb(bytes, &codec);
  if (!parsed.ok()) return 0;
  uint64_t record = 0, raw = 0;
  for (const hubmirror::XorbChunk& c : parsed->chunks) {
    if (c.record_offset != record || c.raw_offset != raw || c.raw_size == 0) std::abort();
    record = c.record_end();
    raw += c.raw_size;
  }
  if (record != parsed->records_bytes || raw != parsed->raw_bytes) std::abort();
  if (parsed->chunks.size() > hubmirror::kXorbMaxChunks) std::abort();
  return 0;
}
