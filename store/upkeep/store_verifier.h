// VerifyStore: a full consistency check of a store, for `hubmirror verify`
// (after a crash, a disk problem, or before an export across an air gap).
//
// Every object the index lists is read back in full and its size, SHA-256,
// and (when recorded) git blob SHA-1 and Xet hash recomputed; every ref must name a commit the
// index holds; every file of a published (hosted) repo must be such an object. Problems are collected, not fatal, so one run lists them all.
// What interrupted writes left (xorbs without catalog rows, pack tails of
// the older layout) are warnings, not problems: nothing reads them, and the
// next `serve` start or `hubmirror gc` removes them. Read-only; safe while a
// server runs on the same store (objects being written are not in the
// index yet, and xorbs being written are locked, so never reported).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/index/index.h"

namespace hubmirror {

struct VerifyReport {
  uint64_t objects_checked = 0;
  uint64_t bytes_checked = 0;
  uint64_t refs_checked = 0;
  // One line per problem, naming the object or repo/ref and what is wrong.
  std::vector<std::string> problems;
  // One line per leftover of an interrupted write.
  std::vector<std::string> warnings;
};

// An error only when the check itself cannot run (index unreadable).
Result<VerifyReport> VerifyStore(Index* index, ChunkedObjectStore* store);

}  // namespace hubmirror
