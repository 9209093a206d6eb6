// XorbStore, the Xet units: reconstructions by xorb hash, xorbs stored and
// read as serialized (bundles; serving and accepting Xet).
#include <algorithm>
#include <map>

#include "store/hash.h"
#include "store/xet/xorb_format.h"
#include "store/xorb/reconstruction_reader.h"
#include "store/xorb/xorb_builder.h"
#include "store/xorb/xorb_store.h"

namespace hubmirror {

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

Result<XetServedFile> XorbStore::FindXetFile(const XetHash& file_hash) {
  const std::string hex = file_hash.ToHex();
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->FindFileByXetHash(hex));
  if (!row) return Status::NotFound("no stored file has Xet hash " + hex);
  return ServedFile(std::move(*row));
}

Result<XetServedFile> XorbStore::XetFileOf(const std::string& sha256) {
  HM_RETURN_IF_ERROR(ValidateObjectDigest(sha256));
  HM_ASSIGN_OR_RETURN(std::optional<ChunkedObjectRow> row, catalog_->GetFile(sha256));
  if (!row) return Status::NotFound("object " + sha256 + " not stored");
  return ServedFile(std::move(*row));
}

Result<XetServedFile> XorbStore::ServedFile(ChunkedObjectRow row) {
  HM_ASSIGN_OR_RETURN(std::vector<FileTerm> terms, catalog_->FileTerms(row.sha256));
  XetServedFile out;
  out.row = std::move(row);
  std::map<int64_t, XetHash> hashes;
  for (const FileTerm& t : terms) {
    auto known = hashes.find(t.xorb_id);
    if (known == hashes.end()) {
      HM_ASSIGN_OR_RETURN(std::optional<XorbRow> xorb, catalog_->GetXorb(t.xorb_id));
      if (!xorb) return Status::Unavailable("a xorb of " + out.row.sha256 + " moved; ask again");
      known = hashes.emplace(t.xorb_id, xorb->hash).first;
    }
    HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(t.xorb_id));
    if (t.chunk_start >= t.chunk_end || t.chunk_end > table->size()) {
      return Status::DataLoss("a term of " + out.row.sha256 + " lies outside its xorb's chunk table");
    }
    out.terms.push_back(XetServedTerm{
        XetTerm{known->second, t.chunk_start, t.chunk_end, t.raw_size},
        (*table)[t.chunk_start].record_offset, (*table)[t.chunk_end - 1].record_end()});
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
  HM_RETURN_IF_ERROR(files_->Share(id));
  NewXorb described = builder->Describe();
  Status inserted = described.row.hash == hash
                        ? catalog_->InsertXorb(described)
                        : Status::Internal("xorb rewritten under another hash");
  if (!inserted.ok()) {
    files_->Unshare(id, [this, id]() -> Result<bool> {
      HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, catalog_->GetXorb(id));
      return row.has_value();
    });
    return inserted;
  }
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
    if (PromiseNeedsGitBlobId(promise)) {
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

Result<std::vector<UpstreamXorbChunk>> XorbStore::KnownUpstreamChunks(const XetHash& xorb,
                                                                       uint32_t start,
                                                                       uint32_t end) {
  return catalog_->KnownUpstreamChunks(xorb, start, end);
}

Status XorbStore::RememberUpstreamChunks(const XetHash& xorb,
                                         const std::vector<UpstreamXorbChunk>& chunks) {
  return catalog_->RememberUpstreamChunks(xorb, chunks);
}

Result<std::string> XorbStore::ReadChunk(const XetHash& hash) {
  HM_ASSIGN_OR_RETURN(std::optional<ChunkHit> hit, catalog_->FindChunk(hash));
  if (!hit) return Status::NotFound("chunk " + hash.ToHex() + " is not stored");
  HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbBytes> xorb, Resolve(hit->xorb_id));
  std::string raw(hit->raw_size, '\0');
  ChunkDecoder decoder;
  HM_ASSIGN_OR_RETURN(size_t got,
                      xorb->ReadRaw(hit->index, hit->index + 1, 0, raw.data(), raw.size(), &decoder));
  if (got != raw.size()) return Status::DataLoss("chunk " + hash.ToHex() + " reads short");
  return raw;
}

Result<std::pair<XetHash, std::vector<XetNode>>> XorbStore::XorbHoldingChunk(
    const XetHash& hash) {
  HM_ASSIGN_OR_RETURN(std::optional<ChunkHit> hit, catalog_->FindChunk(hash));
  if (!hit) return Status::NotFound("chunk " + hash.ToHex() + " is not stored");
  HM_ASSIGN_OR_RETURN(std::optional<XorbRow> row, catalog_->GetXorb(hit->xorb_id));
  if (!row) return Status::NotFound("chunk " + hash.ToHex() + " is not stored");
  HM_ASSIGN_OR_RETURN(std::shared_ptr<const XorbTable> table, tables_->Get(hit->xorb_id));
  std::vector<XetNode> chunks;
  chunks.reserve(table->size());
  for (const XorbChunk& c : *table) chunks.push_back(XetNode{c.hash, c.raw_size});
  return std::make_pair(row->hash, std::move(chunks));
}

}  // namespace hubmirror
