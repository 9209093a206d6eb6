#include "store/legacy/pack_object_store.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include "store/legacy/chunk_pack.h"
#include "store/legacy/pack_object_writer.h"
#include "store/legacy/file_object_store.h"
#include "store/hash.h"
#include "store/temp_files.h"

namespace hubmirror {
namespace {

class PackStore final : public PackObjectStore {
 public:
  PackStore(Env* env, std::string root, PackStoreOptions options)
      : env_(env),
        root_(std::move(root)),
        tmp_dir_(root_ + "/tmp"),
        options_(std::move(options)),
        temp_prefix_(UniqueTempPrefix()) {}

  Status Init() {
    HM_RETURN_IF_ERROR(env_->CreateDirs(root_ + "/chunks/packs"));
    HM_RETURN_IF_ERROR(env_->CreateDirs(tmp_dir_));
    HM_ASSIGN_OR_RETURN(catalog_, ChunkCatalog::Open(root_ + "/chunks/catalog.sqlite"));
    HM_ASSIGN_OR_RETURN(int64_t max_pack, catalog_->MaxPackId());
    packs_ = std::make_unique<PackSet>(env_, root_ + "/chunks/packs", max_pack + 1,
                                       options_.pack_target_bytes);
    if (env_->FileExists(root_ + "/objects/sha256")) {
      HM_ASSIGN_OR_RETURN(legacy_, NewFileObjectStore(env_, root_));
    }
    return Status::Ok();
  }

  bool Contains(const std::string& sha256) override {
    if (!ValidateObjectDigest(sha256).ok()) return false;
    auto row = catalog_->GetObject(sha256);
    if (row.ok() && row->has_value()) return true;
    return legacy_ && legacy_->Contains(sha256);
  }

  Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    HM_ASSIGN_OR_RETURN(std::optional<PackObjectRow> row, catalog_->GetObject(sha256));
    if (!row) {
      if (legacy_) return legacy_->Open(sha256);
      return Status::NotFound("object " + sha256 + " not stored");
    }
    // Compaction may move the chunks between the lookup and the opening of
    // their packs: look again (bounded) when a pack has just gone.
    for (int attempt = 0;; ++attempt) {
      HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> chunks, catalog_->ObjectChunks(sha256));
      auto reader = NewChunkedObjectReader(packs_.get(), chunks, row->size);
      if (reader.ok() || !reader.status().IsNotFound() || attempt == 3) return reader;
    }
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) override {
    HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
    Status last;
    for (int attempt = 0; attempt < 8; ++attempt) {
      uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
      std::string path = tmp_dir_ + "/" + temp_prefix_ + "-" + std::to_string(n) + ".tmp";
      auto file = env_->NewWritableFile(path);
      if (file.ok()) {
        // Fresh and exclusively created: nobody else can hold the lock; it
        // only tells cleaners (CleanTempDir) that the file is in use.
        (void)TryLockTempFile((*file)->fd());
        return std::unique_ptr<ObjectWriter>(
            new PackObjectWriter(WriteTarget(), promise, std::move(path), std::move(file).value()));
      }
      last = std::move(file).status();
      if (last.code() != StatusCode::kAlreadyExists) return last;
    }
    return last;
  }

  Result<std::unique_ptr<ObjectWriter>> NewResumableWriter(const ObjectPromise& promise) override {
    HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
    const std::string path = tmp_dir_ + "/" + PartialFileName(promise);
    Result<std::unique_ptr<WritableFile>> file = env_->OpenAppendableFile(path);
    if (!file.ok()) {
      if (file.status().code() == StatusCode::kFailedPrecondition) return NewWriter(promise);
      return std::move(file).status();
    }
    // Locked: another writer continues this object now (two files of one
    // revision with the same bytes, or a second sync). Unlinked between our
    // open and our lock: a cleaner judged it stale. Either way, start afresh.
    if (!TryLockTempFile((*file)->fd()) || !SameFile(path, (*file)->fd())) {
      return NewWriter(promise);
    }
    HM_ASSIGN_OR_RETURN(uint64_t existing, env_->FileSize(path));
    auto writer = std::make_unique<PackObjectWriter>(WriteTarget(), promise, path,
                                                        std::move(file).value(),
                                                        /*resumable=*/true);
    HM_RETURN_IF_ERROR(writer->ResumeFromFile(existing));
    return std::unique_ptr<ObjectWriter>(std::move(writer));
  }

  Status Remove(const std::string& sha256) override {
    return RemoveReportingFreed(sha256).status();
  }

