// Inventory: the list of objects a store holds, as text, so that an export
// for an air-gapped store can leave out what that store already has
// (`hubmirror inventory` on one side, `hubmirror export --since` on the other).
//
// Format (UTF-8 text, '\n' line ends):
//   # hubmirror inventory 1          first line, exactly
//   # store <path>                   further '#' lines are comments
//   # objects <count> bytes <total>
//   <sha256> <size>                  one line per object, sorted by sha256
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
#include "store/object_store.h"
#include "store/status.h"

namespace hubmirror {

inline constexpr std::string_view kInventoryHeader = "# hubmirror inventory 1";

// The whole inventory text of a store. Memory: one line per object.
Result<std::string> BuildInventory(Index* index, ObjectStore* store,
                                   const std::string& store_path);

// The inventory of a store that holds nothing yet (a directory that was never
// served or imported into): the header lines and "# objects 0 bytes 0". The
// first air-gap bundle is made --since it, so it must be a valid inventory.
std::string EmptyInventory(const std::string& store_path);

// The sha256s listed by an inventory file. Refuses a file without the header
// line, and names the line number of anything malformed.
Result<std::unordered_set<std::string>> ReadInventory(Env* env, const std::string& path);

}  // namespace hubmirror
