#include "server/ops/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hubmirror {
namespace {

void AtomicAdd(std::atomic<double>* target, double d) {
  double current = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(current, current + d, std::memory_order_relaxed)) {
  }
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra label (le for histogram buckets).
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

void Header(std::string* out, const std::string& name, const std::string& help,
            const char* type) {
  *out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  *out += "# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(&value_, d); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(&sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = buckets_[i].load(std::memory_order_relaxed);
  return counts;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  // The shortest of the usual precisions that reads back as the same value.
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

CounterFamily& MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kCounter;
  entry->counter = std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                                   std::move(label_names),
                                                   [] { return std::make_unique<Counter>(); });
  CounterFamily& family = *entry->counter;
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(std::move(entry));
  return family;
}

GaugeFamily& MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kGauge;
  entry->gauge = std::make_unique<GaugeFamily>(std::move(name), std::move(help),
                                               std::move(label_names),
                                               [] { return std::make_unique<Gauge>(); });
  GaugeFamily& family = *entry->gauge;
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(std::move(entry));
  return family;
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kHistogram;
  entry->histogram = std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
  HistogramFamily& family = *entry->histogram;
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(std::move(entry));
  return family;
}

void MetricsRegistry::AddGaugeCallback(std::string name, std::string help,
                                       std::function<double()> value) {
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kCallback;
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->callback = std::move(value);
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(std::move(entry));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& entry : entries_) {
    switch (entry->kind) {
      case Entry::Kind::kCounter: {
        const CounterFamily& f = *entry->counter;
        Header(&out, f.name(), f.help(), "counter");
        f.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
          out += f.name() + LabelSet(f.label_names(), values) + " " +
                 FormatSampleValue(static_cast<double>(c.value())) + "\n";
        });
        break;
      }
      case Entry::Kind::kGauge: {
        const GaugeFamily& f = *entry->gauge;
        Header(&out, f.name(), f.help(), "gauge");
        f.ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
          out += f.name() + LabelSet(f.label_names(), values) + " " +
                 FormatSampleValue(g.value()) + "\n";
        });
        break;
      }
      case Entry::Kind::kHistogram: {
        const HistogramFamily& f = *entry->histogram;
        Header(&out, f.name(), f.help(), "histogram");
        f.ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
          std::vector<uint64_t> counts = h.BucketCounts();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            const std::string le = i < h.bounds().size() ? FormatSampleValue(h.bounds()[i]) : "+Inf";
            out += f.name() + "_bucket" + LabelSet(f.label_names(), values, "le", le) + " " +
                   FormatSampleValue(static_cast<double>(cumulative)) + "\n";
          }
          // _count equals the +Inf bucket; both come from the same snapshot.
          out += f.name() + "_sum" + LabelSet(f.label_names(), values) + " " +
                 FormatSampleValue(h.sum()) + "\n";
          out += f.name() + "_count" + LabelSet(f.label_names(), values) + " " +
                 FormatSampleValue(static_cast<double>(cumulative)) + "\n";
        });
        break;
      }
      case Entry::Kind::kCallback:
        Header(&out, entry->name, entry->help, "gauge");
        out += entry->name + " " + FormatSampleValue(entry->callback()) + "\n";
        break;
    }
  }
  return out;
}

}  // namespace hubmirror
