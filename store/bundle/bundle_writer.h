// WriteBundle: streams a planned manifest and the bytes of its included
// objects into one bundle file (format: store/bundle_format.h,
// docs/bundle-format.md).
//
// Memory is bounded by one chunk (kBundleChunkBytes) plus its compressed
// bound, whatever the object sizes; nothing is staged on disk besides the
// output itself. The output is written as `path + ".partial"` and renamed to
// `path` only after it is complete and fsynced, so a failed or interrupted
// export never leaves something that looks like a bundle.
//
// Every object is re-hashed while it is read from the store: a store object
// whose bytes no longer match its name fails the export (DataLoss) instead of
// shipping corrupt data.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/bundle/bundle_format.h"
#include "store/env.h"
#include "store/object_store.h"
#include "store/status.h"

namespace hubmirror {

struct BundleWriteStats {
  uint64_t objects_written = 0;  // object records in the bundle
  uint64_t raw_bytes = 0;        // object bytes before compression
  uint64_t stored_bytes = 0;     // object bytes as stored (after compression)
  uint64_t zstd_chunks = 0;      // chunks kept compressed
  uint64_t raw_chunks = 0;       // chunks stored as they are
  uint64_t bundle_bytes = 0;     // size of the whole file
};

// Called after each object record with the object and its raw size; may be
// empty. Used for progress display.
using BundleObjectCallback = std::function<void(const BundleObject& object)>;

Result<BundleWriteStats> WriteBundle(Env* env, ObjectStore* store, const BundleManifest& manifest,
                                     const std::string& path,
                                     const BundleObjectCallback& on_object = nullptr);

}  // namespace hubmirror
