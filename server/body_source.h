// BodySource: where the bytes of a file response come from, behind one call
// the HTTP layer can pull from: a stored object, or a pull-through fetch that
// is still arriving (reads then wait for the bytes).
#pragma once

#include <cstdint>
#include <memory>

#include "server/pull_through.h"
#include "store/object_store.h"

namespace hubmirror {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Reads at least one byte at `offset` (waiting if they are still on their
  // way) and at most n. An error ends the response early.
  virtual Result<size_t> ReadSome(uint64_t offset, char* buf, size_t n) = 0;
};

std::unique_ptr<BodySource> NewStoredBody(std::unique_ptr<ObjectReader> reader);
std::unique_ptr<BodySource> NewFetchBody(std::shared_ptr<ObjectFetch> fetch,
                                         int64_t stall_timeout_ms);

}  // namespace hubmirror
