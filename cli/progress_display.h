// ProgressDisplay: renders TransferProgress for a person.
//
// On a terminal it redraws, at most every 200 ms, one line per file in flight
// (name, bytes, percent, rate, ETA) and a total line (files, bytes, rate,
// ETA, and for a sync list the revisions done). Elsewhere (CI logs, pipes) it
// prints plain lines: one per finished file, and every few seconds the files
// in flight and the total. A sync plans its files one revision at a time, so
// while revisions are still to come and everything planned is done the ETA
// is unknown ("--:--"), not 0:00. Thread-safe.
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "fetcher/transfer_progress.h"
#include "store/env.h"

namespace hubmirror {

class ProgressDisplay : public TransferProgress {
 public:
  // `out` is typically stderr; `env` supplies the monotonic clock.
  // `done_verb` starts the plain line of a finished file ("fetched",
  // "imported", "exported"); one already there is "present".
  ProgressDisplay(FILE* out, bool is_terminal, Env* env, std::string done_verb = "fetched");

  void AddPlanned(uint64_t files, uint64_t bytes) override;
  void AddPlannedRevisions(uint64_t n) override;
  void RevisionFinished() override;
  void FileStarted(const std::string& name, uint64_t size) override;
  void BytesTransferred(const std::string& name, uint64_t n) override;
  void BytesResumed(const std::string& name, uint64_t n) override;
  void FileFinished(const std::string& name, const Status& status, bool already_present) override;

  // Prints the final summary line ("12 files, 1.2 GiB in 34 s, 36 MiB/s").
  void Finish();

  // "1:02:03", "4:05", "--:--" for unknown.
  static std::string FormatDuration(double seconds);

 private:
  struct Active {
    uint64_t size = 0;
    uint64_t done = 0;     // resumed bytes included
    uint64_t resumed = 0;  // left by an interrupted run: not part of the rate
    int64_t started_micros = 0;
  };
  void MaybeRender(bool force);  // mu_ held
  std::string FileLine(const std::string& name, const Active& a, int64_t now_micros) const;
  std::string TotalLine(int64_t now_micros) const;  // mu_ held

  FILE* out_;
  const bool is_terminal_;
  const std::string done_verb_;
  Env* env_;
  std::mutex mu_;
  std::map<std::string, Active> active_;
  uint64_t planned_files_ = 0;
  uint64_t planned_bytes_ = 0;
  uint64_t finished_files_ = 0;
  uint64_t failed_files_ = 0;
  uint64_t done_bytes_ = 0;         // bytes counted as done (transferred or present)
  uint64_t transferred_bytes_ = 0;  // bytes that crossed the network
  uint64_t planned_revisions_ = 0;
  uint64_t finished_revisions_ = 0;
  int64_t start_micros_;
  int64_t last_render_micros_ = 0;
  int lines_drawn_ = 0;
};

}  // namespace hubmirror
