// ImportBundle: brings a bundle's repos, refs, commits, file lists and
// objects into a store, all or nothing.
//
// Order of events, and what a reader of the store can observe:
//   1. The manifest is read and validated. Objects the bundle leaves out
//      (export --since) must already be in the store; otherwise the import
//      is refused (FailedPrecondition, naming the first missing objects)
//      before anything is written. Files the manifest marks as left out
//      (export --include/--exclude) need no object: they are imported as
//      entries only, and the store serves them as any file it lacks. Every
//      other file must have its object listed, or the manifest is refused.
//   2. Framing 2: every xorb record is stored (ChunkedObjectStore::PutXorb,
//      which decodes and hashes every chunk and checks the xorb's hash; one
//      the store holds already is not written again); xorbs the bundle
//      leaves out (export --since) must be in the store. Then the trailer is
//      checked (3), and only then every carried object the store lacks is
//      committed from its terms (CommitReconstruction reads it back and
//      checks its size, sha256 and git sha1).
//      Framing 1: every object record is streamed into an ObjectWriter
//      promising its sha256, size and git sha1, so a record becomes a store
//      object only once its own bytes are verified; objects already stored
//      are verified against their digest without being written again.
//      Objects and xorbs new to the store are remembered.
//   3. The trailer is checked: record count, SHA-256 of the whole bundle,
//      end of file. Only this proves the manifest itself is intact.
//   4. All index rows (repos, refs, commits, entries, objects) are written in
//      ONE transaction (Index::ImportSnapshot). Before this step no ref,
//      commit or file of the bundle is visible through the index, so no
//      client can be served anything from it.
// On any failure in 2-4 every object and xorb added in step 2 is removed
// again, so the store's files and index are exactly as before (a crash
// mid-import can leave added objects behind; they are unreferenced and
// harmless, and gc removes them). Do not run two imports of overlapping
// content into one store at the same time: the rollback of one could remove
// an object the other just added.
//
// Memory is bounded by the manifest plus one xorb (framing 2) or one chunk
// (framing 1); a bundle of any size streams from its file into the store.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/bundle/bundle_format.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/chunked_object_store.h"
#include "store/status.h"

namespace hubmirror {

struct ImportOptions {
  // Verify the whole bundle (framing 2: every xorb's chunks and hash, every
  // object's terms and Xet hash; framing 1: every object's digest; the
  // trailer) and report, but write nothing to the store or the index.
  bool dry_run = false;
  // Called once the manifest is read and validated, before any object (for
  // progress: what is coming, and which files an object is). May be empty.
  std::function<void(const BundleManifest&)> on_manifest;
};

struct ImportSummary {
  uint64_t repos = 0;
  uint64_t refs = 0;
  uint64_t commits = 0;
  uint64_t object_records = 0;   // objects carried in the bundle
  uint64_t objects_added = 0;    // of those, new to this store (dry run: would be)
  uint64_t objects_present = 0;  // of those, already stored (verified, not written)
  uint64_t objects_expected = 0; // left out by --since, found in the store
  uint64_t bytes_added = 0;      // raw size of objects_added
  uint64_t files_left_out = 0;   // file entries carried without their bytes
};

// Called after each verified object; `added`: new to the store (in a dry
// run: would be). May be empty.
using ImportObjectCallback = std::function<void(const BundleObject& object, bool added)>;

Result<ImportSummary> ImportBundle(Env* env, ChunkedObjectStore* store, Index* index,
                                   const std::string& bundle_path, const ImportOptions& options,
                                   const ImportObjectCallback& on_object = nullptr);

}  // namespace hubmirror
