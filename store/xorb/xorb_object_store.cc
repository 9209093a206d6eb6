#include "store/xorb/xorb_object_store.h"

#include <algorithm>
#include <map>

#include "store/temp_files.h"
#include "store/xorb/reconstruction_reader.h"
#include "store/xorb/xorb_store.h"

namespace hubmirror {
namespace {

// Legacy pack chunks get negative footprint keys so they never collide with
// xorb chunk keys (xorb id * kXorbMaxChunks + index).
int64_t ChunkKey(int64_t xorb_id, uint32_t index) {
  return xorb_id * static_cast<int64_t>(kXorbMaxChunks) + index;
}

}  // namespace

XorbStore::XorbStore(Env* env, std::string root, XorbStoreOptions options)
    : env_(env),
      root_(std::move(root)),
      tmp_dir_(root_ + "/tmp"),
      options_(options),
      temp_prefix_(UniqueTempPrefix()) {}

Status XorbStore::Init() {
  HM_RETURN_IF_ERROR(env_->CreateDirs(root_ + "/xet/xorbs"));
  HM_RETURN_IF_ERROR(env_->CreateDirs(tmp_dir_));
  sql::DbLocation catalog_at = options_.catalog;
  if (catalog_at.postgres.empty()) catalog_at.sqlite_path = root_ + "/xet/catalog.sqlite";
  HM_ASSIGN_OR_RETURN(catalog_, XorbCatalog::Open(catalog_at));
  if (options_.bucket != nullptr) {
    catalog_->set_records_doomed_xorbs(true);
    files_ = std::make_unique<XorbFiles>(env_, root_ + "/xet/xorbs", options_.bucket,
                                         options_.cache_bytes, tmp_dir_, temp_prefix_);
  } else {
    files_ = std::make_unique<XorbFiles>(env_, root_ + "/xet/xorbs");
  }
  XorbCatalog* catalog = catalog_.get();
  tables_ = std::make_unique<XorbTableCache>(
      [catalog](int64_t id) { return catalog->XorbChunks(id); }, options_.cached_table_chunks);
  if (env_->FileExists(root_ + "/chunks/catalog.sqlite") ||
      env_->FileExists(root_ + "/objects/sha256")) {
    HM_ASSIGN_OR_RETURN(legacy_, NewPackObjectStore(env_, root_));
  }
  return Status::Ok();
}

bool XorbStore::Contains(const std::string& sha256) {
  if (!ValidateObjectDigest(sha256).ok()) return false;
  auto row = catalog_->GetFile(sha256);
  if (row.ok() && row->has_value()) return true;
  return legacy_ && legacy_->Contains(sha256);
}

Result<std::unique_ptr<ObjectReader>> XorbStore::Open(const std::string& sha256) {
  HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
  if (!row) {
    if (legacy_) return legacy_->Open(sha256);
    return Status::NotFound("object " + sha256 + " not stored");
  }
  HM_ASSIGN_OR_RETURN(std::vector<FileTerm> terms, catalog_->FileTerms(sha256));
  XorbCatalog* catalog = catalog_.get();
  return ReconstructionReader::Create(
      std::move(terms), row->size, [this](int64_t id) { return Resolve(id); },
      [catalog, sha256] { return catalog->FileTerms(sha256, /*fresh=*/true); });
}

Result<std::unique_ptr<ObjectWriter>> XorbStore::NewWriter(const ObjectPromise& promise) {
  HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
  XorbWriteTarget target = WriteTarget();
  return std::unique_ptr<ObjectWriter>(new XorbObjectWriter(std::move(target), promise));
}

Status XorbStore::Remove(const std::string& sha256) {
  return RemoveReportingFreed(sha256).status();
}

Result<uint64_t> XorbStore::RemoveReportingFreed(const std::string& sha256) {
  HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
  if (!row) {
    if (legacy_ && legacy_->Contains(sha256)) return legacy_->RemoveReportingFreed(sha256);
    return Status::NotFound("object " + sha256 + " not stored");
  }
  HM_ASSIGN_OR_RETURN(std::vector<FileTerm> terms, catalog_->FileTerms(sha256, /*fresh=*/true));
  std::set<int64_t> touched;
  for (const FileTerm& t : terms) touched.insert(t.xorb_id);
  HM_ASSIGN_OR_RETURN(uint64_t before, LiveBytesOf(touched));
  HM_ASSIGN_OR_RETURN(std::vector<int64_t> orphans, catalog_->RemoveFile(sha256));
  for (int64_t id : orphans) {
    // A writer that pinned it for deduplication keeps it; the next sweep
    // (compaction, start-up) takes it once nobody does.
    HM_RETURN_IF_ERROR(DeleteUnreferencedXorb(Space(), id).status());
  }
  HM_ASSIGN_OR_RETURN(uint64_t after, LiveBytesOf(touched));
  return before > after ? before - after : 0;
}

Status XorbStore::CleanTemporaryFiles() {
  return CleanTempDir(env_, tmp_dir_, env_->NowMicros());
}

Result<ObjectFootprint> XorbStore::Footprint(const std::string& sha256) {
  HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
  ObjectFootprint out;
  if (!row) {
    if (!legacy_) return Status::NotFound("object " + sha256 + " not stored");
    HM_ASSIGN_OR_RETURN(PackFootprint old, legacy_->Footprint(sha256));
    out.size = old.size;
    out.legacy_file = old.legacy_file;
    for (const auto& [id, stored] : old.chunks) out.chunks.emplace_back(-id, stored);
    return out;
  }
  out.size = row->size;
  HM_ASSIGN_OR_RETURN(std::vector<FileTerm> terms, catalog_->FileTerms(sha256));
  for (const FileTerm& t : terms) {
    HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(t.xorb_id));
    for (uint32_t i = t.chunk_start; i < t.chunk_end && i < table->size(); ++i) {
      out.chunks.emplace_back(ChunkKey(t.xorb_id, i),
                              kXetRecordHeaderBytes + (*table)[i].stored_size);
    }
  }
  return out;
}

