#include "store/xet/xet_hash.h"

#include <blake3.h>

#include <cstring>

namespace hubmirror {
namespace {

// The keys of ../shared/xet-protocol.md (c).
constexpr uint8_t kDataKey[32] = {102, 151, 245, 119, 91,  149, 80,  222, 49,  53,  203,
                                  172, 165, 151, 24,  28,  157, 228, 33,  16,  155, 235,
                                  43,  88,  180, 208, 176, 75,  147, 173, 242, 41};
constexpr uint8_t kInternalNodeKey[32] = {1,   126, 197, 199, 165, 71,  41,  150, 253, 148, 102,
                                          102, 180, 138, 2,   230, 93,  221, 83,  111, 55,  199,
                                          109, 210, 248, 99,  82,  230, 74,  83,  113, 63};
constexpr uint8_t kVerificationKey[32] = {127, 24,  87,  214, 206, 86,  237, 102, 18,  127, 249,
                                          19,  231, 165, 195, 243, 164, 205, 38,  213, 181, 219,
                                          73,  230, 65,  36,  152, 127, 40,  251, 148, 195};
constexpr uint8_t kZeroKey[32] = {};

// Groups of the Merkle aggregation hold 2..9 nodes (a tail may hold 1).
constexpr size_t kMaxGroup = 9;
constexpr uint64_t kMeanBranching = 4;

XetHash KeyedHash(const uint8_t key[32], const void* data, size_t n) {
  blake3_hasher hasher;
  blake3_hasher_init_keyed(&hasher, key);
  blake3_hasher_update(&hasher, data, n);
  XetHash out;
  blake3_hasher_finalize(&hasher, out.bytes.data(), out.bytes.size());
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses 64 hex digits into bytes in text order (no group reversal).
bool ParsePlainHex(std::string_view hex, uint8_t out[32]) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Reverses the bytes of each 8-byte group: the map between text order and
// the raw order of the hex rule (its own inverse).
void ReverseGroups(uint8_t bytes[32]) {
  for (size_t g = 0; g < 32; g += 8) {
    for (size_t i = 0; i < 4; ++i) std::swap(bytes[g + i], bytes[g + 7 - i]);
  }
}

// How many of the nodes at the front of `n` remaining ones form the next group.
size_t NextGroupSize(const XetNode* nodes, size_t n) {
  if (n <= 2) return n;
  const size_t end = std::min(kMaxGroup, n);
  for (size_t i = 2; i < end; ++i) {
    if (nodes[i].hash.LastWord() % kMeanBranching == 0) return i + 1;
  }
  return end;
}

}  // namespace

bool XetHash::IsZero() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

std::string XetHash::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  uint8_t text[32];
  std::memcpy(text, bytes.data(), 32);
  ReverseGroups(text);
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = kDigits[text[i] >> 4];
    out[2 * i + 1] = kDigits[text[i] & 0xf];
  }
  return out;
}

std::optional<XetHash> XetHash::FromHex(std::string_view hex) {
  XetHash out;
  if (!ParsePlainHex(hex, out.bytes.data())) return std::nullopt;
  ReverseGroups(out.bytes.data());
  return out;
}

uint64_t XetHash::LastWord() const {
  uint64_t w = 0;
  for (int i = 0; i < 8; ++i) w |= static_cast<uint64_t>(bytes[24 + i]) << (8 * i);
  return w;
}

XetHash XetHmac(const XetHash& key, const XetHash& message) {
  return KeyedHash(key.bytes.data(), message.bytes.data(), message.bytes.size());
}

XetHash XetChunkHash(const void* data, size_t n) { return KeyedHash(kDataKey, data, n); }

struct XetChunkHasher::State {
  blake3_hasher hasher;
};

XetChunkHasher::XetChunkHasher() : state_(std::make_unique<State>()) {
  blake3_hasher_init_keyed(&state_->hasher, kDataKey);
}

XetChunkHasher::~XetChunkHasher() = default;

void XetChunkHasher::Update(const void* data, size_t n) {
  blake3_hasher_update(&state_->hasher, data, n);
}

XetHash XetChunkHasher::Finish() {
  XetHash out;
  blake3_hasher_finalize(&state_->hasher, out.bytes.data(), out.bytes.size());
  Reset();
  return out;
}

void XetChunkHasher::Reset() { blake3_hasher_reset(&state_->hasher); }

XetHash XetInternalNodeHash(const XetNode* children, size_t n) {
  std::string text;
  text.reserve(n * 96);
  for (size_t i = 0; i < n; ++i) {
    text += children[i].hash.ToHex();
    text += " : ";
    text += std::to_string(children[i].size);
    text += '\n';
  }
  return KeyedHash(kInternalNodeKey, text.data(), text.size());
}

XetHash XetMerkleRoot(std::vector<XetNode> nodes) {
  if (nodes.empty()) return XetHash{};
  while (nodes.size() > 1) {
    std::vector<XetNode> parents;
    parents.reserve(nodes.size() / 2 + 1);
    for (size_t start = 0; start < nodes.size();) {
      const size_t take = NextGroupSize(nodes.data() + start, nodes.size() - start);
      XetNode parent;
      parent.hash = XetInternalNodeHash(nodes.data() + start, take);
      for (size_t i = 0; i < take; ++i) parent.size += nodes[start + i].size;
      parents.push_back(parent);
      start += take;
    }
    nodes = std::move(parents);
  }
  return nodes.front().hash;
}

XetHash XetFileHash(std::vector<XetNode> chunks) {
  if (chunks.empty()) return XetHash{};
  const XetHash root = XetMerkleRoot(std::move(chunks));
  return KeyedHash(kZeroKey, root.bytes.data(), root.bytes.size());
}

XetHash XetVerificationHash(const XetHash* chunk_hashes, size_t n) {
  blake3_hasher hasher;
  blake3_hasher_init_keyed(&hasher, kVerificationKey);
  for (size_t i = 0; i < n; ++i) {
    blake3_hasher_update(&hasher, chunk_hashes[i].bytes.data(), chunk_hashes[i].bytes.size());
  }
  XetHash out;
  blake3_hasher_finalize(&hasher, out.bytes.data(), out.bytes.size());
  return out;
}

std::optional<XetHash> XetHashFromSha256Hex(std::string_view sha256_hex) {
  // The digest's bytes in text order are the raw form once each group is
  // reversed, which is exactly what FromHex does.
  return XetHash::FromHex(sha256_hex);
}

}  // namespace hubmirror
