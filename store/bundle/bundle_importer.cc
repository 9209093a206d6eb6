#include "store/bundle/bundle_importer.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "store/bundle/bundle_reader.h"
#include "store/hash.h"
#include "store/xet/xorb_format.h"

namespace hubmirror {
namespace {

constexpr size_t kMaxMissingNamed = 5;

// Objects and xorbs this import added to the store; removed again unless
// Keep() is called, so a failed import leaves the store as it found it.
class AddedObjects {
 public:
  explicit AddedObjects(ChunkedObjectStore* store) : store_(store) {}
  ~AddedObjects() {
    if (keep_) return;
    // Objects first: then no file names the xorbs any more.
    for (auto it = added_.rbegin(); it != added_.rend(); ++it) (void)store_->Remove(*it);
    for (const XetHash& x : xorbs_) (void)store_->RemoveXorb(x);
  }
  AddedObjects(const AddedObjects&) = delete;
  AddedObjects& operator=(const AddedObjects&) = delete;

  void Add(std::string sha256) { added_.push_back(std::move(sha256)); }
  void AddXorb(const XetHash& hash) { xorbs_.push_back(hash); }
  void Keep() { keep_ = true; }

 private:
  ChunkedObjectStore* store_;
  std::vector<std::string> added_;
  std::vector<XetHash> xorbs_;
  bool keep_ = false;
};

// Checks bytes against a digest without storing them (objects the store
// already has, and dry runs).
class DigestCheck {
 public:
  explicit DigestCheck(const BundleObject& object) : object_(object) {}
  Status Update(const char* data, size_t n) {
    hasher_.Update(data, n);
    size_ += n;
    return Status::Ok();
  }
  Status Finish() {
    std::string actual = hasher_.FinishHex();
    if (size_ != object_.size || actual != object_.sha256) {
      return Status::DataLoss("object bytes hash to " + actual + " (" + std::to_string(size_) +
                              " bytes), not " + object_.sha256 + " (" +
                              std::to_string(object_.size) + " bytes)");
    }
    return Status::Ok();
  }

