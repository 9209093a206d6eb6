// Internal to store/xorb: the class behind NewXorbObjectStore
// (xorb_object_store.h describes the store). Its definitions are split by
// concern: xorb_object_store.cc (objects: reading, writing, removal,
// accounting, upkeep), xorb_store_xet.cc (Xet units: reconstructions and
// xorbs), xorb_store_migration.cc (resumable writers, older layouts).
//
// Thread safety: as ObjectStore.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/legacy/pack_object_store.h"
#include "store/xorb/xorb_bytes.h"
#include "store/xorb/catalog/xorb_catalog.h"
#include "store/xorb/xorb_compaction.h"
#include "store/xorb/xorb_files.h"
#include "store/xorb/xorb_object_store.h"
#include "store/xorb/xorb_object_writer.h"

namespace hubmirror {

class XorbStore final : public ChunkedObjectStore {
 public:
  XorbStore(Env* env, std::string root, XorbStoreOptions options);
  Status Init();

  // ObjectStore, ChunkedObjectStore.
  bool Contains(const std::string& sha256) override;
  Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) override;
  // (xorb_store_migration.cc)
  Result<std::unique_ptr<ObjectWriter>> NewResumableWriter(const ObjectPromise& promise) override;
  Status Remove(const std::string& sha256) override;
  Result<uint64_t> RemoveReportingFreed(const std::string& sha256) override;
  Status CleanTemporaryFiles() override;
  Result<ObjectFootprint> Footprint(const std::string& sha256) override;
  Result<std::vector<ChunkedObjectRow>> ListChunkedObjects() override;
  Result<ChunkedObjectRow> GetObjectRow(const std::string& sha256) override;
  Result<uint64_t> LiveStoredBytes() override;
  Result<CompactionReport> CompactPacks(double min_dead_fraction) override;
  void DropIdleReadHandles() override;
  Result<std::vector<StoreLeftover>> Leftovers(bool trim) override;
  Result<std::vector<std::string>> CheckSharedXorbs() override;
  std::optional<BucketCacheFigures> BucketCache() override {
    if (files_->bucket() == nullptr) return std::nullopt;
    return files_->cache_stats();
  }
  Result<std::vector<std::string>> ListLegacyObjects() override;

  // Xet units (xorb_store_xet.cc).
  Result<std::vector<XetTerm>> Reconstruction(const std::string& sha256) override;
  Result<XetServedFile> FindXetFile(const XetHash& file_hash) override;
  Result<XetServedFile> XetFileOf(const std::string& sha256) override;
  Result<StoredXorb> OpenXorb(const XetHash& hash) override;
  Result<std::vector<XetHash>> ListXorbs() override;
  Result<bool> PutXorb(const XetHash& hash, std::string_view bytes) override;
  Result<ObjectInfo> CommitReconstruction(const ObjectPromise& promise,
                                          const std::vector<XetTerm>& terms) override;
  Status RemoveXorb(const XetHash& hash) override;
  Result<std::vector<UpstreamXorbChunk>> KnownUpstreamChunks(const XetHash& xorb, uint32_t start,
                                                              uint32_t end) override;
  Status RememberUpstreamChunks(const XetHash& xorb,
                                const std::vector<UpstreamXorbChunk>& chunks) override;
  Result<std::string> ReadChunk(const XetHash& hash) override;
  Result<std::pair<XetHash, std::vector<XetNode>>> XorbHoldingChunk(
      const XetHash& hash) override;
  Status RecordXetPull(const XetPullFigures& figures) override {
    return catalog_->AddXetPull(figures);
  }
  Result<XetPullFigures> XetPullTotals() override { return catalog_->XetPullTotals(); }

  // Older layouts (xorb_store_migration.cc).
  Result<uint64_t> MigrateLegacyObjects(const StoreProgress& progress) override;

 private:
  // Copies one object of an older layout into this one, verified.
  Status MigrateOne(const std::string& sha256, std::vector<char>* buf,
                    const StoreProgress& progress);
  XorbWriteTarget WriteTarget();
  // A file's terms with where their records lie (FindXetFile, XetFileOf).
  Result<XetServedFile> ServedFile(ChunkedObjectRow row);
  std::string NextTempStem();
  XorbSpace Space();
  // A committed xorb's chunk table and read handle.
  Result<std::shared_ptr<const XorbBytes>> Resolve(int64_t id);
  // Deletes the bucket objects of xorbs doomed longer than the grace period;
  // how many.
  Result<uint64_t> SweepDoomedXorbs();
  // Live record bytes of the given xorbs.
  Result<uint64_t> LiveBytesOf(const std::set<int64_t>& ids);

  Env* const env_;
  const std::string root_;
  const std::string tmp_dir_;
  const XorbStoreOptions options_;
  const std::string temp_prefix_;
  std::atomic<uint64_t> counter_{0};
  std::unique_ptr<XorbCatalog> catalog_;
  std::unique_ptr<XorbFiles> files_;
  std::unique_ptr<XorbTableCache> tables_;
  std::unique_ptr<PackObjectStore> legacy_;  // null when there is no older layout
};

}  // namespace hubmirror
