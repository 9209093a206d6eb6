// The one-file-per-object ObjectStore (see object_store.h for the contract).
//
// Layout under `root`:
//   objects/sha256/ab/abcdef...   one file per object, named by its full
//                                 SHA-256 (64 lower hex), fanned out by the
//                                 first two hex digits
//   tmp/<random>-<counter>-<pid>.tmp
//                                 objects being written; renamed into
//                                 objects/ on Commit, removed on abort and by
//                                 CleanTemporaryFiles() at start-up
//
// Paths are only ever built from a validated hex digest, never from repo names
// or file paths.
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"

namespace hubmirror {

// Path of the object file for `sha256` (which must be 64 lower hex) under
// `root`; exposed for tests and for tools that inspect the layout.
std::string FileObjectPath(const std::string& root, const std::string& sha256);

}  // namespace hubmirror