 private:
  const BundleObject& object_;
  Sha256Hasher hasher_;
  uint64_t size_ = 0;
};

Status RequireExcludedObjects(ChunkedObjectStore* store, const BundleManifest& manifest,
                              const std::string& path, ImportSummary* summary) {
  std::vector<std::string> missing;
  uint64_t missing_count = 0;
  for (const BundleObject& object : manifest.objects) {
    if (object.included) continue;
    if (store->Contains(object.sha256)) {
      ++summary->objects_expected;
      continue;
    }
    if (++missing_count <= kMaxMissingNamed) missing.push_back(object.sha256);
  }
  if (missing_count == 0) return Status::Ok();
  std::string names;
  for (const std::string& m : missing) names += (names.empty() ? "" : ", ") + m;
  return Status::FailedPrecondition(
      "bundle " + path + " was exported with --since for a store holding objects this store " +
      "lacks: " + std::to_string(missing_count) + " missing (" + names +
      (missing_count > missing.size() ? ", ..." : "") +
      "); export again with --since an inventory of this store (`hubmirror inventory`), or "
      "without --since");
}

// Streams one record into the store (or just verifies it), remembering it
// when it is new.
Status ImportObject(BundleReader* reader, ChunkedObjectStore* store, const BundleObject& object,
                    bool dry_run, AddedObjects* added, bool* was_added, std::string* xet_hash) {
  const bool stored = store->Contains(object.sha256);
  // In a dry run, "added" means the object would be new to the store.
  *was_added = !stored;
  if (dry_run || stored) {
    DigestCheck check(object);
    HM_RETURN_IF_ERROR(reader->ReadObject(
        object, [&check](const char* data, size_t n) { return check.Update(data, n); }));
    return check.Finish();
  }
  ObjectPromise promise;
  promise.size = object.size;
  promise.sha256 = object.sha256;
  promise.git_sha1 = object.git_sha1;
  HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, store->NewWriter(promise));
  HM_RETURN_IF_ERROR(reader->ReadObject(
      object, [&writer](const char* data, size_t n) { return writer->Append(data, n); }));
  HM_ASSIGN_OR_RETURN(ObjectInfo info, writer->Commit());
  *xet_hash = info.xet_hash;
  added->Add(object.sha256);
  return Status::Ok();
}

// The xorbs the included objects need that the bundle does not carry
// (export --since an inventory that listed them) must be here.
Status RequireExcludedXorbs(ChunkedObjectStore* store, const BundleManifest& manifest,
                            const std::string& path) {
  std::set<uint32_t> needed;
  for (const BundleObject& o : manifest.objects) {
    if (!o.included || store->Contains(o.sha256)) continue;
    for (const BundleTerm& t : o.terms) {
      if (!manifest.xorbs[t.xorb].included) needed.insert(t.xorb);
    }
  }
  std::vector<std::string> missing;
  for (uint32_t i : needed) {
    std::optional<XetHash> hash = XetHash::FromHex(manifest.xorbs[i].hash);
    if (hash && store->OpenXorb(*hash).ok()) continue;
    missing.push_back(manifest.xorbs[i].hash);
  }
  if (missing.empty()) return Status::Ok();
  std::string names;
  for (size_t i = 0; i < missing.size() && i < kMaxMissingNamed; ++i) {
    names += (names.empty() ? "" : ", ") + missing[i];
  }
  return Status::FailedPrecondition(
      "bundle " + path + " was exported with --since for a store holding xorbs this store " +
      "lacks: " + std::to_string(missing.size()) + " missing (" + names +
      (missing.size() > kMaxMissingNamed ? ", ..." : "") +
      "); export again with --since an inventory of this store (`hubmirror inventory`), or "
      "without --since");
}

// Reads the xorb records of a framing-2 bundle: stored (each checked against
// its hash by the store), or in a dry run only checked. Returns the chunks
// of each included xorb by manifest index (a dry run checks objects' Xet
// hashes with them).
Result<std::map<uint32_t, std::vector<XetNode>>> ImportXorbs(BundleReader* reader,
                                                              ChunkedObjectStore* store,
                                                              const BundleManifest& manifest,
                                                              bool dry_run,
                                                              const std::string& path,
                                                              AddedObjects* added) {
  std::map<uint32_t, std::vector<XetNode>> chunks;
  XetChunkCodec codec;
  std::string bytes;
  for (uint32_t i = 0; i < manifest.xorbs.size(); ++i) {
    const BundleXorb& x = manifest.xorbs[i];
    if (!x.included) continue;
    HM_RETURN_IF_ERROR(reader->ReadXorb(x, &bytes));
    std::optional<XetHash> hash = XetHash::FromHex(x.hash);
    if (!hash) return Status::InvalidArgument("bundle " + path + ": xorb '" + x.hash + "'");
    auto refused = [&](const Status& s) {
      return Status(s.code() == StatusCode::kInvalidArgument ? StatusCode::kDataLoss : s.code(),
                    "bundle " + path + ": xorb record #" + std::to_string(i) + " (" + x.hash +
                        ") refused: " + s.message());
    };
    if (dry_run) {
      Result<ParsedXorb> parsed = ParseAndVerifyXorb(bytes, &codec);
      if (!parsed.ok()) return refused(parsed.status());
      if (parsed->hash != *hash) {
        return refused(Status::InvalidArgument("its chunks hash to " + parsed->hash.ToHex()));
      }
      auto& nodes = chunks[i];
      for (const XorbChunk& c : parsed->chunks) nodes.push_back(XetNode{c.hash, c.raw_size});
      continue;
    }
    Result<bool> put = store->PutXorb(*hash, bytes);
    if (!put.ok()) return refused(put.status());
    if (*put) added->AddXorb(*hash);
  }
  return chunks;
}

// A dry run's check of an object made of carried xorbs: its terms' chunks
// exist and add up, and their Xet hash is the object's.
Status CheckTerms(const BundleManifest& manifest, const BundleObject& object,
                  const std::map<uint32_t, std::vector<XetNode>>& chunks) {
  std::vector<XetNode> nodes;
  for (const BundleTerm& t : object.terms) {
    auto it = chunks.find(t.xorb);
    if (it == chunks.end()) return Status::Ok();  // a xorb of this store: checked on import
    if (t.chunk_end > it->second.size()) {
      return Status::DataLoss("a term names chunks past the end of xorb " +
                              manifest.xorbs[t.xorb].hash);
    }
    uint64_t raw = 0;
    for (uint32_t c = t.chunk_start; c < t.chunk_end; ++c) {
      raw += it->second[c].size;
      nodes.push_back(it->second[c]);
    }
    if (raw != t.raw_size) return Status::DataLoss("a term's chunks hold other sizes than it says");
  }
  if (XetFileHash(std::move(nodes)).ToHex() != object.xet_hash) {
    return Status::DataLoss("its chunks do not make the Xet hash " + object.xet_hash);
  }
  return Status::Ok();
}

// Names the bundle and the object in an error from ImportObject.
Status ObjectError(const std::string& path, const BundleObject& object, uint64_t record,
                   const Status& cause) {
  // The reader's own messages already name the bundle and the record.
  if (cause.message().rfind("bundle ", 0) == 0) return cause;
  return Status(cause.code(), "bundle " + path + ": object record #" + std::to_string(record) +
                                  " (" + object.sha256 + ") refused: " + cause.message());
}

}  // namespace

