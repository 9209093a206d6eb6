// WriteBundle: streams a planned manifest and the content of its included
// objects into one bundle file (format: store/bundle/bundle_format.h,
// docs/bundle-format.md), in the framing the plan chose: the store's xorbs
// as they are (framing 2), or, for objects still kept in an older store
// layout, every object's bytes (framing 1).
//
// Memory is bounded by one xorb (framing 2) or one chunk of kBundleChunkBytes
// (framing 1), whatever the object sizes; nothing is staged on disk besides
// the output itself. The output is written as `path + ".partial"` and renamed
// to `path` only after it is complete and fsynced, so a failed or interrupted
// export never leaves something that looks like a bundle.
//
// Everything is checked while it is read from the store: every xorb's chunks
// are decoded and hashed against the xorb's name (framing 2), every object is
// re-hashed (framing 1). Damaged store content fails the export (DataLoss)
// instead of shipping corrupt data.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/bundle/bundle_format.h"
#include "store/env.h"
#include "store/chunked_object_store.h"
#include "store/status.h"

namespace hubmirror {

struct BundleWriteStats {
  uint64_t objects_written = 0;     // objects the bundle carries
  uint64_t xorbs_written = 0;       // xorb records (framing 2)
  uint64_t raw_bytes = 0;           // carried objects' bytes
  uint64_t stored_bytes = 0;        // content bytes in the file (xorbs or chunks)
  uint64_t compressed_chunks = 0;   // chunks kept compressed
  uint64_t chunks = 0;              // chunks in all
  uint64_t bundle_bytes = 0;        // size of the whole file
};

// Called after each carried object (its content written) with the object;
// may be empty. Used for progress display.
using BundleObjectCallback = std::function<void(const BundleObject& object)>;

Result<BundleWriteStats> WriteBundle(Env* env, ChunkedObjectStore* store,
                                     const BundleManifest& manifest,
                                     const std::string& path,
                                     const BundleObjectCallback& on_object = nullptr);

}  // namespace hubmirror