Result<std::vector<ChunkedObjectRow>> XorbStore::ListChunkedObjects() {
  HM_ASSIGN_OR_RETURN(std::vector<ChunkedObjectRow> rows, catalog_->ListFiles());
  if (legacy_) {
    HM_ASSIGN_OR_RETURN(std::vector<PackObjectRow> old, legacy_->ListPackObjects());
    for (const PackObjectRow& r : old) {
      rows.push_back(ChunkedObjectRow{r.sha256, r.git_sha1, r.size, r.committed_at_micros, ""});
    }
    std::sort(rows.begin(), rows.end(),
              [](const ChunkedObjectRow& a, const ChunkedObjectRow& b) {
                return a.sha256 < b.sha256;
              });
  }
  return rows;
}

Result<ChunkedObjectRow> XorbStore::GetObjectRow(const std::string& sha256) {
  HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
  if (row) return *row;
  if (legacy_ && legacy_->Contains(sha256)) {
    HM_ASSIGN_OR_RETURN(PackFootprint fp, legacy_->Footprint(sha256));
    return ChunkedObjectRow{sha256, "", fp.size, 0, ""};
  }
  return Status::NotFound("object " + sha256 + " not stored");
}

Result<uint64_t> XorbStore::LiveStoredBytes() {
  HM_ASSIGN_OR_RETURN(auto live, catalog_->LiveRanges());
  HM_ASSIGN_OR_RETURN(std::vector<XorbRow> xorbs, catalog_->ListXorbs());
  std::map<int64_t, const XorbRow*> rows;
  for (const XorbRow& x : xorbs) rows[x.id] = &x;
  uint64_t total = 0;
  for (const auto& [id, ranges] : live) {
    auto row = rows.find(id);
    if (row == rows.end()) continue;
    if (ranges.size() == 1 && ranges[0].first == 0 && ranges[0].second == row->second->num_chunks) {
      total += row->second->records_bytes;  // wholly live: no table needed
      continue;
    }
    Result<std::shared_ptr<const XorbTable>> table = tables_->Get(id);
    if (table.ok()) total += LiveRecordBytes(**table, ranges);
  }
  if (legacy_) {
    HM_ASSIGN_OR_RETURN(uint64_t old, legacy_->LiveStoredBytes());
    total += old;
  }
  return total;
}

Result<CompactionReport> XorbStore::CompactPacks(double min_dead_fraction) {
  HM_ASSIGN_OR_RETURN(CompactionReport report, CompactXorbs(Space(), min_dead_fraction));
  // Bucket objects of xorbs removed long enough ago (this round's and
  // earlier rounds', on any node).
  HM_RETURN_IF_ERROR(SweepDoomedXorbs().status());
  if (legacy_) {
    HM_ASSIGN_OR_RETURN(PackCompactionReport old, legacy_->CompactPacks(min_dead_fraction));
    report.xorbs_compacted += old.packs_compacted;
    report.chunks_moved += old.chunks_moved;
    report.bytes_before += old.bytes_before;
    report.bytes_after += old.bytes_after;
    report.xorbs_busy += old.packs_busy;
  }
  return report;
}

void XorbStore::DropIdleReadHandles() {
  files_->DropIdleReadHandles();
  if (legacy_) legacy_->DropIdleReadHandles();
}

