// OpenStoreDir: how the commands that work on a store directory directly
// (du, verify, migrate, inventory, export, import, pin, unpin, gc, ls) open
// it. Temporary files are left alone, since `hubmirror serve` may be
// writing them in the same store.
#pragma once

#include <memory>
#include <string>

#include "store/chunked_object_store.h"
#include "store/env.h"
#include "server/options.h"
#include "store/index/index.h"
#include "store/objstore/object_storage.h"

namespace hubmirror {

struct StoreHandles {
  std::unique_ptr<ObjectStorage> bucket;  // scale-out only; outlives `objects`
  std::unique_ptr<ChunkedObjectStore> objects;
  std::unique_ptr<Index> index;
};

// Where a store directory keeps its index; a directory without one holds no
// store yet.
std::string StoreIndexPath(const std::string& dir);

// With `must_exist`, a directory without an index is refused with a message
// naming the likely mistake (commands that read a store); without it the
// directory and an empty store are created (import).
Result<StoreHandles> OpenStoreDir(Env* env, const std::string& dir, bool must_exist);

// The same for a node of a cluster (`scale_out.enabled()`): the index and
// catalog on PostgreSQL, xorbs in the bucket, `dir` this node's cache. With
// scale-out off, OpenStoreDir.
Result<StoreHandles> OpenStoreDir(Env* env, const std::string& dir, bool must_exist,
                                  const ScaleOutOptions& scale_out);

// Where the index, the catalog and retention live for these options.
sql::DbLocation SharedDbLocation(const ScaleOutOptions& scale_out);
// Where the retention database of the store in `dir` lives: the cluster's
// PostgreSQL with scale-out, else dir/retention.sqlite.
sql::DbLocation RetentionDbLocation(const std::string& dir, const ScaleOutOptions& scale_out);

// What a maintenance command works on: a store directory (--store), or the
// store a node's config names (--config: also a cluster's PostgreSQL and
// bucket).
struct StoreTarget {
  std::string dir = "./data";
  std::string config;
};

// The store of `target` (must exist), its retention database's location.
Result<StoreHandles> OpenStoreTarget(Env* env, const StoreTarget& target);
Result<sql::DbLocation> RetentionLocation(const StoreTarget& target);

}  // namespace hubmirror
