#include "cli/progress_display.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace hubmirror {
namespace {

class ManualClock : public EnvWrapper {
 public:
  explicit ManualClock(Env* target) : EnvWrapper(target) {}
  int64_t MonotonicMicros() override { return now; }
  int64_t now = 1'000'000;
};

constexpr uint64_t kMiB = 1 << 20;

// A plain (non-terminal) display writing into memory.
class ProgressDisplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = open_memstream(&buf_, &len_);
    ASSERT_NE(out_, nullptr);
    display_ = std::make_unique<ProgressDisplay>(out_, /*is_terminal=*/false, &clock_);
  }
  void TearDown() override {
    display_.reset();
    std::fclose(out_);
    std::free(buf_);
  }
  std::string Output() {
    std::fflush(out_);
    return std::string(buf_, len_);
  }
  void Advance(double seconds) { clock_.now += static_cast<int64_t>(seconds * 1e6); }

  std::unique_ptr<Env> posix_ = NewPosixEnv();
  ManualClock clock_{posix_.get()};
  char* buf_ = nullptr;
  size_t len_ = 0;
  FILE* out_ = nullptr;
  std::unique_ptr<ProgressDisplay> display_;
};

TEST_F(ProgressDisplayTest, PlainLinesShowEachFileInFlightWithRateAndEta) {
  display_->AddPlanned(1, 10 * kMiB);  // first plain line
  display_->FileStarted("acme/big/model.safetensors", 10 * kMiB);
  Advance(6);
  display_->BytesTransferred("acme/big/model.safetensors", 6 * kMiB);  // 1 MiB/s, 4 s left
  const std::string out = Output();
  const size_t line = out.find("  acme/big/model.safetensors");
  ASSERT_NE(line, std::string::npos) << out;
  const std::string file_line = out.substr(line, out.find('\n', line) - line);
  EXPECT_NE(file_line.find(" 60%"), std::string::npos) << file_line;
  EXPECT_NE(file_line.find("/s  ETA 0:04"), std::string::npos) << file_line;
}

TEST_F(ProgressDisplayTest, ResumedBytesCountAsDoneButNotInTheRate) {
  display_->AddPlanned(1, 10 * kMiB);
  display_->FileStarted("f", 10 * kMiB);
  display_->BytesResumed("f", 8 * kMiB);
  Advance(6);
  display_->BytesTransferred("f", 1 * kMiB);  // 1 MiB in 6 s; 1 MiB left: 6 s
  const std::string out = Output();
  EXPECT_NE(out.find(" 90%"), std::string::npos) << out;
  EXPECT_NE(out.find("ETA 0:06"), std::string::npos) << out;
}

TEST_F(ProgressDisplayTest, EtaIsUnknownWhileRevisionsAreStillToBePlanned) {
  display_->AddPlannedRevisions(2);
  display_->AddPlanned(1, kMiB);
  display_->FileStarted("a", kMiB);
  Advance(1);
  display_->BytesTransferred("a", kMiB);
  display_->FileFinished("a", Status::Ok(), false);
  display_->RevisionFinished();
  Advance(6);
  display_->AddPlanned(0, 0);  // renders: everything planned so far is done
  std::string out = Output();
  std::string last = out.substr(out.rfind("[1/1 files]"));
  EXPECT_NE(last.find("ETA --:--"), std::string::npos) << last;
  EXPECT_NE(last.find("revisions 1/2"), std::string::npos) << last;

  display_->RevisionFinished();
  Advance(6);
  display_->AddPlanned(0, 0);
  out = Output();
  last = out.substr(out.rfind("[1/1 files]"));
  EXPECT_NE(last.find("ETA 0:00"), std::string::npos) << last;
  EXPECT_NE(last.find("revisions 2/2"), std::string::npos) << last;
}

}  // namespace
}  // namespace hubmirror
