// The Xet-native ObjectStore: every file is cut into Xet chunks (the Hub's
// own chunk identity, store/xet/), chunks live in xorbs, and a file is a
// reconstruction, a list of (xorb, chunk range) terms. Chunks are
// deduplicated by hash across every file, revision, fork and fine-tune; the
// file's SHA-256 stays its identity for clients, and its `xetHash` is
// computed on ingest.
//
// Layout under `root`:
//   xet/catalog.sqlite      xorbs, chunks, files, terms (xorb_catalog.h)
//   xet/xorbs/NN/<id>.xorb  sealed xorbs in the Xet serialized format (chunk
//                           records + footer), immutable; what a Xet client
//                           fetches is a byte range of one, as stored
//   tmp/<writer>.<id>.xorb  xorbs being written, locked by their writer
//   chunks/, objects/       the layouts of earlier releases (legacy/): still
//                           served, read-only, until `hubmirror migrate`
//
// Writing (xorb_object_writer.h) writes every byte once, as its chunk;
// commits are atomic (one catalog transaction after the xorbs are durable).
// Reading (reconstruction_reader.h) is O(log n) per Range with cached chunk
// tables. Removal deletes xorbs no file needs at once, compaction
// (xorb_compaction.h) rewrites those with dead chunks.
//
// With `bucket` set, xet/xorbs/ is a bounded cache of the bucket
// (xorb_files.h); with `catalog.postgres`, xet/catalog.sqlite is unused and
// several nodes share one store.
//
// Processes may share a store (`serve` beside `sync` or `gc`): flock()s on
// xorb files keep removal away from xorbs being written or deduplicated
// against, and leftover sweeps away from files of live writers.
//
// Thread safety: as ObjectStore.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/objstore/object_storage.h"
#include "store/sql/open_db.h"

namespace hubmirror {

struct XorbStoreOptions {
  // Objects at least this large are ingested on two threads.
  uint64_t threaded_ingest_from_bytes = uint64_t{8} << 20;
  // Chunk tables kept in memory (about 64 bytes each).
  size_t cached_table_chunks = 256 * 1024;
  // Xorbs no file names yet are spared by sweeps this long (an import or an
  // upload may be about to commit a file naming them).
  int64_t unreferenced_xorb_grace_micros = kUnreferencedXorbGraceMicros;
  // Scale-out (docs/deployment.md): the catalog on PostgreSQL instead of
  // xet/catalog.sqlite (`catalog.postgres` set), and sealed xorbs in a
  // bucket with xet/xorbs/ as this node's cache of `cache_bytes` at most.
  // `bucket` must outlive the store.
  sql::DbLocation catalog;
  ObjectStorage* bucket = nullptr;
  uint64_t cache_bytes = uint64_t{64} << 30;
  // A removed xorb's bucket object is deleted this long after its rows (by
  // compaction and leftover sweeps), for readers on other nodes.
  int64_t bucket_delete_grace_micros = int64_t{3600} * 1000000;
};

// `env` must outlive the store.
Result<std::unique_ptr<ChunkedObjectStore>> NewXorbObjectStore(Env* env, const std::string& root,
                                                               XorbStoreOptions options = {});

}  // namespace hubmirror
