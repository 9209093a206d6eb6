// The serialized xorb (../shared/xet-protocol.md (d)): chunk records back to
// back, each an 8-byte header and the chunk's stored bytes, optionally
// followed by a footer that repeats the xorb hash, the chunk hashes and the
// chunk boundaries (what stored xorbs carry; uploads come without it).
//
//   record header: [0] version 0, [1..4) stored length u24, [4] scheme,
//                  [5..8) raw length u24 (little-endian)
//
// A xorb holds at most kXorbMaxChunks chunks and kXorbMaxRawBytes raw bytes.
// The records of a xorb are exactly what a Xet client fetches for a chunk
// range, so the store keeps them as they are and serves them verbatim.
//
// Pure functions over bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"
#include "store/xet/chunk_codec.h"
#include "store/xet/xet_hash.h"

namespace hubmirror {

inline constexpr size_t kXetRecordHeaderBytes = 8;
inline constexpr size_t kXorbMaxChunks = 8192;
inline constexpr uint64_t kXorbMaxRawBytes = uint64_t{64} << 20;
// Readers reject chunks beyond these (xet-core's limits).
inline constexpr size_t kXetMaxRawChunkBytes = 128 * 1024;
inline constexpr size_t kXetMaxStoredChunkBytes = 256 * 1024;

struct XetRecordHeader {
  uint32_t stored_size = 0;
  XetScheme scheme = XetScheme::kNone;
  uint32_t raw_size = 0;
};

void EncodeRecordHeader(const XetRecordHeader& header, uint8_t out[kXetRecordHeaderBytes]);
// InvalidArgument for a version other than 0, an unknown scheme, a raw size
// of 0 or above kXetMaxRawChunkBytes, a stored size above
// kXetMaxStoredChunkBytes, or an uncompressed chunk whose sizes differ.
Result<XetRecordHeader> DecodeRecordHeader(const uint8_t in[kXetRecordHeaderBytes]);

// One chunk of a xorb, where its record lies and what it holds.
struct XorbChunk {
  XetHash hash;
  uint64_t record_offset = 0;  // of its header, from the start of the xorb
  uint32_t stored_size = 0;    // bytes after the header
  uint32_t raw_size = 0;
  uint64_t raw_offset = 0;     // of its first raw byte in the xorb's raw stream
  XetScheme scheme = XetScheme::kNone;

  uint64_t record_end() const { return record_offset + kXetRecordHeaderBytes + stored_size; }
  uint64_t payload_offset() const { return record_offset + kXetRecordHeaderBytes; }
};

// The footer of a stored xorb whose records take `records_bytes`.
std::string BuildXorbFooter(const XetHash& xorb_hash, const std::vector<XorbChunk>& chunks);

struct ParsedXorb {
  XetHash hash;
  std::vector<XorbChunk> chunks;
  uint64_t records_bytes = 0;  // where the records end (the footer, if any, starts)
  uint64_t raw_bytes = 0;
  bool has_footer = false;
};

// Parses a whole xorb and checks everything in it: every record decodes to
// its raw length, the chunk hashes are recomputed from the raw bytes, the
// xorb hash is their Merkle root, limits hold, and a footer, when present,
// agrees with all of that. InvalidArgument naming the first problem.
Result<ParsedXorb> ParseAndVerifyXorb(std::string_view bytes, XetChunkCodec* codec);

}  // namespace hubmirror
