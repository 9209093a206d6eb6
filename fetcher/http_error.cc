#include "fetcher/http_error.h"

#include <nlohmann/json.hpp>

namespace hubmirror {
namespace {

constexpr size_t kMaxDetail = 300;

std::string Truncate(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxDetail)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (s.size() > kMaxDetail) out += "...";
  return out;
}

// The Hub's {"error": "..."} body, if that is what the body is.
std::string BodyError(const std::string& body) {
  if (body.empty()) return "";
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto it = j.find("error");
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

std::string DescribeRequest(std::string_view method, std::string_view url) {
  size_t cut = url.find_first_of("?#");
  if (cut != std::string_view::npos) url = url.substr(0, cut);
  return std::string(method) + " " + Truncate(url);
}

Status HttpErrorToStatus(const HttpErrorInfo& info, const std::string& what) {
  const int code = info.http_status;
  std::string detail = info.error_message;
  if (detail.empty()) {
    try {
      detail = BodyError(info.body);
    } catch (...) {
      detail.clear();
    }
  }
  std::string message = what + ": upstream answered HTTP " + std::to_string(code);
  if (!info.error_code.empty()) message += " (" + Truncate(info.error_code) + ")";
  if (!detail.empty()) message += ": " + Truncate(detail);

  // The Hub's own words go to clients unchanged: Python recognizes a
  // disabled repo by its exact message.
  std::string hub_message = Truncate(info.error_message);
  if (info.error_message == "Access to this resource is disabled.") {
    return Status::PermissionDenied(std::move(message))
        .WithHubError(HubError::kDisabled, code, std::move(hub_message));
  }
  HubError hub = HubErrorFromName(info.error_code);
  switch (hub) {
    case HubError::kRepoNotFound:
    case HubError::kRevisionNotFound:
    case HubError::kEntryNotFound:
      return Status::NotFound(std::move(message)).WithHubError(hub, code, std::move(hub_message));
    case HubError::kGatedRepo:
      if (code == 401) {
        return Status::Unauthenticated(std::move(message))
            .WithHubError(hub, code, std::move(hub_message));
      }
      return Status::PermissionDenied(std::move(message))
          .WithHubError(hub, code, std::move(hub_message));
    case HubError::kDisabled:
      return Status::PermissionDenied(std::move(message))
          .WithHubError(hub, code, std::move(hub_message));
    case HubError::kNone:
      break;
  }
  Status st;
  if (code == 401) {
    st = Status::Unauthenticated(std::move(message));
  } else if (code == 403) {
    st = Status::PermissionDenied(std::move(message));
  } else if (code == 404 || code == 410) {
    st = Status::NotFound(std::move(message));
  } else if (code == 408 || code == 429 || code >= 500) {
    return Status::Unavailable(std::move(message));
  } else if (code >= 400) {
    st = Status::InvalidArgument(std::move(message));
  } else {
    return Status::Unavailable(std::move(message) + " (unexpected status)");
  }
  return std::move(st).WithHubError(HubError::kNone, code);
}

Status CurlCodeToStatus(CURLcode code, std::string_view detail, const std::string& what) {
  std::string message = what + ": " + curl_easy_strerror(code);
  if (!detail.empty()) message += " (" + Truncate(detail) + ")";
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::DeadlineExceeded(std::move(message));
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

long ParseRetryAfterMs(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return -1;
  long seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return -1;
    seconds = seconds * 10 + (c - '0');
  }
  return seconds * 1000;
}

}  // namespace hubmirror
