// XetDownloader: a file's bytes from an upstream that offers it over Xet,
// fetching only the chunks the store does not hold
// (../shared/xet-protocol.md (e)).
//
//   1. read token (hub) and reconstruction (CAS): the file's terms, chunk
//      ranges of upstream xorbs;
//   2. per xorb range, the chunks a previous verified pull remembered
//      (ChunkedObjectStore::KnownUpstreamChunks) come from the store; the
//      others are fetched as one byte range (between known neighbours),
//      in parallel, resumed when cut short, re-signed on 403;
//   3. every fetched chunk is decoded and hashed; the bytes go to the sink
//      in file order as they become available;
//   4. at the end the chunks' Merkle root must be the file's Xet hash
//      (DataLoss otherwise); only then are the fetched chunks remembered.
// The caller (the pull-through writer) checks size and SHA-256 as for any
// download, so nothing wrong is committed either way.
//
// Memory: the fetched ranges in flight (at most `parallel` xorb ranges,
// 64 MiB each at worst) and those a later term still needs.
// Thread-safe: Download may run concurrently.
#pragma once

#include <cstdint>
#include <string>

#include "fetcher/upstream.h"
#include "fetcher/xet/xet_cas_client.h"
#include "fetcher/xet/xet_pull_stats.h"
#include "store/chunked_object_store.h"

namespace hubmirror {

class XetDownloader {
 public:
  // `store` and `stats` must outlive it; `stats` may be null.
  XetDownloader(const UpstreamOptions& options, ChunkedObjectStore* store, XetPullStats* stats,
                int parallel = 4)
      : cas_(options), store_(store), stats_(stats), parallel_(parallel < 1 ? 1 : parallel) {}

  // Bytes [offset, size) of the file with Xet hash `file_hash`, whose read
  // token `token_url` hands out, to `sink` in order; `*delivered` counts the
  // bytes the sink accepted (so a caller can resume elsewhere).
  Status Download(const std::string& file_hash, const std::string& token_url, uint64_t offset,
                  uint64_t size, const ByteSink& sink, uint64_t* delivered);

 private:
  XetCasClient cas_;
  ChunkedObjectStore* store_;
  XetPullStats* stats_;
  const int parallel_;
};

}  // namespace hubmirror
