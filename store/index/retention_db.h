// RetentionDb: what decides which stored bytes may go, in its own SQLite
// database (root/retention.sqlite, WAL) beside the index:
//
//   pins           (repo, revision) the operator or mirror mode wants kept;
//                  revision "" pins every revision of the repo, a branch or
//                  tag pins the commit it points to at the time of eviction
//   object_access  sha256 -> when it was last served
//   repo_access    repo -> when a file of it was last served
//
// Access times are written in batches (AccessTracker in the server), never
// once per request. Thread-safe: one connection, serialized by a mutex.
// Several processes may open the same database (busy timeout applies).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/repo_key.h"
#include "store/sql/open_db.h"
#include "store/status.h"


namespace hubmirror {

struct Pin {
  RepoKey repo;
  std::string revision;  // "" = every revision
  bool operator==(const Pin&) const = default;
};

// One object served (sha256 set) or one file of a repo served, at a time.
struct AccessEvent {
  RepoKey repo;
  std::string sha256;  // "" when only the repo is known (a pull-through)
  int64_t at_micros = 0;
};

class RetentionDb {
 public:
  static Result<std::unique_ptr<RetentionDb>> Open(const std::string& path);
  // On a PostgreSQL schema ("hubmirror_retention" by default) or a SQLite file.
  static Result<std::unique_ptr<RetentionDb>> Open(sql::DbLocation where);
  ~RetentionDb();
  RetentionDb(const RetentionDb&) = delete;
  RetentionDb& operator=(const RetentionDb&) = delete;

  Status AddPin(const Pin& pin);
  // False when there was no such pin.
  Result<bool> RemovePin(const Pin& pin);
  // Sorted by repo type, id, revision.
  Result<std::vector<Pin>> ListPins();

  // Records events in one transaction; a time only ever moves forward.
  Status RecordAccess(const std::vector<AccessEvent>& events);
  Result<std::map<std::string, int64_t>> ObjectLastAccess();
  // Keyed by RepoKey::ToString().
  Result<std::map<std::string, int64_t>> RepoLastAccess();
  // Drops the access row of an object that is no longer stored.
  Status ForgetObject(const std::string& sha256);

 private:
  explicit RetentionDb(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;  // guarded by mu_
};

}  // namespace hubmirror
