#include "server/ops/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace hubmirror {
namespace {

TEST(MetricsTest, RendersCountersWithEscapedLabels) {
  MetricsRegistry registry;
  CounterFamily& requests = registry.AddCounter("t_requests_total", "Requests.\nSecond line.",
                                                {"route", "status"});
  requests.With({"resolve", "200"}).Add(3);
  requests.With({"a\"b\\c\nd", "404"}).Add();
  std::string text = registry.Render();
  EXPECT_NE(text.find("# HELP t_requests_total Requests.\\nSecond line.\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE t_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"resolve\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"a\\\"b\\\\c\\nd\",status=\"404\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndCountMatchesInf) {
  MetricsRegistry registry;
  HistogramFamily& latency = registry.AddHistogram("t_seconds", "Latency.", {"route"}, {0.1, 1});
  Histogram& h = latency.With({"x"});
  h.Observe(0.05);
  h.Observe(0.1);  // on a bound: counts in that bucket (le is inclusive)
  h.Observe(0.5);
  h.Observe(7);
  std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE t_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{route=\"x\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_bucket{route=\"x\",le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{route=\"x\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_sum{route=\"x\"} 7.65\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_count{route=\"x\"} 4\n"), std::string::npos);
}

TEST(MetricsTest, GaugesAndCallbacks) {
  MetricsRegistry registry;
  registry.AddGauge("t_gauge", "A gauge.").With({}).Set(2.5);
  registry.AddGaugeCallback("t_callback", "Computed.", [] { return 42.0; });
  registry.AddGaugeCallback("t_broken", "Cannot be read.", [] { return std::nan(""); });
  std::string text = registry.Render();
  EXPECT_NE(text.find("t_gauge 2.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE t_callback gauge\nt_callback 42\n"), std::string::npos);
  EXPECT_NE(text.find("t_broken NaN\n"), std::string::npos);
  // Families render in registration order.
  EXPECT_LT(text.find("t_gauge"), text.find("t_callback"));
}

TEST(MetricsTest, SampleValuesRoundTrip) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(1234567), "1234567");
  EXPECT_EQ(FormatSampleValue(0.0025), "0.0025");
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(std::stod(FormatSampleValue(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  CounterFamily& counter = registry.AddCounter("t_total", "Counted.", {"thread"});
  HistogramFamily& hist = registry.AddHistogram("t_h", "Observed.", {}, {1});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.With({std::to_string(t % 2)}).Add();
        hist.With({}).Observe(0.5);
        if (i % 1000 == 0) registry.Render();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter.With({"0"}).value() + counter.With({"1"}).value(),
            uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(hist.With({}).count(), uint64_t{kThreads} * kPerThread);
  EXPECT_DOUBLE_EQ(hist.With({}).sum(), 0.5 * kThreads * kPerThread);
}

}  // namespace
}  // namespace hubmirror
