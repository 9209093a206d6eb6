// BodySource: where the bytes of a file response come from, behind one call
// the HTTP layer can pull from: a stored object, or a pull-through fetch that
// is still arriving (reads then wait for the bytes).
//
// A BodySource belongs to one response and is used by one thread at a time
// (the response's BodyProducer); it may hold buffers or mappings between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "server/http/http_message.h"
#include "server/pull_through.h"
#include "store/object_store.h"

namespace hubmirror {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Writes the bytes at `offset` to `write`: at least one byte (waiting if
  // they are still on their way) and at most n. Returns how many were
  // written. An error (including a failed write) ends the response early.
  virtual Result<size_t> WriteSome(uint64_t offset, size_t n, const BodyWriter& write) = 0;
  // Whether WriteSome at `offset`, for a response ending at `end`, would
  // return without waiting; if not and `wake` is set, `wake` is called once
  // it would (or the source failed). Stored bytes are always ready.
  virtual bool ReadyOrWake(uint64_t offset, uint64_t end, std::function<void()> wake) {
    (void)offset;
    (void)end;
    (void)wake;
    return true;
  }
};

// Bytes per write for copying sources (fetches in flight, stored objects
// without a plain file).
inline constexpr size_t kBodyCopyChunkBytes = 256 * 1024;
// Stored bytes that lie verbatim in a file (an object file, a run of
// uncompressed chunks in a pack) are mapped this many bytes at a
// time and handed to the socket from the mapping (no copy into a buffer).
// Mapped pages count towards RSS while mapped: concurrent responses cost at
// most this much each.
inline constexpr size_t kBodyMapWindowBytes = 1024 * 1024;
// Responses with fewer bytes left than this are copied (pread) instead.
inline constexpr size_t kBodyMapMinBytes = 64 * 1024;

std::unique_ptr<BodySource> NewStoredBody(std::unique_ptr<ObjectReader> reader);
// Bytes [0, size) of a file (a stored xorb's records).
std::unique_ptr<BodySource> NewFileBody(std::shared_ptr<RandomAccessFile> file, uint64_t size);
std::unique_ptr<BodySource> NewFetchBody(std::shared_ptr<ObjectFetch> fetch,
                                         int64_t stall_timeout_ms);

}  // namespace hubmirror
