#include "store/xorb/xorb_object_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "store/legacy/pack_object_store.h"
#include "store/hash.h"
#include "store/temp_files.h"
#include "store/xet/xorb_format.h"
#include "store/xorb/reconstruction_reader.h"
#include "store/xorb/resume_journal.h"
#include "store/xorb/xorb_builder.h"
#include "store/xorb/xorb_bytes.h"
#include "store/xorb/xorb_catalog.h"
#include "store/xorb/xorb_compaction.h"
#include "store/xorb/xorb_files.h"
#include "store/xorb/xorb_object_writer.h"

namespace hubmirror {
namespace {

// Legacy pack chunks get negative footprint keys so they never collide with
// xorb chunk keys (xorb id * kXorbMaxChunks + index).
int64_t ChunkKey(int64_t xorb_id, uint32_t index) {
  return xorb_id * static_cast<int64_t>(kXorbMaxChunks) + index;
}

std::string RandomPrefix() {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 "-%ld", r, static_cast<long>(::getpid()));
  return buf;
}

class XorbStore final : public ChunkedObjectStore {
 public:
  XorbStore(Env* env, std::string root, XorbStoreOptions options)
      : env_(env),
        root_(std::move(root)),
        tmp_dir_(root_ + "/tmp"),
        options_(options),
        temp_prefix_(RandomPrefix()) {}

  Status Init() {
    HM_RETURN_IF_ERROR(env_->CreateDirs(root_ + "/xet/xorbs"));
    HM_RETURN_IF_ERROR(env_->CreateDirs(tmp_dir_));
    HM_ASSIGN_OR_RETURN(catalog_, XorbCatalog::Open(root_ + "/xet/catalog.sqlite"));
    files_ = std::make_unique<XorbFiles>(env_, root_ + "/xet/xorbs");
    XorbCatalog* catalog = catalog_.get();
    tables_ = std::make_unique<XorbTableCache>(
        [catalog](int64_t id) { return catalog->XorbChunks(id); }, options_.cached_table_chunks);
    if (env_->FileExists(root_ + "/chunks/catalog.sqlite") ||
        env_->FileExists(root_ + "/objects/sha256")) {
      HM_ASSIGN_OR_RETURN(legacy_, NewPackObjectStore(env_, root_));
    }
    return Status::Ok();
  }

  bool Contains(const std::string& sha256) override {
    if (!ValidateObjectDigest(sha256).ok()) return false;
    auto row = catalog_->GetFile(sha256);
    if (row.ok() && row->has_value()) return true;
    return legacy_ && legacy_->Contains(sha256);
  }

  Result<std::unique_ptr<ObjectReader>> Open(const std::string& sha256) override {
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
        [catalog, sha256] { return catalog->FileTerms(sha256); });
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(const ObjectPromise& promise) override {
    HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
    XorbWriteTarget target = WriteTarget();
    return std::unique_ptr<ObjectWriter>(new XorbObjectWriter(std::move(target), promise));
  }

  Result<std::unique_ptr<ObjectWriter>> NewResumableWriter(const ObjectPromise& promise) override;

  Status Remove(const std::string& sha256) override {
    return RemoveReportingFreed(sha256).status();
  }

