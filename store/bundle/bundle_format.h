// The air-gap bundle: one file that carries repos, refs, commits with their
// complete file lists, and the content they are made of, from one store to
// another (`hubmirror export` / `hubmirror import`). docs/bundle-format.md is
// the byte-by-byte specification; this header holds the constants and the
// in-memory manifest.
//
// Two framings (all integers little-endian). What `export` writes, 2: the
// content travels as the store keeps it, in Xet xorbs, so a chunk shared by
// a base model and its fine-tunes crosses the air gap once, and a bundle
// made `--since` a store's inventory leaves out the xorbs it holds:
//
//   magic     "hubmirror-bundle 2\n"                          19 bytes
//   manifest  u64 length L, then L bytes of UTF-8 JSON          (L <= 256 MiB)
//             (version 3: objects name their reconstruction as terms over
//             the manifest's "xorbs" list)
//   xorbs     for every manifest xorb with included=true, in manifest order:
//               'X', xorb hash (32 raw bytes), u64 length N (<= 72 MiB),
//               N bytes: the serialized xorb (chunk records, footer)
//   trailer   'E', u64 record count,
//             SHA-256 (32 raw bytes) of every byte before this digest
//   end of file (nothing may follow)
//
// What earlier releases wrote, 1 (still imported): every object's bytes in
// chunks of up to 4 MiB, raw or zstd where that saves 10%:
//
//   magic     "hubmirror-bundle 1\n"
//   manifest  as above (versions 1 and 2)
//   objects   for every manifest object with included=true, in manifest order:
//               'O', sha256 (32 raw bytes), u64 size,
//               then chunks until their raw lengths sum to size:
//                 u8 encoding (0 raw, 1 zstd), u32 raw length (1..4 MiB),
//                 u32 stored length, stored bytes
//   trailer   as above
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

// The magic's digit is the framing (records, trailer); the manifest's own
// "version" says what the JSON may hold.
inline constexpr std::string_view kBundleMagic = "hubmirror-bundle 1\n";
inline constexpr std::string_view kBundleMagicXorbs = "hubmirror-bundle 2\n";
static_assert(kBundleMagic.size() == kBundleMagicXorbs.size());
// The manifest version of framing 2 (objects with terms, a xorb list).
inline constexpr int kBundleFormatVersionXorbs = 3;
inline constexpr char kBundleXorbTag = 'X';
// A xorb's serialized size: 64 MiB of chunks, 8-byte record headers and a
// footer of 40 bytes per chunk fit well within this.
inline constexpr uint64_t kMaxBundleXorbBytes = uint64_t{72} << 20;
// 'X' + hash + u64 length.
inline constexpr size_t kBundleXorbHeaderBytes = 1 + 32 + 8;
// Manifest versions of framing 1: 1 = every file's object is listed; 2 adds
// per-commit "files_left_out" (framing 2's version 3 has both). The reader
// accepts 1 to 3.
inline constexpr int kBundleFormatVersionWithLeftOut = 2;
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

// One term of an object's reconstruction: chunks [chunk_start, chunk_end) of
// manifest xorb number `xorb`, `raw_size` bytes of the object.
struct BundleTerm {
  uint32_t xorb = 0;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;
  uint64_t raw_size = 0;
  bool operator==(const BundleTerm&) const = default;
};

// A xorb the bundle's objects are made of; `included` ones follow the
// manifest as records, the others must be in the destination store.
struct BundleXorb {
  std::string hash;  // 64 hex, the Xet hex rule
  uint64_t size = 0;  // serialized bytes
  bool included = true;
  bool operator==(const BundleXorb&) const = default;
};

// A content object the bundle's commits need. `included` objects are carried
// (framing 1: as records after the manifest; framing 2: as the xorbs of their
// terms); the others (left out by `export --since`) must already be in the
// destination store.
struct BundleObject {
  std::string sha256;    // 64 lower hex
  std::string git_sha1;  // 40 lower hex git blob id, or "" when unknown
  uint64_t size = 0;
  bool included = true;
  // Framing 2, included objects: the Xet file hash and reconstruction.
  std::string xet_hash;
  std::vector<BundleTerm> terms;

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
//   - object sha256s are unique;
//   - framing 2 (carries_xorbs, manifest version 3): xorb hashes are unique;
//     every included object has a 64-hex xet_hash and terms whose xorbs are
//     listed, whose chunk ranges are not empty and whose raw sizes add up to
//     the object's size (none for an empty object).
struct BundleManifest {
  std::vector<RepoSnapshot> repos;
  std::vector<BundleObject> objects;
  BundleFilesLeftOut files_left_out;
  // Framing 2: the xorbs of the included objects' reconstructions.
  std::vector<BundleXorb> xorbs;
  bool carries_xorbs = false;

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
