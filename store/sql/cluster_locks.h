// ClusterLocks: leases shared by the nodes of a cluster, as PostgreSQL
// session advisory locks. A lease is held on a connection of its own, so it
// ends when its holder releases it or when the holder's node dies (the
// server drops the session when the connection closes): a killed node never
// leaves a lease behind.
//
// Used for single flight of upstream fetches across nodes (pull_through.h):
// the node holding an object's lease fetches it; the others wait for the
// object to be committed, or for the lease to come free.
//
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace hubmirror {

class ClusterLease {
 public:
  virtual ~ClusterLease() = default;
};

class ClusterLocks {
 public:
  virtual ~ClusterLocks() = default;
  // A lease on `name`, held until the returned object goes; null when
  // another holder (this node or another) has it.
  virtual Result<std::unique_ptr<ClusterLease>> TryAcquire(std::string_view name) = 0;
};

// ClusterLocks on the PostgreSQL server at `conninfo`.
Result<std::unique_ptr<ClusterLocks>> OpenPostgresClusterLocks(const std::string& conninfo);

}  // namespace hubmirror
