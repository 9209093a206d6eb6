#include "store/bundle/bundle_writer.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "store/hash.h"
#include "store/xet/xorb_format.h"
#include "store/zstd_context.h"

namespace hubmirror {
namespace {

constexpr size_t kOutputBufferBytes = size_t{1} << 20;

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Removes the partial output on every failure path unless Release()d.
class PartialFileGuard {
 public:
  PartialFileGuard(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~PartialFileGuard() {
    if (!released_) (void)env_->RemoveFile(path_);
  }
  PartialFileGuard(const PartialFileGuard&) = delete;
  PartialFileGuard& operator=(const PartialFileGuard&) = delete;
  void Release() { released_ = true; }

 private:
  Env* env_;
  std::string path_;
  bool released_ = false;
};

// Buffered appends to the output that also feed the trailer's SHA-256.
class HashingOutput {
 public:
  explicit HashingOutput(WritableFile* file) : file_(file) {}

  Status Write(std::string_view bytes) {
    hasher_.Update(bytes.data(), bytes.size());
    return WriteUnhashed(bytes);
  }
  // For the trailer digest itself, which cannot cover its own bytes.
  Status WriteUnhashed(std::string_view bytes) {
    offset_ += bytes.size();
    buffer_.append(bytes);
    return buffer_.size() >= kOutputBufferBytes ? Flush() : Status::Ok();
  }
  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status s = file_->Append(buffer_.data(), buffer_.size());
    buffer_.clear();
    return s;
  }
  // Raw 32-byte digest of everything written through Write().
  std::string FinishDigest() { return HexToDigest(hasher_.FinishHex()); }
  uint64_t offset() const { return offset_; }

 private:
  WritableFile* file_;
  Sha256Hasher hasher_;
  std::string buffer_;
  uint64_t offset_ = 0;
};

// Reads exactly n bytes at offset or fails: a store object shorter than its
// recorded size is damage, not end of data.
Status ReadFully(const ObjectReader& reader, const std::string& sha256, uint64_t offset, char* buf,
                 size_t n) {
  size_t done = 0;
  while (done < n) {
    HM_ASSIGN_OR_RETURN(size_t got, reader.ReadAt(offset + done, buf + done, n - done));
    if (got == 0) {
      return Status::DataLoss("store object " + sha256 + " ended at byte " +
                              std::to_string(offset + done) + ", before its recorded size");
    }
    done += got;
  }
  return Status::Ok();
}

// Writes one object record, chunk by chunk, choosing raw or zstd per chunk.
class ObjectRecordWriter {
 public:
  ObjectRecordWriter(ObjectStore* store, HashingOutput* out, BundleWriteStats* stats)
      : store_(store), out_(out), stats_(stats), raw_(kBundleChunkBytes) {}

  Status Init() {
    cctx_.reset(ZSTD_createCCtx());
    if (cctx_ == nullptr) return Status::ResourceExhausted("zstd: cannot create a compression context");
    size_t rc = ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, kBundleZstdLevel);
    if (ZSTD_isError(rc)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
    compressed_.resize(ZSTD_compressBound(kBundleChunkBytes));
    return Status::Ok();
  }

  Status Write(const BundleObject& object) {
    Result<std::unique_ptr<ObjectReader>> reader = store_->Open(object.sha256);
    if (!reader.ok()) {
      return Status(reader.status().code(), "object " + object.sha256 +
                                                " cannot be read from the store: " +
                                                reader.status().message());
    }
    if ((*reader)->size() != object.size) {
      return Status::DataLoss("store object " + object.sha256 + " has " +
                              std::to_string((*reader)->size()) + " bytes, the index says " +
                              std::to_string(object.size));
    }
    std::string header(1, kBundleObjectTag);
    header += HexToDigest(object.sha256);
    AppendLittleEndian(object.size, 8, &header);
    HM_RETURN_IF_ERROR(out_->Write(header));

    Sha256Hasher verify;
    for (uint64_t offset = 0; offset < object.size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kBundleChunkBytes, object.size - offset));
      HM_RETURN_IF_ERROR(ReadFully(**reader, object.sha256, offset, raw_.data(), n));
      verify.Update(raw_.data(), n);
      HM_RETURN_IF_ERROR(WriteChunk(n));
      offset += n;
    }
    if (std::string actual = verify.FinishHex(); actual != object.sha256) {
      return Status::DataLoss("store object " + object.sha256 + " is corrupt: its bytes hash to " +
                              actual + "; remove it and fetch it again");
    }
    ++stats_->objects_written;
    stats_->raw_bytes += object.size;
    return Status::Ok();
  }

