#include "store/bundle/bundle_reader.h"

#include <cstring>
#include <utility>

#include "store/xet/xet_hash.h"

namespace hubmirror {

Result<std::unique_ptr<BundleReader>> BundleReader::Open(Env* env, const std::string& path) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  HM_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  auto reader = std::unique_ptr<BundleReader>(new BundleReader(path, std::move(file), size));
  reader->dctx_.reset(ZSTD_createDCtx());
  if (reader->dctx_ == nullptr) {
    return Status::ResourceExhausted("zstd: cannot create a decompression context");
  }
  return reader;
}

BundleReader::BundleReader(std::string path, std::unique_ptr<RandomAccessFile> file,
                           uint64_t file_size)
    : path_(std::move(path)), file_(std::move(file)), file_size_(file_size) {}

Status BundleReader::Corrupt(const std::string& what, const std::string& problem) const {
  return Status::DataLoss("bundle " + path_ + " is damaged: " + what + " at byte " +
                          std::to_string(offset_) + ": " + problem);
}

Status BundleReader::ReadExact(size_t n, const std::string& what, std::string* out, bool hashed) {
  if (n > file_size_ - offset_) {
    return Status::DataLoss("bundle " + path_ + " is truncated: it ends at byte " +
                            std::to_string(file_size_) + ", inside " + what + " (which needs " +
                            std::to_string(n) + " bytes from byte " + std::to_string(offset_) +
                            ")");
  }
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    HM_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset_ + done, out->data() + done, n - done));
    if (got == 0) {
      return Status::DataLoss("bundle " + path_ + " shrank while being read, inside " + what);
    }
    done += got;
  }
  if (hashed) hasher_.Update(out->data(), n);
  offset_ += n;
  return Status::Ok();
}

Result<BundleManifest> BundleReader::ReadManifest() {
  std::string bytes;
  HM_RETURN_IF_ERROR(ReadExact(kBundleMagic.size(), "the magic line", &bytes));
  if (bytes != kBundleMagic && bytes != kBundleMagicXorbs) {
    return Status::InvalidArgument("bundle " + path_ +
                                   " is not a hubmirror bundle: it does not start with "
                                   "\"hubmirror-bundle 1\\n\" or \"hubmirror-bundle 2\\n\"");
  }
  const bool xorb_framing = bytes == kBundleMagicXorbs;
  HM_RETURN_IF_ERROR(ReadExact(8, "the manifest length", &bytes));
  const uint64_t length = ReadLittleEndian(bytes.data(), 8);
  if (length > kMaxBundleManifestBytes) {
    return Corrupt("the manifest length", std::to_string(length) + " exceeds the limit of " +
                                              std::to_string(kMaxBundleManifestBytes) + " bytes");
  }
  HM_RETURN_IF_ERROR(ReadExact(static_cast<size_t>(length), "the manifest", &bytes));
  Result<BundleManifest> manifest = DecodeBundleManifest(bytes);
  if (!manifest.ok()) {
    return Status::DataLoss("bundle " + path_ + " is damaged: " + manifest.status().message());
  }
  if (manifest->carries_xorbs != xorb_framing) {
    return Corrupt("the manifest", "its version does not match the framing of the magic line");
  }
  return manifest;
}

Status BundleReader::ReadChunk(const std::string& what, uint64_t remaining,
                               const BundleObjectSink& sink, uint64_t* decoded) {
  std::string header;
  HM_RETURN_IF_ERROR(ReadExact(kBundleChunkHeaderBytes, what + " chunk header", &header));
  const auto encoding = static_cast<uint8_t>(header[0]);
  const uint64_t raw_length = ReadLittleEndian(header.data() + 1, 4);
  const uint64_t stored_length = ReadLittleEndian(header.data() + 5, 4);
  if (encoding != static_cast<uint8_t>(ChunkEncoding::kRaw) &&
      encoding != static_cast<uint8_t>(ChunkEncoding::kZstd)) {
    return Corrupt(what, "unknown chunk encoding " + std::to_string(encoding));
  }
  if (raw_length == 0 || raw_length > kBundleChunkBytes || raw_length > remaining) {
    return Corrupt(what, "chunk length " + std::to_string(raw_length) + " is out of range (" +
                             std::to_string(remaining) + " bytes of the object remain)");
  }
  const bool zstd = encoding == static_cast<uint8_t>(ChunkEncoding::kZstd);
  if (!zstd && stored_length != raw_length) {
    return Corrupt(what, "raw chunk stores " + std::to_string(stored_length) + " bytes for " +
                             std::to_string(raw_length));
  }
  if (zstd && stored_length > ZSTD_compressBound(kBundleChunkBytes)) {
    return Corrupt(what, "compressed chunk length " + std::to_string(stored_length) +
                             " is out of range");
  }
  HM_RETURN_IF_ERROR(ReadExact(static_cast<size_t>(stored_length), what + " chunk data", &chunk_));
  const char* data = chunk_.data();
  if (zstd) {
    decoded_.resize(static_cast<size_t>(raw_length));
    size_t n = ZSTD_decompressDCtx(dctx_.get(), decoded_.data(), decoded_.size(), chunk_.data(),
                                   chunk_.size());
    if (ZSTD_isError(n)) {
      return Corrupt(what, std::string("zstd chunk does not decode: ") + ZSTD_getErrorName(n));
    }
    if (n != raw_length) {
      return Corrupt(what, "zstd chunk decodes to " + std::to_string(n) + " bytes, not " +
                               std::to_string(raw_length));
    }
    data = decoded_.data();
  }
  HM_RETURN_IF_ERROR(sink(data, static_cast<size_t>(raw_length)));
  *decoded += raw_length;
  return Status::Ok();
}

