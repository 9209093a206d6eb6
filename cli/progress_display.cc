#include "cli/progress_display.h"

#include <cinttypes>
#include <cmath>

#include "store/human_format.h"

namespace hubmirror {
namespace {

constexpr int64_t kTerminalRefreshMicros = 200'000;
constexpr int64_t kPlainRefreshMicros = 5'000'000;
constexpr size_t kMaxActiveLines = 8;

std::string Shorten(const std::string& name, size_t width) {
  if (name.size() <= width) return name;
  return "..." + name.substr(name.size() - (width - 3));
}

}  // namespace

ProgressDisplay::ProgressDisplay(FILE* out, bool is_terminal, Env* env, std::string done_verb)
    : out_(out),
      is_terminal_(is_terminal),
      done_verb_(std::move(done_verb)),
      env_(env),
      start_micros_(env->MonotonicMicros()) {}

std::string ProgressDisplay::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 99 * 3600) return "--:--";
  auto total = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 ":%02" PRId64 ":%02" PRId64, total / 3600,
                  (total / 60) % 60, total % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%" PRId64 ":%02" PRId64, total / 60, total % 60);
  }
  return buf;
}

void ProgressDisplay::AddPlanned(uint64_t files, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  planned_files_ += files;
  planned_bytes_ += bytes;
  MaybeRender(false);
}

void ProgressDisplay::AddPlannedRevisions(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  planned_revisions_ += n;
}

void ProgressDisplay::RevisionFinished() {
  std::lock_guard<std::mutex> lock(mu_);
  ++finished_revisions_;
}

void ProgressDisplay::FileStarted(const std::string& name, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  active_[name] = Active{size, 0, 0, env_->MonotonicMicros()};
  MaybeRender(false);
}

void ProgressDisplay::BytesResumed(const std::string& name, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it != active_.end()) {
    it->second.done += n;
    it->second.resumed += n;
  }
  done_bytes_ += n;
  MaybeRender(false);
}

void ProgressDisplay::BytesTransferred(const std::string& name, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it != active_.end()) it->second.done += n;
  done_bytes_ += n;
  transferred_bytes_ += n;
  MaybeRender(false);
}

void ProgressDisplay::FileFinished(const std::string& name, const Status& status,
                                   bool already_present) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  uint64_t size = it != active_.end() ? it->second.size : 0;
  uint64_t done = it != active_.end() ? it->second.done : 0;
  if (it != active_.end()) active_.erase(it);
  ++finished_files_;
  if (!status.ok()) {
    ++failed_files_;
  } else if (already_present) {
    done_bytes_ += size;
  } else if (done < size) {
    done_bytes_ += size - done;  // e.g. resumed: earlier bytes count as done
  }
  if (!is_terminal_ || !status.ok()) {
    // Plain lines (and every failure, on any output) stay in the log.
    if (is_terminal_ && lines_drawn_ > 0) {
      std::fprintf(out_, "\x1b[%dF\x1b[J", lines_drawn_);
      lines_drawn_ = 0;
    }
    if (status.ok()) {
      std::fprintf(out_, "%s %s (%s)\n", already_present ? "present" : done_verb_.c_str(),
                   name.c_str(), FormatByteSize(size).c_str());
    } else {
      std::fprintf(out_, "FAILED %s: %s\n", name.c_str(), status.ToString().c_str());
    }
  }
  MaybeRender(false);
}

std::string ProgressDisplay::FileLine(const std::string& name, const Active& a,
                                      int64_t now_micros) const {
  const int percent = a.size > 0 ? static_cast<int>(100 * a.done / a.size) : 100;
  const double elapsed = static_cast<double>(now_micros - a.started_micros) / 1e6;
  const double rate = elapsed > 0 ? static_cast<double>(a.done - a.resumed) / elapsed : 0;
  const double eta =
      rate > 0 && a.size >= a.done ? static_cast<double>(a.size - a.done) / rate : -1;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "  %-50s %10s %3d%% %10s/s  ETA %s", Shorten(name, 50).c_str(),
                FormatByteSize(a.done).c_str(), percent,
                FormatByteSize(static_cast<uint64_t>(rate)).c_str(), FormatDuration(eta).c_str());
  return buf;
}

std::string ProgressDisplay::TotalLine(int64_t now_micros) const {
  double elapsed = static_cast<double>(now_micros - start_micros_) / 1e6;
  double rate = elapsed > 0 ? static_cast<double>(transferred_bytes_) / elapsed : 0;
  uint64_t remaining = planned_bytes_ > done_bytes_ ? planned_bytes_ - done_bytes_ : 0;
  double eta = rate > 0 ? static_cast<double>(remaining) / rate : -1;
  // Revisions still to come have files nobody has counted yet: everything
  // planned being done says nothing about the end of the run.
  const bool more_to_plan = finished_revisions_ < planned_revisions_;
  if (remaining == 0 && more_to_plan) eta = -1;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "[%" PRIu64 "/%" PRIu64 " files] %s / %s  %s/s  ETA %s",
                finished_files_, planned_files_, FormatByteSize(done_bytes_).c_str(),
                FormatByteSize(planned_bytes_).c_str(),
                FormatByteSize(static_cast<uint64_t>(rate)).c_str(), FormatDuration(eta).c_str());
  std::string line = buf;
  if (planned_revisions_ > 0) {
    line += "  revisions " + std::to_string(finished_revisions_) + "/" +
            std::to_string(planned_revisions_);
  }
  if (failed_files_ > 0) line += "  " + std::to_string(failed_files_) + " failed";
  return line;
}

void ProgressDisplay::MaybeRender(bool force) {
  int64_t now = env_->MonotonicMicros();
  int64_t interval = is_terminal_ ? kTerminalRefreshMicros : kPlainRefreshMicros;
  if (!force && now - last_render_micros_ < interval) return;
  last_render_micros_ = now;
  // On a terminal: move up over the previous frame, clear it, draw the new
  // one. Plain output appends the same lines, every few seconds.
  if (is_terminal_ && lines_drawn_ > 0) std::fprintf(out_, "\x1b[%dF\x1b[J", lines_drawn_);
  lines_drawn_ = 0;
  size_t shown = 0;
  for (const auto& [name, a] : active_) {
    if (shown++ == kMaxActiveLines) break;
    std::fprintf(out_, "%s\n", FileLine(name, a, now).c_str());
    ++lines_drawn_;
  }
  std::fprintf(out_, "%s\n", TotalLine(now).c_str());
  ++lines_drawn_;
  std::fflush(out_);
}

void ProgressDisplay::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = env_->MonotonicMicros();
  if (is_terminal_ && lines_drawn_ > 0) std::fprintf(out_, "\x1b[%dF\x1b[J", lines_drawn_);
  lines_drawn_ = 0;
  double elapsed = static_cast<double>(now - start_micros_) / 1e6;
  double rate = elapsed > 0 ? static_cast<double>(transferred_bytes_) / elapsed : 0;
  std::fprintf(out_, "%" PRIu64 " files (%" PRIu64 " failed), %s transferred in %s, %s/s\n",
               finished_files_, failed_files_, FormatByteSize(transferred_bytes_).c_str(),
               FormatDuration(elapsed).c_str(), FormatByteSize(static_cast<uint64_t>(rate)).c_str());
  std::fflush(out_);
}

}  // namespace hubmirror