 private:
  // Keeps the zstd form only when it saves kMinCompressionSavingsPercent.
  Status WriteChunk(size_t n) {
    // ZSTD_compress2 is the one-shot form of ZSTD_compressStream2(ZSTD_e_end):
    // a chunk is at most kBundleChunkBytes, so one call per chunk suffices.
    size_t z = ZSTD_compress2(cctx_.get(), compressed_.data(), compressed_.size(), raw_.data(), n);
    const bool use_zstd =
        !ZSTD_isError(z) && z * 100 <= n * static_cast<size_t>(100 - kMinCompressionSavingsPercent);
    std::string_view stored = use_zstd ? std::string_view(compressed_.data(), z)
                                       : std::string_view(raw_.data(), n);
    std::string header;
    header.push_back(static_cast<char>(use_zstd ? ChunkEncoding::kZstd : ChunkEncoding::kRaw));
    AppendLittleEndian(n, 4, &header);
    AppendLittleEndian(stored.size(), 4, &header);
    HM_RETURN_IF_ERROR(out_->Write(header));
    HM_RETURN_IF_ERROR(out_->Write(stored));
    stats_->stored_bytes += stored.size();
    ++stats_->chunks;
    if (use_zstd) ++stats_->compressed_chunks;
    return Status::Ok();
  }

  ObjectStore* store_;
  HashingOutput* out_;
  BundleWriteStats* stats_;
  ZstdCompressContext cctx_;
  std::vector<char> raw_;
  std::vector<char> compressed_;
};

// Writes the xorb records of framing 2, each checked against its name, in
// manifest order; after each carried object whose xorbs are all written,
// calls `on_object`.
Status WriteXorbRecords(ChunkedObjectStore* store, const BundleManifest& manifest,
                        const BundleObjectCallback& on_object, HashingOutput* out,
                        BundleWriteStats* stats) {
  XetChunkCodec codec;
  std::string bytes;
  size_t next = 0;  // next xorb of the manifest to write
  auto write_through = [&](size_t until) -> Status {
    for (; next <= until && next < manifest.xorbs.size(); ++next) {
      const BundleXorb& x = manifest.xorbs[next];
      if (!x.included) continue;
      std::optional<XetHash> hash = XetHash::FromHex(x.hash);
      if (!hash) return Status::Internal("bundle plan named xorb '" + x.hash + "'");
      HM_ASSIGN_OR_RETURN(StoredXorb stored, store->OpenXorb(*hash));
      if (stored.size != x.size || stored.size > kMaxBundleXorbBytes) {
        return Status::DataLoss("xorb " + x.hash + " has " + std::to_string(stored.size) +
                                " bytes, the plan said " + std::to_string(x.size));
      }
      bytes.resize(stored.size);
      HM_RETURN_IF_ERROR(ReadExactlyAt(*stored.file, 0, bytes.data(), bytes.size(),
                                       "xorb " + x.hash + " is shorter than its record"));
      Result<ParsedXorb> parsed = ParseAndVerifyXorb(bytes, &codec);
      if (!parsed.ok() || parsed->hash != *hash) {
        return Status::DataLoss("store xorb " + x.hash + " is damaged (" +
                                (parsed.ok() ? "its chunks hash to " + parsed->hash.ToHex()
                                             : parsed.status().message()) +
                                "); run `hubmirror verify` and fetch the files again");
      }
      std::string header(1, kBundleXorbTag);
      header.append(reinterpret_cast<const char*>(hash->bytes.data()), hash->bytes.size());
      AppendLittleEndian(bytes.size(), 8, &header);
      HM_RETURN_IF_ERROR(out->Write(header));
      HM_RETURN_IF_ERROR(out->Write(bytes));
      ++stats->xorbs_written;
      stats->stored_bytes += bytes.size();
      for (const XorbChunk& c : parsed->chunks) {
        ++stats->chunks;
        if (c.scheme != XetScheme::kNone) ++stats->compressed_chunks;
      }
    }
    return Status::Ok();
  };
  for (const BundleObject& object : manifest.objects) {
    if (!object.included) continue;
    size_t last = 0;
    for (const BundleTerm& t : object.terms) last = std::max<size_t>(last, t.xorb);
    if (!object.terms.empty()) HM_RETURN_IF_ERROR(write_through(last));
    ++stats->objects_written;
    stats->raw_bytes += object.size;
    if (on_object) on_object(object);
  }
  return write_through(manifest.xorbs.size());
}

