#include "store/bundle/bundle_importer.h"

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "store/bundle/bundle_reader.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

constexpr size_t kMaxMissingNamed = 5;

// Objects this import added to the store; removed again unless Keep()
// is called, so a failed import leaves the store as it found it.
class AddedObjects {
 public:
  explicit AddedObjects(ObjectStore* store) : store_(store) {}
  ~AddedObjects() {
    if (keep_) return;
    // Newest first: a chunked store can then cut each object's chunks off
    // the tail of its pack, leaving the store's files as they were.
    for (auto it = added_.rbegin(); it != added_.rend(); ++it) (void)store_->Remove(*it);
  }
  AddedObjects(const AddedObjects&) = delete;
  AddedObjects& operator=(const AddedObjects&) = delete;

  void Add(std::string sha256) { added_.push_back(std::move(sha256)); }
  void Keep() { keep_ = true; }

 private:
  ObjectStore* store_;
  std::vector<std::string> added_;
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

Status RequireExcludedObjects(ObjectStore* store, const BundleManifest& manifest,
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
Status ImportObject(BundleReader* reader, ObjectStore* store, const BundleObject& object,
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

// Names the bundle and the object in an error from ImportObject.
Status ObjectError(const std::string& path, const BundleObject& object, uint64_t record,
                   const Status& cause) {
  // The reader's own messages already name the bundle and the record.
  if (cause.message().rfind("bundle ", 0) == 0) return cause;
  return Status(cause.code(), "bundle " + path + ": object record #" + std::to_string(record) +
                                  " (" + object.sha256 + ") refused: " + cause.message());
}

}  // namespace

Result<ImportSummary> ImportBundle(Env* env, ObjectStore* store, Index* index,
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
  for (const BundleObject& object : manifest.objects) {
    if (!object.included) continue;
    bool was_added = false;
    std::string xet_hash;
    Status s = ImportObject(reader.get(), store, object, options.dry_run, &added, &was_added,
                            &xet_hash);
    if (!xet_hash.empty()) xet_hashes[object.sha256] = xet_hash;
    if (!s.ok()) return ObjectError(bundle_path, object, summary.object_records, s);
    ++summary.object_records;
    if (was_added) {
      ++summary.objects_added;
      summary.bytes_added += object.size;
    } else {
      ++summary.objects_present;
    }
    if (on_object) on_object(object, was_added);
  }
  HM_RETURN_IF_ERROR(reader->ReadTrailer());
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
