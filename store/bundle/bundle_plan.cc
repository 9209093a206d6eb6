#include "store/bundle/bundle_plan.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace hubmirror {
namespace {

// What one selected commit needs, while planning.
struct PlannedCommit {
  std::string revision;  // as asked for (ref name or commit), for messages
  std::string commit;
};

std::string SyncHint(const BundleRepoSpec& spec, const std::string& revision) {
  const std::string id = spec.repo.DisplayId();
  return "run `hubmirror sync " + id + "@" + revision + "` first";
}

// The commits a spec selects, and the refs it exports.
Status SelectCommits(Index* index, const BundleRepoSpec& spec, std::vector<NamedRef>* refs,
                     std::vector<PlannedCommit>* commits) {
  if (spec.revision.empty()) {
    HM_ASSIGN_OR_RETURN(std::vector<NamedRef> known, index->ListRefs(spec.repo));
    if (known.empty()) {
      return Status::FailedPrecondition("no branch or tag of " + spec.repo.ToString() +
                                        " is known to this store; " +
                                        SyncHint(spec, "main") + ", or name a revision");
    }
    for (NamedRef& ref : known) {
      commits->push_back(PlannedCommit{ref.name, ref.record.commit});
      refs->push_back(std::move(ref));
    }
    return Status::Ok();
  }
  if (IsCommitSha(spec.revision)) {
    commits->push_back(PlannedCommit{spec.revision, spec.revision});
    return Status::Ok();
  }
  HM_ASSIGN_OR_RETURN(std::optional<RefRecord> ref, index->GetRef(spec.repo, spec.revision));
  if (!ref) {
    return Status::FailedPrecondition("revision '" + spec.revision + "' of " +
                                      spec.repo.ToString() + " is not known to this store; " +
                                      SyncHint(spec, spec.revision));
  }
  commits->push_back(PlannedCommit{spec.revision, ref->commit});
  refs->push_back(NamedRef{spec.revision, *ref});
  return Status::Ok();
}

// Finds the stored object of every carried file of a commit and adds it to
// `objects`; files `carry` does not select go to `left_out` instead.
Status CollectObjects(Index* index, ChunkedObjectStore* store, const BundleRepoSpec& spec,
                      const PlannedCommit& planned, const std::vector<EntryRecord>& entries,
                      const BundleFileFilter& carry, std::map<std::string, BundleObject>* objects,
                      std::set<std::string>* left_out) {
  for (const EntryRecord& e : entries) {
    if (e.is_directory) continue;
    if (carry && !carry(e.path)) {
      left_out->insert(e.path);
      continue;
    }
    const std::string where = "file '" + e.path + "' of " + spec.repo.ToString() + " at " +
                              planned.revision + " (commit " + planned.commit + ")";
    std::optional<ObjectRecord> row;
    if (e.is_lfs) {
      HM_ASSIGN_OR_RETURN(row, index->GetObject(e.lfs_sha256));
      if (!row) row = ObjectRecord{e.lfs_sha256, "", e.size, ""};
    } else {
      HM_ASSIGN_OR_RETURN(row, index->FindObjectByGitSha1(e.oid));
    }
    if (!row || !store->Contains(row->sha256)) {
      // Typically a revision synced with --include/--exclude: say how to
      // export just the part that is here.
      return Status::FailedPrecondition(
          where + " is not in this store; " + SyncHint(spec, planned.revision) +
          (carry ? ", or change export's --include/--exclude to leave it out"
                 : ", or export with --include/--exclude (as the sync used) to leave out the "
                   "files this store does not have"));
    }
    if (row->size != e.size) {
      return Status::DataLoss(where + " is listed with " + std::to_string(e.size) +
                              " bytes but its stored object " + row->sha256 + " has " +
                              std::to_string(row->size));
    }
    BundleObject& object = (*objects)[row->sha256];
    object.sha256 = row->sha256;
    object.size = row->size;
    // A regular file's object must carry the oid the entry names it by.
    if (!e.is_lfs) object.git_sha1 = e.oid;
    if (object.git_sha1.empty()) object.git_sha1 = row->git_sha1;
  }
  return Status::Ok();
}

// Adds a spec's refs and commits to `repo`, skipping commits already there.
Status PlanSpec(Index* index, ChunkedObjectStore* store, const BundleRepoSpec& spec,
                const BundleFileFilter& carry, RepoSnapshot* repo,
                std::map<std::string, BundleObject>* objects, BundleFilesLeftOut* files_left_out) {
  std::vector<NamedRef> refs;
  std::vector<PlannedCommit> commits;
  HM_RETURN_IF_ERROR(SelectCommits(index, spec, &refs, &commits));
  for (const PlannedCommit& planned : commits) {
    bool seen = std::any_of(repo->commits.begin(), repo->commits.end(),
                            [&](const CommitSnapshot& c) { return c.commit == planned.commit; });
    if (seen) continue;
    HM_ASSIGN_OR_RETURN(std::optional<CommitRecord> record,
                        index->GetCommit(spec.repo, planned.commit));
    if (!record || !record->tree_complete) {
      return Status::FailedPrecondition(
          "the file list of " + spec.repo.ToString() + " at " + planned.revision + " (commit " +
          planned.commit + ") is not complete in this store; " + SyncHint(spec, planned.revision));
    }
    CommitSnapshot snapshot;
    snapshot.commit = planned.commit;
    snapshot.record = *record;
    HM_ASSIGN_OR_RETURN(snapshot.entries,
                        index->ListEntries(spec.repo, planned.commit, "", /*recursive=*/true));
    std::set<std::string> left_out;
    HM_RETURN_IF_ERROR(
        CollectObjects(index, store, spec, planned, snapshot.entries, carry, objects, &left_out));
    if (!left_out.empty()) {
      (*files_left_out)[{spec.repo.ToString(), planned.commit}] = std::move(left_out);
    }
    repo->commits.push_back(std::move(snapshot));
  }
  for (NamedRef& ref : refs) {
    auto same_name = [&](const NamedRef& r) { return r.name == ref.name; };
    if (std::none_of(repo->refs.begin(), repo->refs.end(), same_name)) {
      repo->refs.push_back(std::move(ref));
    }
  }
  return Status::Ok();
}

// Framing 2: every included object's reconstruction, its xorbs listed in
// order of first use (the writer writes them in that order, each before the
// first object needing it is reported). False when some object is kept in
// an older store layout (no reconstruction): the bundle then uses framing 1.
Result<bool> PlanXorbs(ChunkedObjectStore* store,
                       const std::unordered_set<std::string>* destination_xorbs,
                       BundleManifest* manifest) {
  std::map<std::string, uint32_t> index_of;
  for (BundleObject& object : manifest->objects) {
    if (!object.included) continue;
    Result<std::vector<XetTerm>> terms = store->Reconstruction(object.sha256);
    if (terms.status().code() == StatusCode::kFailedPrecondition) return false;
    HM_RETURN_IF_ERROR(terms.status());
    HM_ASSIGN_OR_RETURN(ChunkedObjectRow row, store->GetObjectRow(object.sha256));
    object.xet_hash = row.xet_hash;
    for (const XetTerm& t : *terms) {
      const std::string hex = t.xorb.ToHex();
      auto it = index_of.find(hex);
      if (it == index_of.end()) {
        HM_ASSIGN_OR_RETURN(StoredXorb stored, store->OpenXorb(t.xorb));
        BundleXorb x;
        x.hash = hex;
        x.size = stored.size;
        x.included = destination_xorbs == nullptr || destination_xorbs->count(hex) == 0;
        it = index_of.emplace(hex, static_cast<uint32_t>(manifest->xorbs.size())).first;
        manifest->xorbs.push_back(std::move(x));
      }
      object.terms.push_back(BundleTerm{it->second, t.chunk_start, t.chunk_end, t.raw_size});
    }
  }
  return true;
}

}  // namespace