Result<std::vector<std::string>> XorbStore::CheckSharedXorbs() {
  std::vector<std::string> problems;
  ObjectStorage* bucket = files_->bucket();
  if (bucket == nullptr) return problems;
  HM_ASSIGN_OR_RETURN(std::vector<XorbRow> xorbs, catalog_->ListXorbs());
  for (const XorbRow& x : xorbs) {
    HM_ASSIGN_OR_RETURN(std::optional<uint64_t> size, bucket->Size(XorbFiles::KeyOf(x.id)));
    if (!size) {
      problems.push_back("xorb " + std::to_string(x.id) + " (" + x.hash.ToHex() +
                         ") is catalogued but missing from " + bucket->where());
    } else if (*size != x.file_bytes) {
      problems.push_back("xorb " + std::to_string(x.id) + " in " + bucket->where() + " has " +
                         std::to_string(*size) + " bytes, the catalog says " +
                         std::to_string(x.file_bytes));
    }
  }
  return problems;
}

Result<uint64_t> XorbStore::SweepDoomedXorbs() {
  if (files_->bucket() == nullptr) return uint64_t{0};
  HM_ASSIGN_OR_RETURN(std::vector<int64_t> doomed,
                      catalog_->DoomedXorbs(options_.bucket_delete_grace_micros));
  for (int64_t id : doomed) {
    HM_RETURN_IF_ERROR(files_->DeleteShared(id));
    HM_RETURN_IF_ERROR(catalog_->ForgetDoomedXorb(id));
  }
  return static_cast<uint64_t>(doomed.size());
}

Result<std::vector<StoreLeftover>> XorbStore::Leftovers(bool trim) {
  if (trim) HM_RETURN_IF_ERROR(SweepDoomedXorbs().status());
  HM_ASSIGN_OR_RETURN(std::vector<StoreLeftover> out, XorbLeftovers(Space(), trim));
  if (legacy_) {
    HM_ASSIGN_OR_RETURN(std::vector<PackTail> tails, legacy_->UnreferencedPackTails(trim));
    for (const PackTail& tail : tails) {
      out.push_back(StoreLeftover{"pack " + std::to_string(tail.pack) + " (older layout): " +
                                      "bytes past its last committed chunk",
                                  tail.bytes()});
    }
  }
  return out;
}

Result<std::vector<std::string>> XorbStore::ListLegacyObjects() {
  std::vector<std::string> out;
  if (!legacy_) return out;
  HM_ASSIGN_OR_RETURN(out, legacy_->ListLegacyObjects());
  HM_ASSIGN_OR_RETURN(std::vector<PackObjectRow> packed, legacy_->ListPackObjects());
  for (const PackObjectRow& r : packed) out.push_back(r.sha256);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

XorbWriteTarget XorbStore::WriteTarget() {
  XorbWriteTarget target;
  target.env = env_;
  target.catalog = catalog_.get();
  target.files = files_.get();
  target.tables = tables_.get();
  target.temp_stem = NextTempStem();
  target.tmp_dir = tmp_dir_;
  target.threaded_from_bytes = options_.threaded_ingest_from_bytes;
  return target;
}

std::string XorbStore::NextTempStem() {
  return tmp_dir_ + "/" + temp_prefix_ + "-" +
         std::to_string(counter_.fetch_add(1, std::memory_order_relaxed));
}

XorbSpace XorbStore::Space() {
  return XorbSpace{env_, catalog_.get(), files_.get(), tables_.get(), NextTempStem(),
                   env_->NowMicros() - options_.unreferenced_xorb_grace_micros};
}

Result<std::shared_ptr<const XorbBytes>> XorbStore::Resolve(int64_t id) {
  HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(id));
  HM_ASSIGN_OR_RETURN(std::shared_ptr<RandomAccessFile> file, files_->OpenForRead(id));
  return std::shared_ptr<const XorbBytes>(
      std::make_shared<SealedXorbBytes>(std::move(table), std::move(file)));
}

Result<uint64_t> XorbStore::LiveBytesOf(const std::set<int64_t>& ids) {
  if (ids.empty()) return uint64_t{0};
  HM_ASSIGN_OR_RETURN(auto live, catalog_->LiveRanges());
  uint64_t total = 0;
  for (const auto& [id, ranges] : live) {
    if (ids.count(id) == 0) continue;
    Result<std::shared_ptr<const XorbTable>> table = tables_->Get(id);
    if (table.ok()) total += LiveRecordBytes(**table, ranges);
  }
  return total;
}

Result<std::unique_ptr<ChunkedObjectStore>> NewXorbObjectStore(Env* env, const std::string& root,
                                                               XorbStoreOptions options) {
  if (root.empty()) return Status::InvalidArgument("object store root is empty");
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto store = std::make_unique<XorbStore>(env, std::move(trimmed), options);
  HM_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ChunkedObjectStore>(std::move(store));
}

}  // namespace hubmirror
