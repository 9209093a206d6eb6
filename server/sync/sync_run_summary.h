// SyncRunSummary: what the mirror-mode scheduler (sync_scheduler.h) did
// last, as the web UI's sync page shows it. A plain value, copied out under
// the scheduler's lock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hubmirror {

struct SyncRunSummary {
  bool running = false;            // a run is in progress now
  uint64_t runs = 0;               // runs finished so far
  int64_t last_started_micros = 0; // wall clock; 0 before the first run
  int64_t last_finished_micros = 0;
  size_t last_repos = 0;           // repos the last run synced or tried
  size_t last_failures = 0;
  uint64_t last_files = 0;         // files and bytes it transferred
  uint64_t last_bytes = 0;
  std::vector<std::string> last_errors;  // at most a few, each naming the repo and the fix
  int64_t interval_seconds = 0;

  // When the next run starts: `interval` after the last one ended (runs
  // never overlap); 0 while one runs or before the first has ended.
  int64_t next_start_micros() const {
    if (running || last_finished_micros == 0) return 0;
    return last_finished_micros + interval_seconds * 1'000'000;
  }
};

}  // namespace hubmirror