Status BundleReader::ReadObject(const BundleObject& expected, const BundleObjectSink& sink) {
  const std::string what = "object record #" + std::to_string(records_read_) + " (" +
                           expected.sha256 + ")";
  std::string header;
  HM_RETURN_IF_ERROR(ReadExact(kBundleObjectHeaderBytes, what + " header", &header));
  if (header[0] != kBundleObjectTag) {
    return Corrupt(what, "expected an object record ('O'), found byte " +
                             std::to_string(static_cast<unsigned char>(header[0])));
  }
  const std::string sha256 = DigestToHex(std::string_view(header).substr(1, kBundleDigestBytes));
  const uint64_t size = ReadLittleEndian(header.data() + 1 + kBundleDigestBytes, 8);
  if (sha256 != expected.sha256 || size != expected.size) {
    return Corrupt(what, "the record holds object " + sha256 + " (" + std::to_string(size) +
                             " bytes), the manifest announced " + expected.sha256 + " (" +
                             std::to_string(expected.size) + " bytes)");
  }
  uint64_t decoded = 0;
  // Each chunk carries at least one byte, so this ends after at most `size`
  // iterations.
  while (decoded < size) {
    HM_RETURN_IF_ERROR(ReadChunk(what, size - decoded, sink, &decoded));
  }
  ++records_read_;
  return Status::Ok();
}

Status BundleReader::ReadXorb(const BundleXorb& expected, std::string* bytes) {
  const std::string what = "xorb record #" + std::to_string(records_read_) + " (" +
                           expected.hash + ")";
  std::string header;
  HM_RETURN_IF_ERROR(ReadExact(kBundleXorbHeaderBytes, what + " header", &header));
  if (header[0] != kBundleXorbTag) {
    return Corrupt(what, "expected a xorb record ('X'), found byte " +
                             std::to_string(static_cast<unsigned char>(header[0])));
  }
  XetHash hash;
  std::memcpy(hash.bytes.data(), header.data() + 1, hash.bytes.size());
  const uint64_t size = ReadLittleEndian(header.data() + 1 + 32, 8);
  if (hash.ToHex() != expected.hash || size != expected.size) {
    return Corrupt(what, "the record holds xorb " + hash.ToHex() + " (" + std::to_string(size) +
                             " bytes), the manifest announced " + expected.hash + " (" +
                             std::to_string(expected.size) + " bytes)");
  }
  HM_RETURN_IF_ERROR(ReadExact(static_cast<size_t>(size), what, bytes));
  ++records_read_;
  return Status::Ok();
}

Status BundleReader::ReadTrailer() {
  std::string trailer;
  HM_RETURN_IF_ERROR(ReadExact(1 + 8, "the trailer", &trailer));
  if (trailer[0] != kBundleTrailerTag) {
    return Corrupt("the trailer", "expected the trailer ('E') after " +
                                      std::to_string(records_read_) +
                                      " records, found byte " +
                                      std::to_string(static_cast<unsigned char>(trailer[0])));
  }
  const uint64_t count = ReadLittleEndian(trailer.data() + 1, 8);
  if (count != records_read_) {
    return Corrupt("the trailer", "it counts " + std::to_string(count) + " records, the " +
                                      "bundle holds " + std::to_string(records_read_));
  }
  const std::string actual = hasher_.FinishHex();
  std::string digest;
  HM_RETURN_IF_ERROR(ReadExact(kBundleDigestBytes, "the trailer digest", &digest, /*hashed=*/false));
  if (DigestToHex(digest) != actual) {
    return Status::DataLoss("bundle " + path_ +
                            " is damaged: its SHA-256 does not match the trailer (the manifest "
                            "or a record was altered); expected " +
                            DigestToHex(digest) + ", computed " + actual);
  }
  if (offset_ != file_size_) {
    return Status::DataLoss("bundle " + path_ + " has " + std::to_string(file_size_ - offset_) +
                            " unexpected bytes after the trailer (at byte " +
                            std::to_string(offset_) + ")");
  }
  return Status::Ok();
}

}  // namespace hubmirror
