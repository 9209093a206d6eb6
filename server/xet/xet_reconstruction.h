// The reconstruction a Xet client asks /v1 or /v2/reconstructions/{hash}
// for (../shared/xet-protocol.md (e)): the terms of a stored file that cover
// a byte range, and for each xorb the signed URLs and byte ranges of the
// chunk records to fetch.
//
// Terms are sent whole (not trimmed to chunks inside the range): the client
// skips `offset_into_first_range` bytes and stops at the range's end. Per
// xorb the chunk ranges are merged when they touch or overlap, and every
// merged range gets its own entry with one URL, so no client ever needs a
// multi-range (multipart) answer.
//
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/chunked_object_store.h"

namespace hubmirror {

// The URL that serves bytes [first, last] (inclusive) of a stored xorb.
using XorbRangeUrl = std::function<std::string(const XetHash& xorb, uint64_t first, uint64_t last)>;

// `version` 1 ("fetch_info") or 2 ("xorbs"). `first`..`last` (inclusive) must
// lie inside the file, which must not be empty.
nlohmann::json BuildReconstruction(const XetServedFile& file, int version, uint64_t first,
                                   uint64_t last, const XorbRangeUrl& url_for);

}  // namespace hubmirror
