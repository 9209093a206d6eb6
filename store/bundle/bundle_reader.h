// BundleReader: walks a bundle file front to back (format:
// store/bundle_format.h, docs/bundle-format.md) and checks its framing.
//
// Call ReadManifest() once, then, for framing 1, ReadObject() for every
// manifest object with included = true, or, for framing 2 (the manifest
// carries_xorbs), ReadXorb() for every included xorb, in manifest order;
// then ReadTrailer(). Each step fails
// (and the reader must then be dropped) on:
//   - truncation: DataLoss naming the byte offset and the part being read;
//   - bad framing (magic, tags, lengths, encodings, zstd data): DataLoss or
//     InvalidArgument naming the part and offset;
//   - a record that is not the object or xorb the manifest announced next;
//   - ReadTrailer: a wrong record count, a SHA-256 over the bytes before the
//     digest that does not match, or bytes after the trailer.
// The reader does not hash contents: the sink given to ReadObject is expected
// to (an ObjectWriter with a sha256 promise does), and a xorb's bytes are
// checked by whoever stores them (ChunkedObjectStore::PutXorb). Only after
// ReadTrailer() succeeds is the manifest known to be what the exporter wrote.
//
// Memory: one chunk (at most kBundleChunkBytes decoded) or one xorb (at most
// kMaxBundleXorbBytes), whatever the bundle or object size. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/bundle/bundle_format.h"
#include "store/env.h"
#include "store/hash.h"
#include "store/status.h"
#include "store/zstd_context.h"

namespace hubmirror {

// Receives an object's bytes in order; a non-OK status stops the read.
using BundleObjectSink = std::function<Status(const char* data, size_t n)>;

class BundleReader {
 public:
  static Result<std::unique_ptr<BundleReader>> Open(Env* env, const std::string& path);
  BundleReader(const BundleReader&) = delete;
  BundleReader& operator=(const BundleReader&) = delete;

  // Checks the magic line, then reads and decodes the manifest.
  Result<BundleManifest> ReadManifest();
  // Reads the next object record, which must be `expected` (digest and size),
  // passing its decoded bytes to `sink`.
  Status ReadObject(const BundleObject& expected, const BundleObjectSink& sink);
  // Reads the next xorb record, which must be `expected` (hash and size),
  // into `bytes` (not checked further: see above).
  Status ReadXorb(const BundleXorb& expected, std::string* bytes);
  // Checks the trailer and the end of the file.
  Status ReadTrailer();

  uint64_t offset() const { return offset_; }
  uint64_t file_size() const { return file_size_; }
  uint64_t records_read() const { return records_read_; }

 private:
  BundleReader(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t file_size);

  // Reads exactly n bytes into out (hashed unless `hashed` is false); fails
  // with DataLoss naming `what` when the file ends first.
  Status ReadExact(size_t n, const std::string& what, std::string* out, bool hashed = true);
  Status ReadChunk(const std::string& what, uint64_t remaining, const BundleObjectSink& sink,
                   uint64_t* decoded);
  Status Corrupt(const std::string& what, const std::string& problem) const;

  const std::string path_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  uint64_t offset_ = 0;
  uint64_t records_read_ = 0;
  Sha256Hasher hasher_;
  ZstdDecompressContext dctx_;
  std::string chunk_;                // stored bytes of the current chunk
  std::vector<char> decoded_;        // decoded bytes of the current chunk
};

}  // namespace hubmirror
