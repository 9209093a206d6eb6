// Inventory: the objects and xorbs a store holds, as text, so that an export
// for an air-gapped store can leave out what that store already has
// (`hubmirror inventory` on one side, `hubmirror export --since` on the other).
//
// Format (UTF-8 text, '\n' line ends):
//   # hubmirror inventory 2          first line, exactly
//   # store <path>                   further '#' lines are comments
//   # objects <count> bytes <total> xorbs <count>
//   <sha256> <size>                  one line per object, sorted by sha256
//   xorb <hash>                      one line per xorb (Xet hex), sorted
//
// Version 1 (earlier releases) has no xorb lines and is read too: a bundle
// made --since it then carries every xorb its objects need.
//
// An object is listed when the index records it AND its bytes are in the
// object store (an index row whose file is gone is not something the store
// holds).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

#include "store/env.h"
#include "store/index/index.h"
#include "store/chunked_object_store.h"
#include "store/status.h"

namespace hubmirror {

inline constexpr std::string_view kInventoryHeader = "# hubmirror inventory 2";
inline constexpr std::string_view kInventoryHeaderV1 = "# hubmirror inventory 1";

// The whole inventory text of a store. Memory: one line per object and xorb.
Result<std::string> BuildInventory(Index* index, ChunkedObjectStore* store,
                                   const std::string& store_path);

// The inventory of a store that holds nothing yet (a directory that was never
// served or imported into): the header lines and "# objects 0 bytes 0". The
// first air-gap bundle is made --since it, so it must be a valid inventory.
std::string EmptyInventory(const std::string& store_path);

struct InventoryListing {
  std::unordered_set<std::string> objects;  // sha256s
  std::unordered_set<std::string> xorbs;    // Xet hex hashes
};

// What an inventory file lists. Refuses a file without a header line, and
// names the line number of anything malformed.
Result<InventoryListing> ReadInventory(Env* env, const std::string& path);

}  // namespace hubmirror
