// The air-gap bundle: one file that carries repos, refs, commits with their
// complete file lists, and the content objects they name, from one store to
// another (`hubmirror export` / `hubmirror import`). docs/bundle-format.md is
// the byte-by-byte specification; this header holds the constants and the
// in-memory manifest.
//
// Layout (all integers little-endian):
//
//   magic     "hubmirror-bundle 1\n"                          19 bytes
//   manifest  u64 length L, then L bytes of UTF-8 JSON          (L <= 256 MiB)
//   objects   for every manifest object with included=true, in manifest order:
//               'O', sha256 (32 raw bytes), u64 size,
//               then chunks until their raw lengths sum to size:
//                 u8 encoding (0 raw, 1 zstd), u32 raw length (1..4 MiB),
//                 u32 stored length, stored bytes
//   trailer   'E', u64 object record count,
//             SHA-256 (32 raw bytes) of every byte before this digest
//   end of file (nothing may follow)
//
// Chunks bound memory on both sides (one chunk in flight, whatever the object
// size) and let the writer choose per chunk: a chunk is stored zstd-compressed
// only when that saves at least kMinCompressionSavingsPercent, so random data
// costs 9 bytes of framing per 4 MiB and nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/index.h"
#include "store/status.h"

namespace hubmirror {

inline constexpr std::string_view kBundleMagic = "hubmirror-bundle 1\n";
inline constexpr int kBundleFormatVersion = 1;

inline constexpr uint64_t kMaxBundleManifestBytes = uint64_t{256} << 20;
inline constexpr uint32_t kBundleChunkBytes = uint32_t{4} << 20;
inline constexpr int kMinCompressionSavingsPercent = 10;
inline constexpr int kBundleZstdLevel = 3;

inline constexpr char kBundleObjectTag = 'O';
inline constexpr char kBundleTrailerTag = 'E';
inline constexpr size_t kBundleDigestBytes = 32;
// 'O' + sha256 + u64 size.
inline constexpr size_t kBundleObjectHeaderBytes = 1 + kBundleDigestBytes + 8;
// u8 encoding + u32 raw length + u32 stored length.
inline constexpr size_t kBundleChunkHeaderBytes = 1 + 4 + 4;
// 'E' + u64 count + digest.
inline constexpr size_t kBundleTrailerBytes = 1 + 8 + kBundleDigestBytes;

enum class ChunkEncoding : uint8_t { kRaw = 0, kZstd = 1 };

// A content object the bundle's commits need. `included` objects follow the
// manifest as records; the others (left out by `export --since`) must already
// be in the destination store.
struct BundleObject {
  std::string sha256;    // 64 lower hex
  std::string git_sha1;  // 40 lower hex git blob id, or "" when unknown
  uint64_t size = 0;
  bool included = true;

  bool operator==(const BundleObject&) const = default;
};

// What a bundle holds. Invariants (checked by DecodeBundleManifest, relied on
// by the importer):
//   - every commit has tree_complete = true and a validated file list;
//   - every ref names a commit of the same repo in the bundle;
//   - every file entry maps to exactly one object: an LFS file by its
//     lfs_sha256, a regular file by git_sha1 == its oid; sizes agree;
//   - object sha256s are unique.
struct BundleManifest {
  std::vector<RepoSnapshot> repos;
  std::vector<BundleObject> objects;
};

// Compact JSON (see docs/bundle-format.md for the schema).
std::string EncodeBundleManifest(const BundleManifest& manifest);
// Parses and validates every field and the invariants above; errors name the
// repo, commit, path or object at fault.
Result<BundleManifest> DecodeBundleManifest(std::string_view json);

// Little-endian fixed-width helpers shared by the writer and the reader.
void AppendLittleEndian(uint64_t value, size_t bytes, std::string* out);
uint64_t ReadLittleEndian(const char* data, size_t bytes);
// 64 lower hex <-> 32 raw bytes. HexToDigest expects validated hex.
std::string DigestToHex(std::string_view raw);
std::string HexToDigest(std::string_view hex);

}  // namespace hubmirror