std::string BundleRepoSpec::ToString() const {
  std::string text = repo.DisplayId();
  return revision.empty() ? text : text + "@" + revision;
}

Result<BundleRepoSpec> ParseBundleRepoSpec(std::string_view text) {
  BundleRepoSpec spec;
  std::string_view id = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    id = text.substr(0, at);
    spec.revision = std::string(text.substr(at + 1));
    if (Status s = ValidateRevision(spec.revision); !s.ok() || spec.revision.empty()) {
      return Status::InvalidArgument("'" + std::string(text) + "': bad revision: " +
                                     (s.ok() ? std::string("empty") : s.message()));
    }
  }
  spec.repo.type = TakeRepoTypePrefix(&id);
  spec.repo.id = std::string(id);
  if (Status s = ValidateRepoId(spec.repo.id); !s.ok()) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a repo (expected org/name[@rev] or "
                                   "datasets/org/name[@rev]): " + s.message());
  }
  return spec;
}

Result<BundleManifest> PlanBundle(Index* index, ChunkedObjectStore* store,
                                  const std::vector<BundleRepoSpec>& specs,
                                  const std::unordered_set<std::string>* destination_has,
                                  const BundleFileFilter& carry,
                                  const std::unordered_set<std::string>* destination_xorbs) {
  if (specs.empty()) return Status::InvalidArgument("no repo to export");
  BundleManifest manifest;
  std::map<std::string, BundleObject> objects;  // sorted: deterministic bundles
  for (const BundleRepoSpec& spec : specs) {
    auto it = std::find_if(manifest.repos.begin(), manifest.repos.end(),
                           [&](const RepoSnapshot& r) { return r.repo == spec.repo; });
    if (it == manifest.repos.end()) {
      manifest.repos.push_back(RepoSnapshot{spec.repo, {}, {}});
      it = manifest.repos.end() - 1;
    }
    HM_RETURN_IF_ERROR(
        PlanSpec(index, store, spec, carry, &*it, &objects, &manifest.files_left_out));
  }
  for (auto& [sha256, object] : objects) {
    object.included = destination_has == nullptr || destination_has->count(sha256) == 0;
    manifest.objects.push_back(std::move(object));
  }
  HM_ASSIGN_OR_RETURN(manifest.carries_xorbs, PlanXorbs(store, destination_xorbs, &manifest));
  if (!manifest.carries_xorbs) {
    manifest.xorbs.clear();
    for (BundleObject& object : manifest.objects) {
      object.terms.clear();
      object.xet_hash.clear();
    }
  }
  return manifest;
}

}  // namespace hubmirror