  Result<uint64_t> RemoveReportingFreed(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
    if (!row) {
      if (legacy_ && legacy_->Contains(sha256)) return legacy_->RemoveReportingFreed(sha256);
      return Status::NotFound("object " + sha256 + " not stored");
    }
    HM_ASSIGN_OR_RETURN(std::vector<FileTerm> terms, catalog_->FileTerms(sha256));
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

  Status CleanTemporaryFiles() override {
    return CleanTempDir(env_, tmp_dir_, env_->NowMicros());
  }

  Result<ObjectFootprint> Footprint(const std::string& sha256) override {
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

  Result<std::vector<ChunkedObjectRow>> ListChunkedObjects() override {
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

  Result<ChunkedObjectRow> GetObjectRow(const std::string& sha256) override {
    HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
    HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
    if (row) return *row;
    if (legacy_ && legacy_->Contains(sha256)) {
      HM_ASSIGN_OR_RETURN(PackFootprint fp, legacy_->Footprint(sha256));
      return ChunkedObjectRow{sha256, "", fp.size, 0, ""};
    }
    return Status::NotFound("object " + sha256 + " not stored");
  }

  Result<uint64_t> LiveStoredBytes() override {
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

  Result<CompactionReport> CompactPacks(double min_dead_fraction) override {
    HM_ASSIGN_OR_RETURN(CompactionReport report, CompactXorbs(Space(), min_dead_fraction));
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

  void DropIdleReadHandles() override {
    files_->DropIdleReadHandles();
    if (legacy_) legacy_->DropIdleReadHandles();
  }

  Result<std::vector<StoreLeftover>> Leftovers(bool trim) override {
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

  Result<std::vector<std::string>> ListLegacyObjects() override {
    std::vector<std::string> out;
    if (!legacy_) return out;
    HM_ASSIGN_OR_RETURN(out, legacy_->ListLegacyObjects());
    HM_ASSIGN_OR_RETURN(std::vector<PackObjectRow> packed, legacy_->ListPackObjects());
    for (const PackObjectRow& r : packed) out.push_back(r.sha256);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<std::vector<XetTerm>> Reconstruction(const std::string& sha256) override;
  Result<StoredXorb> OpenXorb(const XetHash& hash) override;
  Result<std::vector<XetHash>> ListXorbs() override;
  Result<bool> PutXorb(const XetHash& hash, std::string_view bytes) override;
  Result<ObjectInfo> CommitReconstruction(const ObjectPromise& promise,
                                          const std::vector<XetTerm>& terms) override;
  Status RemoveXorb(const XetHash& hash) override;

  Result<uint64_t> MigrateLegacyObjects(const StoreProgress& progress) override;
  // Copies one object of an older layout into this one, verified.
  Status MigrateOne(const std::string& sha256, std::vector<char>* buf,
                    const StoreProgress& progress);

 private:
  XorbWriteTarget WriteTarget() {
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

  std::string NextTempStem() {
    return tmp_dir_ + "/" + temp_prefix_ + "-" +
           std::to_string(counter_.fetch_add(1, std::memory_order_relaxed));
  }

  XorbSpace Space() {
    return XorbSpace{env_, catalog_.get(), files_.get(), tables_.get(), NextTempStem(),
                     env_->NowMicros() - options_.unreferenced_xorb_grace_micros};
  }

  Result<std::shared_ptr<const XorbBytes>> Resolve(int64_t id) {
    HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(id));
    HM_ASSIGN_OR_RETURN(std::shared_ptr<RandomAccessFile> file, files_->OpenForRead(id));
    return std::shared_ptr<const XorbBytes>(
        std::make_shared<SealedXorbBytes>(std::move(table), std::move(file)));
  }

  // Live record bytes of the given xorbs.
  Result<uint64_t> LiveBytesOf(const std::set<int64_t>& ids) {
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

Result<std::unique_ptr<ObjectWriter>> XorbStore::NewResumableWriter(const ObjectPromise& promise) {
  HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
  const std::string key = promise.sha256.empty() ? "git-" + promise.git_sha1 : promise.sha256;
  Result<std::unique_ptr<ResumeJournal>> journal =
      ResumeJournal::Open(env_, tmp_dir_ + "/" + ResumeJournalName(key));
  if (!journal.ok()) {
    // Another writer continues this object now (or the Env cannot reopen
    // files): write afresh.
    if (journal.status().code() == StatusCode::kFailedPrecondition) return NewWriter(promise);
    return std::move(journal).status();
  }
  HM_ASSIGN_OR_RETURN(std::vector<JournalEntry> entries, (*journal)->ReadAll());
  // The xorb files an earlier writer of this object left (journaled or not).
  const std::string prefix = "resume-" + key + ".";
  std::vector<std::string> old_files;
  HM_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(tmp_dir_));
  for (const std::string& name : names) {
    if (name.starts_with(prefix) && name.ends_with(".xorb.partial")) old_files.push_back(name);
  }
  HM_RETURN_IF_ERROR((*journal)->Reset());
  XorbWriteTarget target = WriteTarget();
  target.resume_key = key;
  auto writer = std::make_unique<XorbObjectWriter>(std::move(target), promise,
                                                   std::move(journal).value());
  if (!entries.empty()) {
    // Continue: the bytes already ingested are read back from their chunks
    // (each checked against its hash) and ingested again, then the old
    // files go. Only a resume writes bytes a second time.
    std::map<int64_t, std::unique_ptr<RandomAccessFile>> own;
    std::map<int64_t, XorbTable> own_tables;
    std::map<int64_t, uint64_t> own_parsed;  // bytes of records parsed per own file
    XetChunkCodec codec;
    std::string stored;
    auto read_chunk = [&](const JournalEntry& e, std::string* out) -> Status {
      const std::string own_path = tmp_dir_ + "/" + ResumeXorbName(key, e.xorb_id);
      if (own.count(e.xorb_id) == 0 && env_->FileExists(own_path)) {
        HM_ASSIGN_OR_RETURN(own[e.xorb_id], env_->NewRandomAccessFile(own_path));
      }
      XorbChunk chunk;
      const RandomAccessFile* file = nullptr;
      std::shared_ptr<RandomAccessFile> committed;
      if (auto it = own.find(e.xorb_id); it != own.end()) {
        // Parse records up to the one asked for.
        XorbTable& table = own_tables[e.xorb_id];
        uint64_t& at = own_parsed[e.xorb_id];
        while (table.size() <= e.index) {
          uint8_t header[kXetRecordHeaderBytes];
          HM_ASSIGN_OR_RETURN(size_t got, it->second->ReadAt(at, reinterpret_cast<char*>(header),
                                                             sizeof(header)));
          if (got != sizeof(header)) return Status::DataLoss("resumed xorb ends");
          HM_ASSIGN_OR_RETURN(XetRecordHeader h, DecodeRecordHeader(header));
          XorbChunk c;
          c.record_offset = at;
          c.stored_size = h.stored_size;
          c.raw_size = h.raw_size;
          c.scheme = h.scheme;
          table.push_back(c);
          at = c.record_end();
        }
        chunk = table[e.index];
        file = it->second.get();
      } else {
        HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(e.xorb_id));
        if (e.index >= table->size()) return Status::DataLoss("chunk index out of range");
        chunk = (*table)[e.index];
        HM_ASSIGN_OR_RETURN(committed, files_->OpenForRead(e.xorb_id));
        file = committed.get();
      }
      stored.resize(chunk.stored_size);
      HM_ASSIGN_OR_RETURN(size_t got,
                          file->ReadAt(chunk.payload_offset(), stored.data(), stored.size()));
      if (got != stored.size()) return Status::DataLoss("resumed chunk is short");
      out->resize(chunk.raw_size);
      return codec.Decode(chunk.scheme, reinterpret_cast<const uint8_t*>(stored.data()),
                          stored.size(), reinterpret_cast<uint8_t*>(out->data()), out->size());
    };
    ObjectWriter* w = writer.get();
    bool poisoned = false;
    ReplayJournal(entries, read_chunk, [w, &poisoned](const char* data, size_t n) {
      Status s = w->Append(data, n);
      poisoned = !s.ok();
      return s;
    });
    own.clear();
    // Poisoned while replaying (more bytes than promised, a full disk):
    // start afresh rather than fail the sync.
    if (poisoned) HM_RETURN_IF_ERROR(writer->Reset());
  }
  for (const std::string& name : old_files) (void)env_->RemoveFile(tmp_dir_ + "/" + name);
  return std::unique_ptr<ObjectWriter>(std::move(writer));
}

Result<std::vector<XetTerm>> XorbStore::Reconstruction(const std::string& sha256) {
  HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
  if (!row) {
    if (legacy_ && legacy_->Contains(sha256)) {
      return Status::FailedPrecondition("object " + sha256 +
                                        " is kept in an older store layout; run `hubmirror "
                                        "migrate` first");
    }
    return Status::NotFound("object " + sha256 + " not stored");
  }
  HM_ASSIGN_OR_RETURN(std::vector<FileTerm> terms, catalog_->FileTerms(sha256));
  std::vector<XetTerm> out;
  std::map<int64_t, XetHash> hashes;
  for (const FileTerm& t : terms) {
    auto known = hashes.find(t.xorb_id);
    if (known == hashes.end()) {
      HM_ASSIGN_OR_RETURN(std::optional<XorbRow> xorb, catalog_->GetXorb(t.xorb_id));
      if (!xorb) return Status::Unavailable("a xorb of " + sha256 + " moved; ask again");
      known = hashes.emplace(t.xorb_id, xorb->hash).first;
    }
    out.push_back(XetTerm{known->second, t.chunk_start, t.chunk_end, t.raw_size});
  }
  return out;
}

Result<StoredXorb> XorbStore::OpenXorb(const XetHash& hash) {
  HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, catalog_->FindXorbByHash(hash));
  if (!row) return Status::NotFound("xorb " + hash.ToHex() + " not stored");
  HM_ASSIGN_OR_RETURN(std::shared_ptr<RandomAccessFile> file, files_->OpenForRead(row->id));
  return StoredXorb{std::move(file), row->file_bytes};
}

Result<std::vector<XetHash>> XorbStore::ListXorbs() {
  HM_ASSIGN_OR_RETURN(std::vector<XorbRow> rows, catalog_->ListXorbs());
  std::vector<XetHash> out;
  out.reserve(rows.size());
  for (const XorbRow& r : rows) out.push_back(r.hash);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<bool> XorbStore::PutXorb(const XetHash& hash, std::string_view bytes) {
  HM_ASSIGN_OR_RETURN(std::optional<XorbRow> existing, catalog_->FindXorbByHash(hash));
  if (existing) return false;
  XetChunkCodec codec;
  HM_ASSIGN_OR_RETURN(ParsedXorb parsed, ParseAndVerifyXorb(bytes, &codec));
  if (parsed.hash != hash) {
    return Status::InvalidArgument("xorb named " + hash.ToHex() + " hashes to " +
                                   parsed.hash.ToHex());
  }
  HM_ASSIGN_OR_RETURN(int64_t id, catalog_->AllocateXorbIds(1));
  // Written whole as a builder would (records as given, then our footer),
  // durable and locked under its final name before its row appears.
  HM_ASSIGN_OR_RETURN(std::unique_ptr<XorbBuilder> builder,
                      XorbBuilder::Create(env_, NextTempStem() + "." + std::to_string(id) + ".xorb",
                                          id));
  for (const XorbChunk& c : parsed.chunks) {
    HM_RETURN_IF_ERROR(builder->Add(c.hash, c.scheme, bytes.data() + c.payload_offset(),
                                    c.stored_size, c.raw_size)
                           .status());
  }
  HM_RETURN_IF_ERROR(builder->Seal());
  HM_RETURN_IF_ERROR(builder->Sync());
  HM_RETURN_IF_ERROR(builder->Publish(files_->PathOf(id)));
  NewXorb described = builder->Describe();
  if (described.row.hash != hash) return Status::Internal("xorb rewritten under another hash");
  HM_RETURN_IF_ERROR(catalog_->InsertXorb(described));
  builder->KeepFileOnDestruction();
  return true;
}

Result<ObjectInfo> XorbStore::CommitReconstruction(const ObjectPromise& promise,
                                                   const std::vector<XetTerm>& terms) {
  HM_RETURN_IF_ERROR(ValidateObjectPromise(promise));
  // The terms over this store's xorbs, each checked against its chunk table.
  std::vector<FileTerm> file_terms;
  std::vector<XetNode> nodes;
  std::map<XetHash, int64_t> ids;
  uint64_t offset = 0;
  for (const XetTerm& t : terms) {
    auto id = ids.find(t.xorb);
    if (id == ids.end()) {
      HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, catalog_->FindXorbByHash(t.xorb));
      if (!row) return Status::NotFound("xorb " + t.xorb.ToHex() + " is not stored");
      id = ids.emplace(t.xorb, row->id).first;
    }
    HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(id->second));
    if (t.chunk_start >= t.chunk_end || t.chunk_end > table->size()) {
      return Status::InvalidArgument("a term names chunks [" + std::to_string(t.chunk_start) +
                                     ", " + std::to_string(t.chunk_end) + ") of xorb " +
                                     t.xorb.ToHex() + ", which has " +
                                     std::to_string(table->size()));
    }
    uint64_t raw = 0;
    for (uint32_t i = t.chunk_start; i < t.chunk_end; ++i) {
      raw += (*table)[i].raw_size;
      nodes.push_back(XetNode{(*table)[i].hash, (*table)[i].raw_size});
    }
    if (raw != t.raw_size) {
      return Status::InvalidArgument("a term of xorb " + t.xorb.ToHex() + " claims " +
                                     std::to_string(t.raw_size) + " bytes; its chunks hold " +
                                     std::to_string(raw));
    }
    file_terms.push_back(FileTerm{id->second, t.chunk_start, t.chunk_end, raw, offset});
    offset += raw;
  }
  // Read back and check what the promise says.
  ObjectInfo info;
  info.size = offset;
  info.xet_hash = XetFileHash(std::move(nodes)).ToHex();
  {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader,
                        ReconstructionReader::Create(file_terms, offset,
                                                     [this](int64_t x) { return Resolve(x); }));
    Sha256Hasher sha256;
    std::unique_ptr<GitBlobHasher> git_sha1;
    if (!promise.git_sha1.empty() || promise.sha256.empty()) {
      git_sha1 = std::make_unique<GitBlobHasher>(offset);
    }
    std::vector<char> buf(1 << 20);
    for (uint64_t at = 0; at < offset;) {
      HM_ASSIGN_OR_RETURN(size_t got, reader->ReadAt(at, buf.data(), buf.size()));
      if (got == 0) return Status::DataLoss("reconstruction ends at byte " + std::to_string(at));
      sha256.Update(buf.data(), got);
      if (git_sha1) git_sha1->Update(buf.data(), got);
      at += got;
    }
    info.sha256 = sha256.FinishHex();
    if (git_sha1) info.git_sha1 = git_sha1->FinishHex();
  }
  HM_RETURN_IF_ERROR(VerifyAgainstPromise(promise, info));
  ChunkedObjectRow row{info.sha256, info.git_sha1, info.size, 0, info.xet_hash};
  HM_ASSIGN_OR_RETURN(bool inserted, catalog_->CommitFile(row, {}, file_terms));
  if (!inserted) {
    HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> stored, catalog_->GetFile(info.sha256));
    if (stored) info.xet_hash = stored->xet_hash;
  }
  return info;
}

Status XorbStore::RemoveXorb(const XetHash& hash) {
  HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, catalog_->FindXorbByHash(hash));
  if (!row) return Status::Ok();
  HM_ASSIGN_OR_RETURN(bool removed, DeleteUnreferencedXorb(Space(), row->id));
  if (!removed) {
    return Status::FailedPrecondition("xorb " + hash.ToHex() + " is in use");
  }
  return Status::Ok();
}

Status XorbStore::MigrateOne(const std::string& sha256, std::vector<char>* buf,
                             const StoreProgress& progress) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, legacy_->Open(sha256));
  HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer,
                      NewWriter(ObjectPromise{reader->size(), sha256, ""}));
  for (uint64_t off = 0; off < reader->size();) {
    HM_ASSIGN_OR_RETURN(size_t got, reader->ReadAt(off, buf->data(), buf->size()));
    if (got == 0) return Status::DataLoss("object " + sha256 + " of the older layout is short");
    HM_RETURN_IF_ERROR(writer->Append(buf->data(), got));
    if (progress.bytes) progress.bytes(sha256, got);
    off += got;
  }
  return writer->Commit().status();
}

