#include "server/error_response.h"

#include <nlohmann/json.hpp>

namespace hubmirror {
namespace {

// Header values must not carry CR/LF or other control bytes.
std::string HeaderSafe(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  if (out.size() > 1024) out.resize(1024);
  return out;
}

const char* GenericErrorCode(int http_status) {
  switch (http_status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 413: return "PayloadTooLarge";
    case 416: return "RangeNotSatisfiable";
    case 502: return "UpstreamUnavailable";
    case 504: return "UpstreamTimeout";
    case 507: return "InsufficientStorage";
    default: return http_status >= 500 ? "InternalError" : "BadRequest";
  }
}

}  // namespace

int HttpStatusFor(const Status& status, bool authenticated) {
  if (status.http_status() >= 400 && status.http_status() <= 599) return status.http_status();
  switch (status.hub_error()) {
    case HubError::kRepoNotFound: return authenticated ? 404 : 401;
    case HubError::kRevisionNotFound:
    case HubError::kEntryNotFound: return 404;
    case HubError::kGatedRepo: return authenticated ? 403 : 401;
    case HubError::kDisabled: return 403;
    case HubError::kNone: break;
  }
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnavailable:
    case StatusCode::kDataLoss: return 502;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kResourceExhausted: return 507;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

void WriteError(const Status& status, bool authenticated, HttpResponse* res) {
  res->status = HttpStatusFor(status, authenticated);
  std::string code = HubErrorName(status.hub_error());
  if (code.empty()) code = GenericErrorCode(res->status);
  std::string message =
      HeaderSafe(status.hub_message().empty() ? status.message() : status.hub_message());
  res->set_header("X-Error-Code", code);
  res->set_header("X-Error-Message", message);
  res->set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

}  // namespace hubmirror
