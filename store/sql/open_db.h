// Opening one of the store's databases on the engine the config chose.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/sql/sql_db.h"
#include "store/status.h"

namespace hubmirror::sql {

// Where a database lives. Empty `postgres`: the SQLite file `sqlite_path`.
struct DbLocation {
  std::string sqlite_path;
  // Run after opening the SQLite file (e.g. "PRAGMA synchronous = FULL").
  std::vector<std::string> sqlite_pragmas;
  // A libpq connection string or URI ("postgresql://user@host/db").
  std::string postgres;
  // The PostgreSQL schema (namespace) holding this database's tables, so
  // that the index, the catalog and retention share one server database.
  std::string postgres_schema;
};

// Opens (creating) the database and brings its schema up to date; a
// database written by a newer version is refused (FailedPrecondition).
Result<std::unique_ptr<Db>> OpenDb(const DbLocation& location, const Schema& schema);

// The engines (sqlite_db.cc, postgres_db.cc).
Result<std::unique_ptr<Db>> OpenSqliteDb(const DbLocation& location, const Schema& schema);
Result<std::unique_ptr<Db>> OpenPostgresDb(const DbLocation& location, const Schema& schema);

}  // namespace hubmirror::sql
