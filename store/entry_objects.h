// How a file entry of a commit maps to an object of the ObjectStore.
//
// LFS files are named by their sha256 (the LFS oid) from the start. Regular
// files are known only by their git blob id until their bytes have been stored
// once; from then on the index's objects table maps that id to the sha256.
#pragma once

#include <optional>
#include <string>

#include "store/index/index.h"
#include "store/object_store.h"

namespace hubmirror {

// What the upstream promises the bytes of `entry` are: its size, and the LFS
// sha256 or the git blob id.
ObjectPromise PromiseForEntry(const EntryRecord& entry);

// The sha256 of the object holding `entry`'s bytes, if the store holds it.
Result<std::optional<std::string>> FindStoredObject(Index* index, ObjectStore* store,
                                                    const EntryRecord& entry);

}  // namespace hubmirror
