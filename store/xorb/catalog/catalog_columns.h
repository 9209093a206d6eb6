// Internal to store/xorb: how the Xet catalog's SQLite columns are read and
// bound (xorb_catalog.cc, xorb_catalog_upstream.cc).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "store/sql/open_db.h"
#include "store/xet/xet_hash.h"

namespace hubmirror::xorb_catalog {

// A 32-byte hash column; all zeros when the column holds anything else.
inline XetHash HashColumn(const sql::Stmt& st, int col) {
  XetHash h;
  std::string_view b = st.Blob(col);
  if (b.size() == h.bytes.size()) std::memcpy(h.bytes.data(), b.data(), b.size());
  return h;
}

// Sizes and offsets are stored as SQLite's signed 64-bit integers.
inline int64_t AsInt(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace hubmirror::xorb_catalog
