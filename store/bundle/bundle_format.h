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
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/index/index.h"
#include "store/status.h"

namespace hubmirror {

// The magic's "1" is the framing (records, chunks, trailer), unchanged since
// the first release; the manifest's own "version" says what the JSON may hold.
inline constexpr std::string_view kBundleMagic = "hubmirror-bundle 1\n";
// Manifest versions: 1 = every file's object is listed; 2 adds per-commit
// "files_left_out". The writer emits 2 only when a file is left out, so a
// bundle that leaves nothing out stays importable by version-1 releases; the
// reader accepts both.
inline constexpr int kBundleFormatVersion = 2;
inline constexpr int kBundleFormatVersionWithoutLeftOut = 1;

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

// Files of a commit whose objects the bundle deliberately does not carry
// (export --include/--exclude), keyed by (RepoKey::ToString(), commit). They
// stay in the commit's file list, so the destination lists them in trees and
// paths-info; it just has no bytes for them (offline: EntryNotFound, online:
// pulled through like any file it does not store).
using BundleFilesLeftOut =
    std::map<std::pair<std::string, std::string>, std::set<std::string>>;

// What a bundle holds. Invariants (checked by DecodeBundleManifest, relied on
// by the importer):
//   - every commit has tree_complete = true and a validated file list;
//   - every ref names a commit of the same repo in the bundle;
//   - every file entry not in files_left_out maps to exactly one object: an
//     LFS file by its lfs_sha256, a regular file by git_sha1 == its oid;
//     sizes agree (for a left-out file too when its object happens to be
//     listed, e.g. shared with a carried file);
//   - every files_left_out path is a file entry of its commit;
//   - object sha256s are unique.
struct BundleManifest {
  std::vector<RepoSnapshot> repos;
  std::vector<BundleObject> objects;
  BundleFilesLeftOut files_left_out;

  bool IsLeftOut(const RepoKey& repo, const std::string& commit, const std::string& path) const;
  // Number of left-out file entries over all commits.
  uint64_t CountLeftOut() const;
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
