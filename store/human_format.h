// Human-readable byte counts and times, shared by the CLI's progress and
// listings and by the web UI, so every surface prints the same figures.
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace hubmirror {

// "512 B", "1.5 KiB", "3.0 GiB" (binary units, one decimal).
std::string FormatByteSize(uint64_t bytes);

// "2026-11-23T11:30:00Z" (UTC, whole seconds) for microseconds since the epoch.
std::string FormatUtcSeconds(int64_t micros);
// "2026-11-23T11:30:00.123Z" (UTC, milliseconds), as the JSON-lines logs write it.
std::string FormatUtcMillis(int64_t micros);

}  // namespace hubmirror
