#include "server/catalog/single_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace hubmirror {
namespace {

TEST(SingleFlightTest, ConcurrentCallersShareOneExecution) {
  SingleFlight<int> flight;
  std::atomic<int> executions{0};
  std::atomic<bool> release{false};
  std::atomic<int> waiting{0};
  std::vector<std::thread> threads;
  std::vector<int> results(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      ++waiting;
      results[i] = *flight.Do("k", [&]() -> Result<int> {
        ++executions;
        // Hold the call open until every thread has arrived (bounded).
        for (int spin = 0; spin < 2000 && !release; ++spin) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return 42;
      });
    });
  }
  for (int spin = 0; spin < 2000 && waiting < 8; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  for (auto& t : threads) t.join();
  for (int r : results) EXPECT_EQ(r, 42);
  EXPECT_EQ(executions, 1);
}

TEST(SingleFlightTest, ErrorsAreSharedAndNotCached) {
  SingleFlight<int> flight;
  auto failed = flight.Do("k", []() -> Result<int> { return Status::Unavailable("down"); });
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(*flight.Do("k", []() -> Result<int> { return 7; }), 7);
}

}  // namespace
}  // namespace hubmirror
