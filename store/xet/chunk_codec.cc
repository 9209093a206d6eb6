#include "store/xet/chunk_codec.h"

#include <lz4.h>
#include <lz4frame.h>

#include <algorithm>
#include <cstring>

namespace hubmirror {
namespace {

// A chunk is stored compressed only when that saves at least 1/4 of it.
constexpr size_t kMinSavingDivisor = 4;
// The sample that decides whether compressing the whole chunk is worth a try,
// and the saving it must show (1/8).
constexpr size_t kSampleBytes = 4096;
constexpr size_t kSampleSavingDivisor = 8;

// lz4_flex's FrameEncoder defaults, which hf_xet writes: 64 KiB independent
// blocks, no checksums, no content size.
LZ4F_preferences_t FramePreferences() {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.frameType = LZ4F_frame;
  prefs.autoFlush = 1;
  return prefs;
}

bool Saves(size_t stored, size_t raw, size_t divisor) { return stored <= raw - raw / divisor; }

}  // namespace

struct XetChunkCodec::Contexts {
  LZ4F_cctx* cctx = nullptr;
  LZ4F_dctx* dctx = nullptr;
  char sample_out[LZ4_COMPRESSBOUND(kSampleBytes)];
  uint8_t sample_grouped[kSampleBytes];
  ~Contexts() {
    if (cctx != nullptr) LZ4F_freeCompressionContext(cctx);
    if (dctx != nullptr) LZ4F_freeDecompressionContext(dctx);
  }
};

bool IsXetScheme(uint8_t value) { return value <= 2; }

const char* XetSchemeName(XetScheme scheme) {
  switch (scheme) {
    case XetScheme::kNone: return "none";
    case XetScheme::kLz4: return "lz4";
    case XetScheme::kBg4Lz4: return "bg4-lz4";
  }
  return "unknown";
}

void Bg4Split(const uint8_t* in, size_t n, uint8_t* out) {
  const size_t q = n / 4, r = n % 4;
  uint8_t* group[4];
  group[0] = out;
  for (size_t k = 1; k < 4; ++k) group[k] = group[k - 1] + q + (k - 1 < r ? 1 : 0);
  size_t i = 0;
  for (size_t j = 0; j < q; ++j, i += 4) {
    group[0][j] = in[i];
    group[1][j] = in[i + 1];
    group[2][j] = in[i + 2];
    group[3][j] = in[i + 3];
  }
  for (size_t k = 0; k < r; ++k) group[k][q] = in[i + k];
}

void Bg4Regroup(const uint8_t* in, size_t n, uint8_t* out) {
  const size_t q = n / 4, r = n % 4;
  const uint8_t* group[4];
  group[0] = in;
  for (size_t k = 1; k < 4; ++k) group[k] = group[k - 1] + q + (k - 1 < r ? 1 : 0);
  size_t i = 0;
  for (size_t j = 0; j < q; ++j, i += 4) {
    out[i] = group[0][j];
    out[i + 1] = group[1][j];
    out[i + 2] = group[2][j];
    out[i + 3] = group[3][j];
  }
  for (size_t k = 0; k < r; ++k) out[i + k] = group[k][q];
}

// Contexts are made on first use: most readers of stored bytes (plain
// ranges of uncompressed chunks) never need one.
XetChunkCodec::XetChunkCodec() = default;

XetChunkCodec::Contexts& XetChunkCodec::contexts() {
  if (contexts_ == nullptr) contexts_ = std::make_unique<Contexts>();
  return *contexts_;
}
XetChunkCodec::~XetChunkCodec() = default;

Status XetChunkCodec::Lz4Frame(const uint8_t* raw, size_t n, std::string* out) {
  Contexts& c = contexts();
  if (c.cctx == nullptr &&
      LZ4F_isError(LZ4F_createCompressionContext(&c.cctx, LZ4F_VERSION))) {
    c.cctx = nullptr;
    return Status::Internal("lz4: cannot create a compression context");
  }
  const LZ4F_preferences_t prefs = FramePreferences();
  out->resize(LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(n, &prefs));
  char* dst = out->data();
  size_t cap = out->size();
  size_t pos = LZ4F_compressBegin(c.cctx, dst, cap, &prefs);
  if (LZ4F_isError(pos)) return Status::Internal("lz4: compressBegin failed");
  size_t got = LZ4F_compressUpdate(c.cctx, dst + pos, cap - pos, raw, n, nullptr);
  if (LZ4F_isError(got)) return Status::Internal("lz4: compressUpdate failed");
  pos += got;
  got = LZ4F_compressEnd(c.cctx, dst + pos, cap - pos, nullptr);
  if (LZ4F_isError(got)) return Status::Internal("lz4: compressEnd failed");
  out->resize(pos + got);
  return Status::Ok();
}

Status XetChunkCodec::Lz4Unframe(const uint8_t* stored, size_t stored_size, uint8_t* out,
                                 size_t raw_size) {
  Contexts& c = contexts();
  if (c.dctx == nullptr &&
      LZ4F_isError(LZ4F_createDecompressionContext(&c.dctx, LZ4F_VERSION))) {
    c.dctx = nullptr;
    return Status::Internal("lz4: cannot create a decompression context");
  }
  size_t in_pos = 0, out_pos = 0;
  while (true) {
    size_t src = stored_size - in_pos;
    size_t dst = raw_size - out_pos;
    const size_t hint =
        LZ4F_decompress(c.dctx, out + out_pos, &dst, stored + in_pos, &src, nullptr);
    if (LZ4F_isError(hint)) {
      LZ4F_resetDecompressionContext(c.dctx);
      return Status::DataLoss(std::string("lz4 frame does not decode: ") +
                              LZ4F_getErrorName(hint));
    }
    in_pos += src;
    out_pos += dst;
    if (hint == 0) break;  // end of the frame
    if (src == 0 && dst == 0) {
      // No progress: the input ended mid-frame, or the output is full.
      LZ4F_resetDecompressionContext(c.dctx);
      return Status::DataLoss("lz4 frame is truncated or longer than its chunk");
    }
  }
  if (in_pos != stored_size || out_pos != raw_size) {
    return Status::DataLoss("lz4 frame decodes to " + std::to_string(out_pos) + " bytes from " +
                            std::to_string(in_pos) + " of " + std::to_string(stored_size) +
                            "; the chunk has " + std::to_string(raw_size));
  }
  return Status::Ok();
}

XetScheme XetChunkCodec::Encode(const uint8_t* raw, size_t n, std::string* out) {
  if (n < 64) return XetScheme::kNone;
  Contexts& c = contexts();
  const size_t sample = std::min(n, kSampleBytes);
  const int sample_lz4 = LZ4_compress_default(reinterpret_cast<const char*>(raw), c.sample_out,
                                              static_cast<int>(sample), sizeof(c.sample_out));
  if (sample_lz4 > 0 && Saves(static_cast<size_t>(sample_lz4), sample, kSampleSavingDivisor)) {
    if (Lz4Frame(raw, n, out).ok() && Saves(out->size(), n, kMinSavingDivisor)) {
      return XetScheme::kLz4;
    }
  }
  Bg4Split(raw, sample, c.sample_grouped);
  const int sample_bg4 =
      LZ4_compress_default(reinterpret_cast<const char*>(c.sample_grouped), c.sample_out,
                           static_cast<int>(sample), sizeof(c.sample_out));
  if (sample_bg4 > 0 && Saves(static_cast<size_t>(sample_bg4), sample, kSampleSavingDivisor)) {
    if (EncodeWith(XetScheme::kBg4Lz4, raw, n, out).ok() &&
        Saves(out->size(), n, kMinSavingDivisor)) {
      return XetScheme::kBg4Lz4;
    }
  }
  return XetScheme::kNone;
}

Status XetChunkCodec::EncodeWith(XetScheme scheme, const uint8_t* raw, size_t n,
                                 std::string* out) {
  switch (scheme) {
    case XetScheme::kNone:
      out->assign(reinterpret_cast<const char*>(raw), n);
      return Status::Ok();
    case XetScheme::kLz4:
      return Lz4Frame(raw, n, out);
    case XetScheme::kBg4Lz4:
      grouped_.resize(n);
      Bg4Split(raw, n, reinterpret_cast<uint8_t*>(grouped_.data()));
      return Lz4Frame(reinterpret_cast<const uint8_t*>(grouped_.data()), n, out);
  }
  return Status::InvalidArgument("unknown xet compression scheme");
}

Status XetChunkCodec::Decode(XetScheme scheme, const uint8_t* stored, size_t stored_size,
                             uint8_t* out, size_t raw_size) {
  switch (scheme) {
    case XetScheme::kNone:
      if (stored_size != raw_size) {
        return Status::DataLoss("uncompressed chunk of " + std::to_string(stored_size) +
                                " bytes claims " + std::to_string(raw_size));
      }
      std::memcpy(out, stored, raw_size);
      return Status::Ok();
    case XetScheme::kLz4:
      return Lz4Unframe(stored, stored_size, out, raw_size);
    case XetScheme::kBg4Lz4:
      grouped_.resize(raw_size);
      HM_RETURN_IF_ERROR(Lz4Unframe(stored, stored_size,
                                    reinterpret_cast<uint8_t*>(grouped_.data()), raw_size));
      Bg4Regroup(reinterpret_cast<const uint8_t*>(grouped_.data()), raw_size, out);
      return Status::Ok();
  }
  return Status::DataLoss("unknown xet compression scheme " +
                          std::to_string(static_cast<int>(scheme)));
}

}  // namespace hubmirror
