// XorbStore, continuing and converting: resumable writers (a killed sync
// continued from its chunk journal) and the migration of older layouts.
#include <filesystem>
#include <map>

#include "store/xorb/resume_journal.h"
#include "store/xorb/xorb_store.h"

namespace hubmirror {

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
          HM_RETURN_IF_ERROR(ReadXorbFileBytes(*it->second, at, reinterpret_cast<char*>(header),
                                               sizeof(header)));
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
      HM_RETURN_IF_ERROR(
          ReadXorbFileBytes(*file, chunk.payload_offset(), stored.data(), stored.size()));
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

}  // namespace hubmirror