  Result<uint64_t> RemoveReportingFreed(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    auto orphans = catalog_->RemoveObject(sha256);
    if (orphans.status().IsNotFound() && legacy_) {
      HM_RETURN_IF_ERROR(legacy_->Remove(sha256));
      return uint64_t{0};
    }
    HM_RETURN_IF_ERROR(orphans.status());
    uint64_t freed = 0;
    std::map<int64_t, std::vector<ChunkLocation>> by_pack;
    for (const ChunkLocation& c : *orphans) {
      freed += c.stored_size;
      by_pack[c.pack].push_back(c);
    }
    for (auto& [pack, garbage] : by_pack) packs_->ReclaimTail(pack, std::move(garbage));
    return freed;
  }

  Status CleanTemporaryFiles() override {
    return CleanTempDir(env_, tmp_dir_, env_->NowMicros());
  }

  Result<PackFootprint> Footprint(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    HM_ASSIGN_OR_RETURN(std::optional<PackObjectRow> row, catalog_->GetObject(sha256));
    PackFootprint out;
    if (!row) {
      if (!legacy_ || !legacy_->Contains(sha256)) {
        return Status::NotFound("object " + sha256 + " not stored");
      }
      HM_ASSIGN_OR_RETURN(out.size, env_->FileSize(FileObjectPath(root_, sha256)));
      out.legacy_file = true;
      return out;
    }
    out.size = row->size;
    HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> chunks, catalog_->ObjectChunks(sha256));
    for (const ChunkLocation& c : chunks) out.chunks.emplace_back(c.id, c.stored_size);
    return out;
  }

  Result<std::vector<std::string>> ListLegacyObjects() override {
    std::vector<std::string> out;
    if (!legacy_) return out;
    const std::string dir = root_ + "/objects/sha256";
    HM_ASSIGN_OR_RETURN(std::vector<std::string> fans, env_->ListDir(dir));
    for (const std::string& fan : fans) {
      auto names = env_->ListDir(dir + "/" + fan);
      if (!names.ok()) continue;
      for (const std::string& name : *names) {
        if (IsLowerHex(name, 64)) out.push_back(name);
      }
    }
    return out;
  }

  Status RemoveLegacyFile(const std::string& sha256) override {
    if (!legacy_) return Status::NotFound("store has no legacy objects");
    return legacy_->Remove(sha256);
  }

  Result<std::vector<PackObjectRow>> ListPackObjects() override {
    return catalog_->ListObjects();
  }

  Result<uint64_t> LiveStoredBytes() override {
    HM_ASSIGN_OR_RETURN(auto totals, catalog_->Totals());
    return totals.second;
  }

  Result<PackCompactionReport> CompactPacks(double min_dead_fraction) override {
    return hubmirror::CompactPacks(env_, packs_.get(), catalog_.get(), min_dead_fraction);
  }

  void DropIdleReadHandles() override { packs_->DropIdleReadHandles(); }

  Result<std::vector<PackTail>> UnreferencedPackTails(bool trim) override {
    return ScanPackTails(env_, packs_.get(), catalog_.get(), trim);
  }

 private:
  ChunkWriteTarget WriteTarget() {
    ChunkWriteTarget target;
    target.env = env_;
    target.catalog = catalog_.get();
    target.packs = packs_.get();
    target.fingerprint = [this](const char* data, size_t n) {
      if (options_.fingerprint_for_test) return options_.fingerprint_for_test(data, n);
      XXH128_hash_t h = XXH3_128bits(data, n);
      return ChunkFingerprint{h.high64, h.low64};
    };
    return target;
  }

  Env* const env_;
  const std::string root_;
  const std::string tmp_dir_;
  const PackStoreOptions options_;
  const std::string temp_prefix_;
  std::atomic<uint64_t> counter_{0};
  std::unique_ptr<ChunkCatalog> catalog_;
  std::unique_ptr<PackSet> packs_;
  std::unique_ptr<ObjectStore> legacy_;  // null when there is no objects/ dir
};

}  // namespace

Result<std::unique_ptr<PackObjectStore>> NewPackObjectStore(Env* env,
                                                                  const std::string& root,
                                                                  PackStoreOptions options) {
  if (root.empty()) return Status::InvalidArgument("object store root is empty");
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto store = std::make_unique<PackStore>(env, std::move(trimmed), std::move(options));
  HM_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<PackObjectStore>(std::move(store));
}

}  // namespace hubmirror