Result<uint64_t> XorbStore::MigrateLegacyObjects(const StoreProgress& progress) {
  HM_ASSIGN_OR_RETURN(std::vector<std::string> legacy, ListLegacyObjects());
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  for (const std::string& sha256 : legacy) {
    HM_ASSIGN_OR_RETURN(PackFootprint fp, legacy_->Footprint(sha256));
    sizes.push_back(fp.size);
    total += fp.size;
  }
  if (progress.planned) progress.planned(legacy.size(), total);
  uint64_t moved = 0;
  std::vector<char> buf(1 << 20);
  for (size_t i = 0; i < legacy.size(); ++i) {
    const std::string& sha256 = legacy[i];
    HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> done, catalog_->GetFile(sha256));
    if (progress.started) progress.started(sha256, sizes[i]);
    Status status = done ? Status::Ok() : MigrateOne(sha256, &buf, progress);
    if (progress.finished) progress.finished(sha256, status, done.has_value());
    HM_RETURN_IF_ERROR(status);
    if (!done) ++moved;
    // Only now, with the object committed here, does the old copy go.
    Status removed = legacy_->Remove(sha256);
    if (!removed.ok() && !removed.IsNotFound()) return removed;
  }
  // An older layout left empty goes as a whole (its catalog, its packs).
  if (legacy_) {
    HM_ASSIGN_OR_RETURN(std::vector<std::string> left, ListLegacyObjects());
    if (left.empty()) {
      legacy_.reset();
      std::error_code ec;
      std::filesystem::remove_all(root_ + "/chunks", ec);
      if (ec) return Status::Internal("cannot remove " + root_ + "/chunks: " + ec.message());
      std::filesystem::remove_all(root_ + "/objects", ec);
      if (ec) return Status::Internal("cannot remove " + root_ + "/objects: " + ec.message());
    }
  }
  return moved;
}

}  // namespace

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
