// Counts and remembers the requests both hosts receive, for /_fake/stats.
//
// Thread-safe. Control requests (/_fake/...) are never recorded. Keeps the
// most recent kMaxRecords requests.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace fakehub {

enum class HostKind { kApi, kCdn };

struct RequestRecord {
  HostKind host = HostKind::kApi;
  std::string method;
  std::string target;  // Raw, as received.
  std::string range;   // Range header, or "".
  bool authorization = false;
  std::string accept;  // Accept header, or "".
};

class RequestLog {
 public:
  static constexpr size_t kMaxRecords = 2000;

  RequestLog() = default;
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // `is_resolve` marks API-host requests for a /resolve/ URL.
  void Record(RequestRecord record, bool is_resolve);
  // Body bytes the CDN actually handed to a socket.
  void AddCdnBytes(uint64_t n);
  // Xorb bytes the CAS handed out (Xet transfers).
  void AddXetBytes(uint64_t n);
  void Reset();
  // {"api_requests", "resolve_requests", "cdn_requests", "cdn_bytes", "xet_bytes", "requests"}.
  // api_requests counts every API-host request, resolve ones included.
  nlohmann::json ToJson() const;

 private:
  mutable std::mutex mu_;
  uint64_t api_requests_ = 0;
  uint64_t resolve_requests_ = 0;
  uint64_t cdn_requests_ = 0;
  uint64_t cdn_bytes_ = 0;
  uint64_t xet_bytes_ = 0;
  std::deque<RequestRecord> records_;
};

}  // namespace fakehub