Result<ImportSummary> ImportBundle(Env* env, ChunkedObjectStore* store, Index* index,
                                   const std::string& bundle_path, const ImportOptions& options,
                                   const ImportObjectCallback& on_object) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<BundleReader> reader, BundleReader::Open(env, bundle_path));
  HM_ASSIGN_OR_RETURN(BundleManifest manifest, reader->ReadManifest());

  ImportSummary summary;
  for (const RepoSnapshot& repo : manifest.repos) {
    ++summary.repos;
    summary.refs += repo.refs.size();
    summary.commits += repo.commits.size();
  }
  summary.files_left_out = manifest.CountLeftOut();
  HM_RETURN_IF_ERROR(RequireExcludedObjects(store, manifest, bundle_path, &summary));
  if (options.on_manifest) options.on_manifest(manifest);

  AddedObjects added(store);
  std::map<std::string, std::string> xet_hashes;  // of the objects added
  auto counted = [&](const BundleObject& object, bool was_added) {
    ++summary.object_records;
    if (was_added) {
      ++summary.objects_added;
      summary.bytes_added += object.size;
    } else {
      ++summary.objects_present;
    }
    if (on_object) on_object(object, was_added);
  };
  if (!manifest.carries_xorbs) {
    for (const BundleObject& object : manifest.objects) {
      if (!object.included) continue;
      bool was_added = false;
      std::string xet_hash;
      Status s = ImportObject(reader.get(), store, object, options.dry_run, &added, &was_added,
                              &xet_hash);
      if (!xet_hash.empty()) xet_hashes[object.sha256] = xet_hash;
      if (!s.ok()) return ObjectError(bundle_path, object, summary.object_records, s);
      counted(object, was_added);
    }
    HM_RETURN_IF_ERROR(reader->ReadTrailer());
  } else {
    HM_RETURN_IF_ERROR(RequireExcludedXorbs(store, manifest, bundle_path));
    HM_ASSIGN_OR_RETURN(auto chunks, ImportXorbs(reader.get(), store, manifest, options.dry_run,
                                                 bundle_path, &added));
    // The manifest is proven intact before any object is committed from it.
    HM_RETURN_IF_ERROR(reader->ReadTrailer());
    for (const BundleObject& object : manifest.objects) {
      if (!object.included) continue;
      const bool present = store->Contains(object.sha256);
      Status s;
      if (options.dry_run) {
        s = CheckTerms(manifest, object, chunks);
      } else if (!present) {
        std::vector<XetTerm> terms;
        for (const BundleTerm& t : object.terms) {
          terms.push_back(XetTerm{*XetHash::FromHex(manifest.xorbs[t.xorb].hash), t.chunk_start,
                                  t.chunk_end, t.raw_size});
        }
        Result<ObjectInfo> info = store->CommitReconstruction(
            ObjectPromise{object.size, object.sha256, object.git_sha1}, terms);
        if (info.ok()) {
          xet_hashes[object.sha256] = info->xet_hash;
          added.Add(object.sha256);
        }
        s = info.status();
      }
      if (!s.ok()) return ObjectError(bundle_path, object, summary.object_records, s);
      counted(object, !present);
    }
  }
  if (options.dry_run) return summary;

  std::vector<ObjectRecord> rows;
  rows.reserve(manifest.objects.size());
  for (const BundleObject& object : manifest.objects) {
    auto xet = xet_hashes.find(object.sha256);
    rows.push_back(ObjectRecord{object.sha256, object.git_sha1, object.size,
                                xet == xet_hashes.end() ? "" : xet->second});
  }
  if (Status s = index->ImportSnapshot(manifest.repos, rows); !s.ok()) {
    return Status(s.code(), "bundle " + bundle_path +
                                ": writing the index failed, nothing was imported: " + s.message());
  }
  added.Keep();
  return summary;
}

}  // namespace hubmirror
