// Content-defined chunking (FastCDC with a gear rolling hash).
//
// A cut point depends only on the bytes just before it, so inserting or
// removing bytes in a file moves the cut points next to the edit and leaves
// every other chunk (and its fingerprint) unchanged: that is what lets a
// fine-tune that rewrites a few tensors, or a revision that grows the
// safetensors header, share all other chunks with its base.
//
// Sizes (kChunkMinSize/kChunkTargetSize/kChunkMaxSize = 16/64/256 KiB):
//   - 64 KiB target: small enough that one changed tensor or a few edited
//     jsonl lines cost about one or two chunks, large enough that the per-chunk
//     metadata (one catalog row, ~60 bytes) is ~0.1% of the data and that a
//     10 GB checkpoint is ~160k chunks;
//   - 16 KiB minimum: the gear hash is not evaluated there (FastCDC's skip),
//     which is a quarter of the work saved, and tiny chunks cannot flood the
//     catalog;
//   - 256 KiB maximum: bounds the writer's buffer and the cost of
//     decompressing one chunk to serve a small Range.
// Normalized chunking: a stricter mask (more bits) below the target and a
// looser one above it pulls the chunk size distribution towards 64 KiB.
//
// Stateless and thread-safe; the gear table is a compile-time constant.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hubmirror {

inline constexpr size_t kChunkMinSize = 16 * 1024;
inline constexpr size_t kChunkTargetSize = 64 * 1024;
inline constexpr size_t kChunkMaxSize = 256 * 1024;

// Length of the first chunk of data[0, n).
//   - n >= kChunkMaxSize: always a cut in [kChunkMinSize, kChunkMaxSize].
//   - n <  kChunkMaxSize and !at_end: a cut if the hash finds one, else 0
//     ("need more bytes").
//   - at_end: a cut if found, else n (the last chunk may be short).
size_t FindChunkBoundary(const uint8_t* data, size_t n, bool at_end);

}  // namespace hubmirror
