// The hashes of the Xet storage protocol (../shared/xet-protocol.md (c)):
// chunk hashes, the Merkle aggregation that names xorbs and files, and term
// verification hashes. All are BLAKE3 keyed hashes with 32-byte output.
//
// A XetHash is 32 raw bytes. Its text form ("hex rule") is not plain hex: the
// bytes are four little-endian u64 words, each printed as 16 hex digits, so
// the bytes of each 8-byte group appear reversed. That text form is what
// URLs, JSON (`xetHash`), `X-Xet-Hash` and internal Merkle nodes use.
//
// Value types and free functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubmirror {

struct XetHash {
  std::array<uint8_t, 32> bytes{};

  bool operator==(const XetHash&) const = default;
  auto operator<=>(const XetHash&) const = default;
  bool IsZero() const;
  // The hex rule: 64 lower-case hex digits.
  std::string ToHex() const;
  // Inverse of ToHex (64 hex digits, either case); nullopt otherwise.
  static std::optional<XetHash> FromHex(std::string_view hex);
  // The little-endian u64 of bytes 24..31: `hash % m` in the protocol.
  uint64_t LastWord() const;
};

struct XetHashHasher {
  size_t operator()(const XetHash& h) const {
    uint64_t w = 0;
    for (int i = 0; i < 8; ++i) w |= static_cast<uint64_t>(h.bytes[i]) << (8 * i);
    return static_cast<size_t>(w);
  }
};

// A leaf or internal node of the Merkle tree: a hash and the raw bytes under it.
struct XetNode {
  XetHash hash;
  uint64_t size = 0;
};

// keyed_hash(DATA_KEY, data): the name of a chunk.
XetHash XetChunkHash(const void* data, size_t n);

// XetChunkHash over a chunk given in pieces (a chunk that spans buffers is
// named without first being copied together). Not thread-safe.
class XetChunkHasher {
 public:
  XetChunkHasher();
  ~XetChunkHasher();
  XetChunkHasher(const XetChunkHasher&) = delete;
  XetChunkHasher& operator=(const XetChunkHasher&) = delete;

  void Update(const void* data, size_t n);
  // The hash of the bytes given since the last Finish() or Reset(); then
  // starts afresh.
  XetHash Finish();
  void Reset();

 private:
  struct State;  // BLAKE3's hasher, kept out of this header
  std::unique_ptr<State> state_;
};
// keyed_hash(INTERNAL_NODE_KEY, "<hex> : <size>\n" per child).
XetHash XetInternalNodeHash(const XetNode* children, size_t n);
// The Merkle root over `leaves` (0 leaves: all zeros; 1 leaf: its hash).
XetHash XetMerkleRoot(std::vector<XetNode> leaves);
// A xorb's hash: the Merkle root of its chunks.
inline XetHash XetXorbHash(std::vector<XetNode> chunks) { return XetMerkleRoot(std::move(chunks)); }
// A file's hash (its `xetHash`): keyed_hash(zeros, root) over its chunks in
// order; all zeros for an empty file.
XetHash XetFileHash(std::vector<XetNode> chunks);
// keyed_hash(VERIFICATION_KEY, the raw chunk hashes concatenated): what a
// shard's FileVerificationEntry holds for one term.
XetHash XetVerificationHash(const XetHash* chunk_hashes, size_t n);

// keyed_hash(key, message): how a CAS hides the chunk hashes of a shard it
// hands out for dedup (the shard's footer names the key).
XetHash XetHmac(const XetHash& key, const XetHash& message);

// A SHA-256 digest in the protocol's raw form: each 8-byte group reversed, so
// that ToHex() prints the usual hex. nullopt unless 64 hex digits.
std::optional<XetHash> XetHashFromSha256Hex(std::string_view sha256_hex);

}  // namespace hubmirror
