#include "store/xorb/ingest_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace hubmirror {
namespace {

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

// Three stages that record what they saw and check that each sees a byte
// only after the stage before it did.
class RecordingStages {
 public:
  std::vector<IngestPipeline::Stage> Make(IngestPipeline* const* pipeline) {
    std::vector<IngestPipeline::Stage> stages;
    for (int i = 0; i < 3; ++i) {
      stages.push_back([this, i, pipeline](const char* data, size_t n) {
        std::lock_guard<std::mutex> lock(mu_);
        if (i > 0 && seen_[i].size() + n > seen_[i - 1].size()) ordered_ = false;
        seen_[i].append(data, n);
        // The last stage has stored what it saw: the window may let it go.
        if (i == 2) (*pipeline)->ReleaseBefore(seen_[2].size());
        return Status::Ok();
      });
    }
    return stages;
  }
  std::string seen(int i) {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_[i];
  }
  bool ordered() {
    std::lock_guard<std::mutex> lock(mu_);
    return ordered_;
  }

 private:
  std::mutex mu_;
  std::string seen_[3];
  bool ordered_ = true;
};

class IngestPipelineTest : public ::testing::TestWithParam<bool> {};

TEST_P(IngestPipelineTest, EveryStageSeesEveryByteOnceInOrderAfterTheStageBefore) {
  const std::string data = Pattern(5 * 4096 + 123);
  RecordingStages recorder;
  IngestPipeline* raw = nullptr;
  IngestPipeline::Options options;
  options.threaded = GetParam();
  options.block_bytes = 4096;
  options.max_blocks = 3;
  IngestPipeline pipeline(recorder.Make(&raw), options);
  raw = &pipeline;
  // Uneven pieces, crossing blocks.
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min<size_t>(data.size() - at, 1 + (at * 7) % 3000);
    ASSERT_TRUE(pipeline.Append(data.data() + at, n).ok());
    at += n;
  }
  ASSERT_TRUE(pipeline.Drain().ok());
  EXPECT_EQ(pipeline.appended(), data.size());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(recorder.seen(i), data) << "stage " << i;
  EXPECT_TRUE(recorder.ordered());
}

TEST_P(IngestPipelineTest, RecentBytesAreReadFromTheWindowUntilReleased) {
  IngestPipeline::Options options;
  options.threaded = GetParam();
  options.block_bytes = 4096;
  options.max_blocks = 4;
  std::atomic<bool> release{false};
  IngestPipeline* raw = nullptr;
  std::vector<IngestPipeline::Stage> stages(2, [](const char*, size_t) { return Status::Ok(); });
  stages.back() = [&](const char*, size_t) {
    if (release) raw->ReleaseBefore(raw->appended());
    return Status::Ok();
  };
  IngestPipeline pipeline(std::move(stages), options);
  raw = &pipeline;
  const std::string data = Pattern(3 * 4096);
  ASSERT_TRUE(pipeline.Append(data.data(), data.size()).ok());
  ASSERT_TRUE(pipeline.Drain().ok());
  std::string got(5000, '\0');
  ASSERT_EQ(pipeline.CopyFromWindow(4000, got.data(), got.size()), got.size());
  EXPECT_EQ(got, data.substr(4000, 5000));
  EXPECT_EQ(pipeline.CopyFromWindow(data.size(), got.data(), 1), 0u);
  release = true;
  ASSERT_TRUE(pipeline.Append("x", 1).ok());
  ASSERT_TRUE(pipeline.Drain().ok());
  EXPECT_EQ(pipeline.CopyFromWindow(0, got.data(), 1), 0u);  // released: read elsewhere
}

TEST_P(IngestPipelineTest, AStageErrorStopsEveryLaterAppendAndDrain) {
  IngestPipeline::Options options;
  options.threaded = GetParam();
  options.block_bytes = 4096;
  std::vector<IngestPipeline::Stage> stages;
  stages.push_back([](const char*, size_t) { return Status::Ok(); });
  stages.push_back([](const char*, size_t) { return Status::DataLoss("stage two broke"); });
  stages.push_back([](const char*, size_t) {
    ADD_FAILURE() << "a stage after a failed one ran";
    return Status::Ok();
  });
  IngestPipeline pipeline(std::move(stages), options);
  const std::string data = Pattern(4096);
  (void)pipeline.Append(data.data(), data.size());
  Status drained = pipeline.Drain();
  EXPECT_EQ(drained.code(), StatusCode::kDataLoss) << drained.ToString();
  EXPECT_EQ(pipeline.Append("x", 1).code(), StatusCode::kDataLoss);
}

INSTANTIATE_TEST_SUITE_P(Modes, IngestPipelineTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Threaded" : "Inline"; });

}  // namespace
}  // namespace hubmirror
