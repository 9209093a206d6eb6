// Metrics: a small registry of counters, gauges and histograms rendered in
// the Prometheus text exposition format (version 0.0.4), for GET /metrics.
//
// A family has a name, help text and label names; each distinct set of label
// values is one series, created on first use and never removed (label values
// here come from small fixed sets: routes, statuses, outcomes). Series are
// returned by reference and stay valid for the registry's life, so a hot path
// can keep one and update it with a relaxed atomic add. Gauges whose value
// is computed at scrape time are callbacks.
//
// Thread safety: everything may be called from any thread. Series updates are
// lock-free; creating a series and rendering take the family's mutex.
// Ownership: the registry is created by `serve` and passed by pointer; no
// global state.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hubmirror {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds` are the upper bounds of the buckets, ascending; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (not cumulative) counts, the last one for +Inf.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Buckets for request latencies: 1 ms to 60 s.
std::vector<double> LatencyBuckets();

template <typename Series>
class Family {
 public:
  using Labels = std::vector<std::string>;
  Family(std::string name, std::string help, Labels label_names,
         std::function<std::unique_ptr<Series>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The series for these label values (one per label name, in order).
  Series& With(const Labels& values) {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Series>& series = series_[values];
    if (!series) series = make_();
    return *series;
  }
  // Calls fn(values, series) for every series, in label order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [values, series] : series_) fn(values, *series);
  }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const Labels& label_names() const { return label_names_; }

 private:
  const std::string name_;
  const std::string help_;
  const Labels label_names_;
  const std::function<std::unique_ptr<Series>()> make_;
  mutable std::mutex mu_;
  std::map<Labels, std::unique_ptr<Series>> series_;  // guarded by mu_
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be unique; counters end
  // in _total. The returned family lives as long as the registry.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds);
  // A gauge computed at every scrape; a failing source returns NaN, which is
  // rendered as such.
  void AddGaugeCallback(std::string name, std::string help, std::function<double()> value);

  // The whole registry in the text exposition format, families in the order
  // they were added.
  std::string Render() const;

 private:
  struct Entry {
    enum class Kind { kCounter, kGauge, kHistogram, kCallback } kind;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
    std::string name, help;
    std::function<double()> callback;
  };
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

// Escapes a label value for the text format (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& value);
// Formats a sample value: integers without exponent, +Inf/-Inf/NaN spelled out.
std::string FormatSampleValue(double v);

}  // namespace hubmirror
