// What pulls over Xet did, for metrics. Thread-safe counters.
#pragma once

#include <atomic>
#include <cstdint>

namespace hubmirror {

struct XetPullStats {
  std::atomic<uint64_t> files{0};           // files delivered over Xet
  std::atomic<uint64_t> fetched_bytes{0};   // xorb bytes that crossed the wire
  std::atomic<uint64_t> reused_bytes{0};    // file bytes taken from the store instead
  std::atomic<uint64_t> fallbacks{0};       // Xet attempts that fell back to HTTP
};

}  // namespace hubmirror
