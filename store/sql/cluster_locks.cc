#include "store/sql/cluster_locks.h"

#include <libpq-fe.h>

#include "store/sql/postgres_db.h"

namespace hubmirror {
namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using UniqueConn = std::unique_ptr<PGconn, ConnDeleter>;

// Runs a query answering one boolean; false on any failure.
Result<bool> AskBool(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  if (res == nullptr || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
    std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    PQclear(res);
    return Status::Unavailable("postgresql: cluster lock: " + msg);
  }
  const bool yes = PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  return yes;
}

class PostgresClusterLocks;

class PostgresLease final : public ClusterLease {
 public:
  PostgresLease(PostgresClusterLocks* owner, UniqueConn conn, std::string unlock)
      : owner_(owner), conn_(std::move(conn)), unlock_(std::move(unlock)) {}
  ~PostgresLease() override;

 private:
  PostgresClusterLocks* owner_;
  UniqueConn conn_;
  std::string unlock_;
};

class PostgresClusterLocks final : public ClusterLocks {
 public:
  explicit PostgresClusterLocks(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  Result<UniqueConn> Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!idle_.empty()) {
        UniqueConn c = std::move(idle_.back());
        idle_.pop_back();
        if (PQstatus(c.get()) == CONNECTION_OK) return c;
      }
    }
    UniqueConn c(PQconnectdb(conninfo_.c_str()));
    if (c == nullptr || PQstatus(c.get()) != CONNECTION_OK) {
      std::string msg = c ? PQerrorMessage(c.get()) : "out of memory";
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return Status::Unavailable("postgresql: cluster locks: cannot connect (" + msg + ")");
    }
    return c;
  }
  void Give(UniqueConn c) {
    if (c == nullptr || PQstatus(c.get()) != CONNECTION_OK) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 16) idle_.push_back(std::move(c));
  }

  Result<std::unique_ptr<ClusterLease>> TryAcquire(std::string_view name) override {
    const std::string key = std::to_string(sql::kFetchLockClass) + ", " +
                            std::to_string(sql::AdvisoryKey(name));
    HM_ASSIGN_OR_RETURN(UniqueConn conn, Take());
    Result<bool> asked = AskBool(conn.get(), "SELECT pg_try_advisory_lock(" + key + ")");
    if (!asked.ok() && PQstatus(conn.get()) != CONNECTION_OK) {
      // A pooled connection the server dropped (a restart): once more on a
      // new one.
      conn.reset();
      {
        std::lock_guard<std::mutex> lock(mu_);
        idle_.clear();  // the others went with the same server
      }
      HM_ASSIGN_OR_RETURN(conn, Take());
      asked = AskBool(conn.get(), "SELECT pg_try_advisory_lock(" + key + ")");
    }
    HM_ASSIGN_OR_RETURN(bool got, std::move(asked));
    if (!got) {
      Give(std::move(conn));
      return std::unique_ptr<ClusterLease>();
    }
    return std::unique_ptr<ClusterLease>(
        new PostgresLease(this, std::move(conn), "SELECT pg_advisory_unlock(" + key + ")"));
  }

 private:
  const std::string conninfo_;
  std::mutex mu_;
  std::vector<UniqueConn> idle_;  // guarded by mu_
};

PostgresLease::~PostgresLease() {
  // A connection whose unlock failed is dropped, which ends the lock too.
  Result<bool> released = AskBool(conn_.get(), unlock_);
  if (released.ok() && *released) owner_->Give(std::move(conn_));
}

}  // namespace

Result<std::unique_ptr<ClusterLocks>> OpenPostgresClusterLocks(const std::string& conninfo) {
  auto locks = std::make_unique<PostgresClusterLocks>(conninfo);
  // Fails now, at start-up, when the server is unreachable.
  HM_ASSIGN_OR_RETURN(std::unique_ptr<ClusterLease> probe, locks->TryAcquire("probe"));
  return std::unique_ptr<ClusterLocks>(std::move(locks));
}

}  // namespace hubmirror
