// Status and Result<T>: how every hubmirror module reports failure.
//
// No exceptions cross a module boundary. A failed operation returns a Status
// carrying a code the caller can branch on (NotFound vs Unavailable decides
// between a 404 and serving a stale copy), a human message that names what
// failed, and, when the failure is the Hub's own verdict about a repo,
// revision or file, the Hub error kind plus the HTTP status to answer with.
//
// Both types are value types, cheap to move, and [[nodiscard]] so a dropped
// error is a compiler warning.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace hubmirror {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the request (or upstream data) is malformed
  kNotFound,           // the thing does not exist (locally or upstream)
  kUnauthenticated,    // a token is needed
  kPermissionDenied,   // the token does not grant access
  kUnavailable,        // transient: upstream unreachable, 5xx; retryable
  kDeadlineExceeded,   // a timeout; retryable
  kDataLoss,           // bytes do not match their promised hash or size
  kResourceExhausted,  // disk full, limits reached
  kFailedPrecondition, // e.g. offline and not stored
  kAlreadyExists,
  kInternal,
};

// The Hub's own error vocabulary, sent to clients as `X-Error-Code`.
enum class HubError {
  kNone = 0,
  kRepoNotFound,
  kRevisionNotFound,
  kEntryNotFound,
  kGatedRepo,
  kDisabled,
};

// "RepoNotFound", ... ; empty for kNone.
const char* HubErrorName(HubError e);
// Inverse of HubErrorName; kNone for unknown names.
HubError HubErrorFromName(const std::string& name);
const char* StatusCodeName(StatusCode c);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  // Maps errno to a code (ENOENT -> NotFound, ENOSPC -> ResourceExhausted, ...).
  static Status FromErrno(int err, const std::string& context);

  // Attaches the Hub's verdict; http_status 0 means "the default for that error".
  // `hub_message` is the upstream Hub's own X-Error-Message, passed to clients
  // verbatim (huggingface_hub matches some messages exactly) while message()
  // keeps the full story for logs and the CLI.
  Status WithHubError(HubError e, int http_status = 0, std::string hub_message = "") && {
    hub_error_ = e;
    http_status_ = http_status;
    hub_message_ = std::move(hub_message);
    return std::move(*this);
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  HubError hub_error() const { return hub_error_; }
  int http_status() const { return http_status_; }
  const std::string& hub_message() const { return hub_message_; }
  // A transient failure: worth a retry, or a stale answer from the store.
  bool retryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded;
  }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  HubError hub_error_ = HubError::kNone;
  int http_status_ = 0;
  std::string hub_message_;
};

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "a Result built from a Status must carry an error");
    if (status_.ok()) status_ = Status::Internal("Result built from an OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

#define HM_CONCAT_INNER_(a, b) a##b
#define HM_CONCAT_(a, b) HM_CONCAT_INNER_(a, b)

#define HM_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::hubmirror::Status hm_status_ = (expr);      \
    if (!hm_status_.ok()) return hm_status_;      \
  } while (0)

#define HM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

// HM_ASSIGN_OR_RETURN(auto x, MaybeX());
#define HM_ASSIGN_OR_RETURN(lhs, expr) \
  HM_ASSIGN_OR_RETURN_IMPL_(HM_CONCAT_(hm_result_, __LINE__), lhs, expr)

}  // namespace hubmirror
