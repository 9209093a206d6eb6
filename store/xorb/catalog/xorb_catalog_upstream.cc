// XorbCatalog, what pulls over Xet record: the upstream_chunks table (which
// chunks of an upstream's xorbs this store holds) and the running totals of
// Xet pulls (counters). See xorb_catalog.h.

#include "store/sql/open_db.h"
#include "store/xorb/catalog/catalog_columns.h"
#include "store/xorb/catalog/xorb_catalog.h"

namespace hubmirror {
namespace {

using sql::Stmt;
using sql::Transaction;

using xorb_catalog::AsInt;
using xorb_catalog::HashColumn;

constexpr const char* kPullCounters[] = {"xet_pull_files", "xet_pull_fetched_bytes",
                                         "xet_pull_saved_bytes"};

}  // namespace

Result<std::vector<UpstreamXorbChunk>> XorbCatalog::KnownUpstreamChunks(const XetHash& xorb,
                                                                         uint32_t start,
                                                                         uint32_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("SELECT u.idx, u.hash, u.raw_size, u.record_offset, u.record_size "
                             "FROM upstream_chunks u WHERE u.xorb = ?1 AND u.idx >= ?2 AND "
                             "u.idx < ?3 AND EXISTS (SELECT 1 FROM xorb_chunks c WHERE c.hash = "
                             "u.hash) ORDER BY u.idx"));
  st.BindBlob(1, xorb.bytes.data(), xorb.bytes.size())
      .Bind(2, int64_t{start})
      .Bind(3, int64_t{end});
  std::vector<UpstreamXorbChunk> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    UpstreamXorbChunk c;
    c.index = static_cast<uint32_t>(st.Int(0));
    c.hash = HashColumn(st, 1);
    c.raw_size = static_cast<uint32_t>(st.Int(2));
    c.record_offset = static_cast<uint64_t>(st.Int(3));
    c.record_size = static_cast<uint32_t>(st.Int(4));
    out.push_back(c);
  }
  return out;
}

Status XorbCatalog::RememberUpstreamChunks(const XetHash& xorb,
                                           const std::vector<UpstreamXorbChunk>& chunks) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_.get());
  HM_RETURN_IF_ERROR(tx.Begin());
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO upstream_chunks (xorb, idx, hash, "
                                             "raw_size, record_offset, record_size) VALUES "
                                             "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (xorb, idx) "
                                             "DO UPDATE SET hash = excluded.hash, raw_size = "
                                             "excluded.raw_size, record_offset = "
                                             "excluded.record_offset, record_size = "
                                             "excluded.record_size"));
  for (const UpstreamXorbChunk& c : chunks) {
    st.Reset();
    st.BindBlob(1, xorb.bytes.data(), xorb.bytes.size())
        .Bind(2, int64_t{c.index})
        .BindBlob(3, c.hash.bytes.data(), c.hash.bytes.size())
        .Bind(4, int64_t{c.raw_size})
        .Bind(5, AsInt(c.record_offset))
        .Bind(6, int64_t{c.record_size});
    HM_RETURN_IF_ERROR(st.Step().status());
  }
  return tx.Commit();
}

Status XorbCatalog::AddXetPull(const XetPullFigures& figures) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_.get());
  HM_RETURN_IF_ERROR(tx.Begin());
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO counters (name, value) VALUES (?1, ?2) "
                                             "ON CONFLICT (name) DO UPDATE SET value = "
                                             "counters.value + excluded.value"));
  const uint64_t values[] = {figures.files, figures.fetched_bytes, figures.saved_bytes};
  for (size_t i = 0; i < 3; ++i) {
    st.Reset();
    st.Bind(1, kPullCounters[i]).Bind(2, AsInt(values[i]));
    HM_RETURN_IF_ERROR(st.Step().status());
  }
  return tx.Commit();
}

Result<XetPullFigures> XorbCatalog::XetPullTotals() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT value FROM counters WHERE name = ?1"));
  uint64_t values[3] = {0, 0, 0};
  for (size_t i = 0; i < 3; ++i) {
    st.Reset();
    st.Bind(1, kPullCounters[i]);
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) values[i] = static_cast<uint64_t>(st.Int(0));
  }
  st.Reset();
  return XetPullFigures{values[0], values[1], values[2]};
}

}  // namespace hubmirror
