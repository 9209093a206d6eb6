#include "tests/fakehub/request_log.h"

#include <utility>

namespace fakehub {

void RequestLog::Record(RequestRecord record, bool is_resolve) {
  std::lock_guard<std::mutex> lock(mu_);
  if (record.host == HostKind::kCdn) {
    ++cdn_requests_;
  } else {
    ++api_requests_;
    if (is_resolve) ++resolve_requests_;
  }
  records_.push_back(std::move(record));
  while (records_.size() > kMaxRecords) records_.pop_front();
}

void RequestLog::AddCdnBytes(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cdn_bytes_ += n;
}

void RequestLog::AddXetBytes(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  xet_bytes_ += n;
}

void RequestLog::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  api_requests_ = resolve_requests_ = cdn_requests_ = cdn_bytes_ = xet_bytes_ = 0;
  records_.clear();
}

nlohmann::json RequestLog::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json requests = nlohmann::json::array();
  for (const RequestRecord& r : records_) {
    requests.push_back({{"host", r.host == HostKind::kApi ? "api" : "cdn"},
                        {"method", r.method},
                        {"target", r.target},
                        {"range", r.range},
                        {"authorization", r.authorization},
                        {"accept", r.accept}});
  }
  return {{"api_requests", api_requests_},
          {"resolve_requests", resolve_requests_},
          {"cdn_requests", cdn_requests_},
          {"cdn_bytes", cdn_bytes_},
          {"xet_bytes", xet_bytes_},
          {"requests", std::move(requests)}};
}

}  // namespace fakehub
