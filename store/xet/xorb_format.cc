#include "store/xet/xorb_format.h"

#include <cstring>

namespace hubmirror {
namespace {

constexpr char kFooterIdent[] = "XETBLOB";
constexpr char kHashesIdent[] = "XBLBHSH";
constexpr char kBoundariesIdent[] = "XBLBBND";
constexpr size_t kIdentBytes = 7;
constexpr uint8_t kFooterVersion = 1;
constexpr uint8_t kHashesVersion = 0;
constexpr uint8_t kBoundariesVersion = 1;
// The footer without its per-chunk parts and without info_length.
constexpr size_t kFooterFixedBytes = 92;
constexpr size_t kFooterPerChunkBytes = 40;

uint32_t Get24(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16; }
void Put24(uint8_t* p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
void PutHash(std::string* out, const XetHash& h) {
  out->append(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
}
XetHash GetHash(const uint8_t* p) {
  XetHash h;
  std::memcpy(h.bytes.data(), p, 32);
  return h;
}

Status Bad(const std::string& what) { return Status::InvalidArgument("xorb: " + what); }

// Checks the footer in bytes[start, end) against what the records said.
Status CheckFooter(const uint8_t* p, size_t size, const ParsedXorb& xorb) {
  const size_t n = xorb.chunks.size();
  if (size != kFooterFixedBytes + kFooterPerChunkBytes * n + 4) {
    return Bad("footer of " + std::to_string(size) + " bytes does not fit " + std::to_string(n) +
               " chunks");
  }
  if (GetU32(p + size - 4) != kFooterFixedBytes + kFooterPerChunkBytes * n) {
    return Bad("footer info_length is wrong");
  }
  size_t pos = 0;
  if (std::memcmp(p, kFooterIdent, kIdentBytes) != 0 || p[kIdentBytes] != kFooterVersion) {
    return Bad("footer is not version 1");
  }
  pos += kIdentBytes + 1;
  if (GetHash(p + pos) != xorb.hash) return Bad("footer names another xorb hash");
  pos += 32;
  if (std::memcmp(p + pos, kHashesIdent, kIdentBytes) != 0 ||
      p[pos + kIdentBytes] != kHashesVersion || GetU32(p + pos + 8) != n) {
    return Bad("footer hash section is malformed");
  }
  pos += 12;
  for (size_t i = 0; i < n; ++i, pos += 32) {
    if (GetHash(p + pos) != xorb.chunks[i].hash) {
      return Bad("footer chunk hash " + std::to_string(i) + " differs from the chunk's bytes");
    }
  }
  if (std::memcmp(p + pos, kBoundariesIdent, kIdentBytes) != 0 ||
      p[pos + kIdentBytes] != kBoundariesVersion || GetU32(p + pos + 8) != n) {
    return Bad("footer boundary section is malformed");
  }
  pos += 12;
  for (size_t i = 0; i < n; ++i) {
    const XorbChunk& c = xorb.chunks[i];
    if (GetU32(p + pos + 4 * i) != c.record_end() ||
        GetU32(p + pos + 4 * (n + i)) != c.raw_offset + c.raw_size) {
      return Bad("footer boundary " + std::to_string(i) + " differs from the records");
    }
  }
  pos += 8 * n;
  if (GetU32(p + pos) != n || GetU32(p + pos + 4) != 52 + 40 * n ||
      GetU32(p + pos + 8) != 40 + 8 * n) {
    return Bad("footer section offsets are wrong");
  }
  return Status::Ok();
}

}  // namespace

void EncodeRecordHeader(const XetRecordHeader& header, uint8_t out[kXetRecordHeaderBytes]) {
  out[0] = 0;
  Put24(out + 1, header.stored_size);
  out[4] = static_cast<uint8_t>(header.scheme);
  Put24(out + 5, header.raw_size);
}

Result<XetRecordHeader> DecodeRecordHeader(const uint8_t in[kXetRecordHeaderBytes]) {
  if (in[0] != 0) return Bad("chunk record version " + std::to_string(in[0]) + " is not 0");
  if (!IsXetScheme(in[4])) return Bad("unknown compression scheme " + std::to_string(in[4]));
  XetRecordHeader h;
  h.stored_size = Get24(in + 1);
  h.scheme = static_cast<XetScheme>(in[4]);
  h.raw_size = Get24(in + 5);
  if (h.raw_size == 0 || h.raw_size > kXetMaxRawChunkBytes) {
    return Bad("chunk of " + std::to_string(h.raw_size) + " raw bytes");
  }
  if (h.stored_size == 0 || h.stored_size > kXetMaxStoredChunkBytes) {
    return Bad("chunk of " + std::to_string(h.stored_size) + " stored bytes");
  }
  if (h.scheme == XetScheme::kNone && h.stored_size != h.raw_size) {
    return Bad("uncompressed chunk whose stored and raw sizes differ");
  }
  return h;
}

std::string BuildXorbFooter(const XetHash& xorb_hash, const std::vector<XorbChunk>& chunks) {
  const uint32_t n = static_cast<uint32_t>(chunks.size());
  std::string out;
  out.reserve(kFooterFixedBytes + kFooterPerChunkBytes * n + 4);
  out.append(kFooterIdent, kIdentBytes);
  out.push_back(static_cast<char>(kFooterVersion));
  PutHash(&out, xorb_hash);
  out.append(kHashesIdent, kIdentBytes);
  out.push_back(static_cast<char>(kHashesVersion));
  PutU32(&out, n);
  for (const XorbChunk& c : chunks) PutHash(&out, c.hash);
  out.append(kBoundariesIdent, kIdentBytes);
  out.push_back(static_cast<char>(kBoundariesVersion));
  PutU32(&out, n);
  for (const XorbChunk& c : chunks) PutU32(&out, static_cast<uint32_t>(c.record_end()));
  for (const XorbChunk& c : chunks) PutU32(&out, static_cast<uint32_t>(c.raw_offset + c.raw_size));
  PutU32(&out, n);
  PutU32(&out, 52 + 40 * n);
  PutU32(&out, 40 + 8 * n);
  out.append(16, '\0');  // reserved
  PutU32(&out, static_cast<uint32_t>(kFooterFixedBytes + kFooterPerChunkBytes * n));
  return out;
}

Result<ParsedXorb> ParseAndVerifyXorb(std::string_view bytes, XetChunkCodec* codec) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  ParsedXorb xorb;
  std::string raw(kXetMaxRawChunkBytes, '\0');
  uint64_t pos = 0;
  std::vector<XetNode> nodes;
  while (pos < bytes.size()) {
    if (bytes.size() - pos >= kIdentBytes && std::memcmp(p + pos, kFooterIdent, kIdentBytes) == 0) {
      xorb.has_footer = true;
      break;
    }
    if (bytes.size() - pos < kXetRecordHeaderBytes) return Bad("truncated chunk header");
    if (xorb.chunks.size() == kXorbMaxChunks) {
      return Bad("more than " + std::to_string(kXorbMaxChunks) + " chunks");
    }
    auto header = DecodeRecordHeader(p + pos);
    if (!header.ok()) {
      return Bad("chunk " + std::to_string(xorb.chunks.size()) + ": " + header.status().message());
    }
    if (bytes.size() - pos - kXetRecordHeaderBytes < header->stored_size) {
      return Bad("chunk " + std::to_string(xorb.chunks.size()) + " is truncated");
    }
    XorbChunk c;
    c.record_offset = pos;
    c.stored_size = header->stored_size;
    c.raw_size = header->raw_size;
    c.scheme = header->scheme;
    c.raw_offset = xorb.raw_bytes;
    Status decoded = codec->Decode(c.scheme, p + c.payload_offset(), c.stored_size,
                                   reinterpret_cast<uint8_t*>(raw.data()), c.raw_size);
    if (!decoded.ok()) {
      return Bad("chunk " + std::to_string(xorb.chunks.size()) + ": " + decoded.message());
    }
    c.hash = XetChunkHash(raw.data(), c.raw_size);
    xorb.raw_bytes += c.raw_size;
    if (xorb.raw_bytes > kXorbMaxRawBytes) {
      return Bad("more than " + std::to_string(kXorbMaxRawBytes) + " raw bytes");
    }
    nodes.push_back(XetNode{c.hash, c.raw_size});
    xorb.chunks.push_back(c);
    pos = c.record_end();
  }
  if (xorb.chunks.empty()) return Bad("no chunks");
  xorb.records_bytes = pos;
  xorb.hash = XetXorbHash(std::move(nodes));
  if (xorb.has_footer) {
    HM_RETURN_IF_ERROR(CheckFooter(p + pos, bytes.size() - pos, xorb));
  }
  return xorb;
}

}  // namespace hubmirror
