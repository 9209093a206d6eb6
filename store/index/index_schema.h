// Internal to store/index: the Index's tables (index.h describes them).
#pragma once

#include "store/sql/sql_db.h"

namespace hubmirror {

const sql::Schema& IndexSchema();

}  // namespace hubmirror
