// ReconstructionReader: an ObjectReader over a file's reconstruction, its
// terms (xorb, chunk range) in file order.
//
// A read finds its term by binary search over the terms' file offsets and
// its chunk by binary search in the xorb's chunk table, so a Range costs
// O(log terms + log chunks) whatever the file's size. A file held in at most
// kMaxSources xorbs (nearly every file) has them all resolved (chunk table
// and read handle) at Create(), so that a reader streaming an object that is
// removed meanwhile (eviction, gc) still has every byte; the xorbs of larger
// files are resolved on first use.
//
// Thread-safe (one internal mutex): the HTTP layer may read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "store/object_store.h"
#include "store/xorb/xorb_bytes.h"
#include "store/xorb/catalog/xorb_catalog.h"

namespace hubmirror {

using XorbResolver = std::function<Result<std::shared_ptr<const XorbBytes>>(int64_t xorb_id)>;
// The file's terms as the catalog has them now (compaction may have moved
// them to new xorbs since the reader was opened; offsets never change).
using TermsRefresher = std::function<Result<std::vector<FileTerm>>()>;

// Index of the term holding byte `offset` of the file (terms sorted by
// file_offset, contiguous); terms.size() when past the end.
size_t FindTerm(const std::vector<FileTerm>& terms, uint64_t offset);

class ReconstructionReader final : public ObjectReader {
 public:
  // `terms` must tile [0, size) exactly (checked: DataLoss otherwise).
  // `refresh` (optional) is asked once when a xorb cannot be resolved.
  static Result<std::unique_ptr<ObjectReader>> Create(std::vector<FileTerm> terms, uint64_t size,
                                                      XorbResolver resolver,
                                                      TermsRefresher refresh = nullptr);

  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override;
  bool GetRawSpan(uint64_t offset, RawFileSpan* span) const override;

 private:
  ReconstructionReader(std::vector<FileTerm> terms, uint64_t size, XorbResolver resolver,
                       TermsRefresher refresh)
      : size_(size),
        resolver_(std::move(resolver)),
        refresh_(std::move(refresh)),
        terms_(std::move(terms)) {}
  // Resolves every xorb of the file when there are at most kMaxSources.
  Status ResolveAllIfFew();
  // The source of term `t`, refreshing the terms once if its xorb is gone
  // (then `t` indexes the fresh terms, which tile the file the same way).
  Result<const XorbBytes*> SourceLocked(size_t t) const;

  const uint64_t size_;
  const XorbResolver resolver_;
  const TermsRefresher refresh_;
  mutable std::mutex mu_;
  mutable std::vector<FileTerm> terms_;                                  // guarded by mu_
  mutable bool refreshed_ = false;                                       // guarded by mu_
  // The xorbs resolved most recently (a few: reads move through a file, and
  // a 100 GB file has 1,600 xorbs, each an open descriptor).
  static constexpr size_t kMaxSources = 8;
  mutable std::vector<std::pair<int64_t, std::shared_ptr<const XorbBytes>>> sources_;  // guarded by mu_
  mutable ChunkDecoder decoder_;                                         // guarded by mu_
};

}  // namespace hubmirror
