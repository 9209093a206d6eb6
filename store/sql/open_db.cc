#include "store/sql/open_db.h"

namespace hubmirror::sql {

Result<std::unique_ptr<Db>> OpenDb(const DbLocation& location, const Schema& schema) {
  if (!location.postgres.empty()) return OpenPostgresDb(location, schema);
  return OpenSqliteDb(location, schema);
}

}  // namespace hubmirror::sql
