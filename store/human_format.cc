#include "store/human_format.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace hubmirror {

std::string FormatByteSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " B", bytes);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  }
  return buf;
}

std::string FormatUtcSeconds(int64_t micros) {
  const time_t seconds = static_cast<time_t>(micros / 1'000'000);
  tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return "?";
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string FormatUtcMillis(int64_t micros) {
  const std::string seconds = FormatUtcSeconds(micros);  // ...SSZ
  char millis[8];
  std::snprintf(millis, sizeof(millis), ".%03dZ", static_cast<int>((micros / 1000) % 1000));
  return seconds.substr(0, seconds.size() - 1) + millis;
}

}  // namespace hubmirror
