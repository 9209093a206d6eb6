// XetPlan: an upstream CAS's reconstruction answer (v1 "fetch_info" or v2
// "xorbs", ../shared/xet-protocol.md (e)), parsed and checked before any of
// it is used: it comes from the network.
//
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"
#include "store/xet/xet_hash.h"

namespace hubmirror {

// Chunks [chunk_start, chunk_end) of a xorb, whose records are bytes
// [byte_first, byte_last] of `url` (presigned: fetched without credentials).
struct XetFetchSpan {
  XetHash xorb;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;
  std::string url;
  uint64_t byte_first = 0;
  uint64_t byte_last = 0;
};

struct XetPlanTerm {
  XetHash xorb;
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;
  uint64_t unpacked = 0;
  size_t span = 0;  // index into XetPlan::spans of a span covering the term
};

struct XetPlan {
  uint64_t offset_into_first = 0;
  std::vector<XetPlanTerm> terms;
  std::vector<XetFetchSpan> spans;
};

// InvalidArgument naming the first problem: not JSON of either shape, a
// hash that is not 64 hex, an empty or oversized chunk range, a byte range
// beyond a xorb's limits, a URL that is not absolute http(s), a term no
// span of its xorb covers.
Result<XetPlan> ParseXetPlan(std::string_view body);

}  // namespace hubmirror
