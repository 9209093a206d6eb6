#include "store/xorb/xorb_compaction.h"

#include <map>
#include <memory>
#include <set>

#include "store/xorb/xorb_builder.h"

namespace hubmirror {
namespace {

// Copies the live chunks of xorb `row` into a new xorb and repoints the
// terms (the caller holds the old file's exclusive lock). False when the
// terms changed meanwhile (nothing changed).
Result<bool> Rewrite(const XorbSpace& space, const XorbRow& row, const XorbTable& table,
                     const std::vector<std::pair<uint32_t, uint32_t>>& ranges,
                     CompactionReport* report) {
  Result<std::shared_ptr<RandomAccessFile>> old = space.files->OpenForRead(row.id);
  if (!old.ok()) return false;  // its file is gone: `verify` reports that, compaction skips it
  HM_ASSIGN_OR_RETURN(int64_t id, space.catalog->AllocateXorbIds(1));
  HM_ASSIGN_OR_RETURN(std::unique_ptr<XorbBuilder> builder,
                      XorbBuilder::Create(space.env,
                                          space.temp_stem + "." + std::to_string(id) + ".xorb", id));
  std::vector<int64_t> remap(table.size(), -1);
  std::string stored;
  uint64_t moved = 0;
  for (const auto& [start, end] : ranges) {
    for (uint32_t i = start; i < end; ++i) {
      const XorbChunk& c = table[i];
      stored.resize(c.stored_size);
      HM_RETURN_IF_ERROR(ReadXorbFileBytes(**old, c.payload_offset(), stored.data(), c.stored_size));
      HM_ASSIGN_OR_RETURN(uint32_t index,
                          builder->Add(c.hash, c.scheme, stored.data(), c.stored_size, c.raw_size));
      remap[i] = index;
      ++moved;
    }
  }
  HM_RETURN_IF_ERROR(builder->Seal());
  HM_RETURN_IF_ERROR(builder->Sync());
  HM_RETURN_IF_ERROR(builder->Publish(space.files->PathOf(id)));
  HM_RETURN_IF_ERROR(space.files->Share(id));
  const NewXorb replacement = builder->Describe();
  Status replaced = space.catalog->ReplaceXorb(row.id, replacement, remap);
  if (!replaced.ok()) {
    // The builder removes its file; the bucket's copy goes too unless the
    // replacement landed after all.
    space.files->Unshare(id, [&space, id]() -> Result<bool> {
      HM_ASSIGN_OR_RETURN(std::optional<XorbRow> r, space.catalog->GetXorb(id));
      return r.has_value();
    });
  }
  if (replaced.code() == StatusCode::kUnavailable) return false;
  HM_RETURN_IF_ERROR(replaced);
  builder->KeepFileOnDestruction();
  report->chunks_moved += moved;
  report->bytes_after += replacement.row.file_bytes;
  return true;
}

}  // namespace

uint64_t LiveRecordBytes(const XorbTable& table,
                         const std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
  uint64_t bytes = 0;
  for (const auto& [start, end] : ranges) {
    if (start >= end || end > table.size()) continue;
    bytes += table[end - 1].record_end() - table[start].record_offset;
  }
  return bytes;
}

Result<bool> DeleteUnreferencedXorb(const XorbSpace& space, int64_t id) {
  HM_ASSIGN_OR_RETURN(bool deleted, space.files->RemoveIfUnlocked(id, [&] {
    return space.catalog->DeleteXorbIfUnreferenced(id);
  }));
  if (deleted) space.tables->Forget(id);
  return deleted;
}

Result<CompactionReport> CompactXorbs(const XorbSpace& space, double min_dead_fraction) {
  CompactionReport report;
  HM_ASSIGN_OR_RETURN(auto live, space.catalog->LiveRanges());
  std::map<int64_t, std::vector<std::pair<uint32_t, uint32_t>>> live_by_id(live.begin(),
                                                                            live.end());
  HM_ASSIGN_OR_RETURN(std::vector<XorbRow> xorbs, space.catalog->ListXorbs());
  for (const XorbRow& row : xorbs) {
    auto it = live_by_id.find(row.id);
    if (it == live_by_id.end()) {
      if (row.created_at_micros > space.spare_unreferenced_after_micros) continue;
      HM_ASSIGN_OR_RETURN(bool deleted, DeleteUnreferencedXorb(space, row.id));
      if (deleted) {
        ++report.xorbs_compacted;
        report.bytes_before += row.file_bytes;
      } else {
        ++report.xorbs_busy;
      }
      continue;
    }
    Result<std::shared_ptr<const XorbTable>> table = space.tables->Get(row.id);
    if (!table.ok()) continue;  // removed meanwhile
    const uint64_t live_bytes = LiveRecordBytes(**table, it->second);
    const uint64_t dead = row.records_bytes > live_bytes ? row.records_bytes - live_bytes : 0;
    if (dead == 0 || static_cast<double>(dead) < min_dead_fraction * row.records_bytes) continue;
    CompactionReport attempt;
    HM_ASSIGN_OR_RETURN(bool done, space.files->RemoveIfUnlocked(row.id, [&]() -> Result<bool> {
      return Rewrite(space, row, **table, it->second, &attempt);
    }));
    if (!done) {
      ++report.xorbs_busy;
      continue;
    }
    space.tables->Forget(row.id);
    ++report.xorbs_compacted;
    report.chunks_moved += attempt.chunks_moved;
    report.bytes_before += row.file_bytes;
    report.bytes_after += attempt.bytes_after;
  }
  return report;
}

Result<std::vector<StoreLeftover>> XorbLeftovers(const XorbSpace& space, bool trim) {
  std::vector<StoreLeftover> out;
  HM_ASSIGN_OR_RETURN(std::vector<int64_t> unreferenced, space.catalog->UnreferencedXorbs());
  for (int64_t id : unreferenced) {
    HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, space.catalog->GetXorb(id));
    if (!row || row->created_at_micros > space.spare_unreferenced_after_micros) continue;
    if (trim) {
      HM_ASSIGN_OR_RETURN(bool deleted, DeleteUnreferencedXorb(space, id));
      if (!deleted) continue;  // a writer pinned it: no leftover after all
    }
    out.push_back(StoreLeftover{"xorb " + std::to_string(id) + " (no file names it)",
                                row->file_bytes});
  }
  HM_ASSIGN_OR_RETURN(std::vector<int64_t> on_disk, space.files->ListIds());
  for (int64_t id : on_disk) {
    const std::string path = space.files->PathOf(id);
    Result<std::unique_ptr<RandomAccessFile>> file = space.env->NewRandomAccessFile(path);
    if (!file.ok()) continue;
    // A writer publishing this xorb holds the lock until its rows are in.
    if (!TryLockExclusive((*file)->fd())) continue;
    HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, space.catalog->GetXorb(id));
    if (row) continue;
    HM_ASSIGN_OR_RETURN(uint64_t bytes, (*file)->Size());
    if (trim) {
      Status removed = space.env->RemoveFile(path);
      if (!removed.ok() && !removed.IsNotFound()) return removed;
      space.files->Forget(id);
    }
    out.push_back(StoreLeftover{path + " (not in the catalog)", bytes});
  }
  return out;
}

}  // namespace hubmirror
