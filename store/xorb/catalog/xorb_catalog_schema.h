// Internal to store/xorb: the XorbCatalog's tables (xorb_catalog.h
// describes them).
#pragma once

#include "store/sql/sql_db.h"

namespace hubmirror {

const sql::Schema& XorbCatalogSchema();

}  // namespace hubmirror
