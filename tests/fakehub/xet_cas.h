// XetCas: the fake hub's Xet storage, as the Hub's CAS holds what hf_xet
// uploaded: every LFS content cut into chunks, packed into xorbs, and each
// file's reconstruction as terms over them. Built once at start-up by
// "uploading" the fixtures' LFS contents in order, with global chunk dedup
// like hf_xet's: a chunk some earlier upload stored is referenced where it
// is, new chunks go into new xorbs. So a fine-tune uploaded after its base
// points into the base's xorbs for every chunk they share.
//
// Chunks are stored uncompressed (scheme 0); xorb bytes are composed on
// demand from the contents, so multi-GiB extra files are never copied.
// Immutable after construction; safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

struct CasXorb {
  std::string hex;  // xorb hash, hex rule
  struct Chunk {
    const Blob* source = nullptr;  // the content the chunk's bytes are in
    uint64_t offset = 0;
    uint32_t size = 0;
    uint64_t record_offset = 0;    // of its 8-byte header in the serialized xorb
  };
  std::vector<Chunk> chunks;
  uint64_t serialized_size = 0;
};

struct CasTerm {
  size_t xorb = 0;  // index into XetCas::xorbs()
  uint32_t start = 0;
  uint32_t end = 0;  // exclusive
  uint64_t unpacked = 0;
};

struct CasFile {
  uint64_t size = 0;
  std::vector<CasTerm> terms;
  uint64_t new_bytes = 0;  // raw bytes of chunks its upload added (not deduplicated)
};

class XetCas {
 public:
  explicit XetCas(const Hub& hub);

  // By Xet file hash (hex rule); null when unknown.
  const CasFile* FindFile(const std::string& xet_hash) const;
  // Index into xorbs() by xorb hash; -1 when unknown.
  long FindXorb(const std::string& hex) const;
  const std::vector<CasXorb>& xorbs() const { return xorbs_; }
  // Appends bytes [first, last] (inclusive) of a serialized xorb to `out`.
  void ReadXorb(size_t xorb, uint64_t first, uint64_t last, std::string* out) const;

 private:
  void Upload(const Blob& blob);

  std::vector<CasXorb> xorbs_;
  std::map<std::string, CasFile> files_;  // by xet hash
  std::map<std::string, size_t> xorb_by_hex_;
  std::map<std::array<uint8_t, 32>, std::pair<size_t, uint32_t>> chunk_index_;
};

}  // namespace fakehub