Status WriteAll(ChunkedObjectStore* store, const BundleManifest& manifest,
                const BundleObjectCallback& on_object, HashingOutput* out,
                BundleWriteStats* stats) {
  HM_RETURN_IF_ERROR(out->Write(manifest.carries_xorbs ? kBundleMagicXorbs : kBundleMagic));
  const std::string json = EncodeBundleManifest(manifest);
  if (json.size() > kMaxBundleManifestBytes) {
    return Status::ResourceExhausted("bundle manifest is " + std::to_string(json.size()) +
                                     " bytes, more than the format's limit of " +
                                     std::to_string(kMaxBundleManifestBytes) +
                                     "; export fewer repos per bundle");
  }
  std::string length;
  AppendLittleEndian(json.size(), 8, &length);
  HM_RETURN_IF_ERROR(out->Write(length));
  HM_RETURN_IF_ERROR(out->Write(json));

  uint64_t records = 0;
  if (manifest.carries_xorbs) {
    HM_RETURN_IF_ERROR(WriteXorbRecords(store, manifest, on_object, out, stats));
    records = stats->xorbs_written;
  } else {
    ObjectRecordWriter writer(store, out, stats);
    HM_RETURN_IF_ERROR(writer.Init());
    for (const BundleObject& object : manifest.objects) {
      if (!object.included) continue;
      HM_RETURN_IF_ERROR(writer.Write(object));
      if (on_object) on_object(object);
    }
    records = stats->objects_written;
  }

  std::string trailer(1, kBundleTrailerTag);
  AppendLittleEndian(records, 8, &trailer);
  HM_RETURN_IF_ERROR(out->Write(trailer));
  HM_RETURN_IF_ERROR(out->WriteUnhashed(out->FinishDigest()));
  HM_RETURN_IF_ERROR(out->Flush());
  stats->bundle_bytes = out->offset();
  return Status::Ok();
}

}  // namespace

Result<BundleWriteStats> WriteBundle(Env* env, ChunkedObjectStore* store,
                                     const BundleManifest& manifest, const std::string& path,
                                     const BundleObjectCallback& on_object) {
  const std::string partial = path + ".partial";
  // A leftover of an interrupted export is ours to replace.
  if (Status s = env->RemoveFile(partial); !s.ok() && !s.IsNotFound()) return s;
  PartialFileGuard guard(env, partial);
  BundleWriteStats stats;
  {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(partial));
    HashingOutput out(file.get());
    HM_RETURN_IF_ERROR(WriteAll(store, manifest, on_object, &out, &stats));
    HM_RETURN_IF_ERROR(file->Sync());
    HM_RETURN_IF_ERROR(file->Close());
  }
  HM_RETURN_IF_ERROR(env->RenameFile(partial, path));
  guard.Release();
  HM_RETURN_IF_ERROR(env->SyncDir(DirName(path)));
  return stats;
}

}  // namespace hubmirror
