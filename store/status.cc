#include "store/status.h"

#include <cerrno>
#include <cstring>

namespace hubmirror {

const char* HubErrorName(HubError e) {
  switch (e) {
    case HubError::kNone: return "";
    case HubError::kRepoNotFound: return "RepoNotFound";
    case HubError::kRevisionNotFound: return "RevisionNotFound";
    case HubError::kEntryNotFound: return "EntryNotFound";
    case HubError::kGatedRepo: return "GatedRepo";
    case HubError::kDisabled: return "DisabledRepo";
  }
  return "";
}

HubError HubErrorFromName(const std::string& name) {
  for (HubError e : {HubError::kRepoNotFound, HubError::kRevisionNotFound,
                     HubError::kEntryNotFound, HubError::kGatedRepo, HubError::kDisabled}) {
    if (name == HubErrorName(e)) return e;
  }
  return HubError::kNone;
}

const char* StatusCodeName(StatusCode c) {
  switch (c) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kUnauthenticated: return "Unauthenticated";
    case StatusCode::kPermissionDenied: return "PermissionDenied";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kDeadlineExceeded: return "DeadlineExceeded";
    case StatusCode::kDataLoss: return "DataLoss";
    case StatusCode::kResourceExhausted: return "ResourceExhausted";
    case StatusCode::kFailedPrecondition: return "FailedPrecondition";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

Status Status::FromErrno(int err, const std::string& context) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: return NotFound(std::move(msg));
    case EEXIST: return AlreadyExists(std::move(msg));
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE: return ResourceExhausted(std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS: return PermissionDenied(std::move(msg));
    case EINVAL:
    case ENAMETOOLONG: return InvalidArgument(std::move(msg));
    case EAGAIN:
    case EINTR:
    case EBUSY: return Unavailable(std::move(msg));
    default: return Internal(std::move(msg));
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = StatusCodeName(code_);
  if (hub_error_ != HubError::kNone) {
    s += " (";
    s += HubErrorName(hub_error_);
    s += ")";
  }
  s += ": ";
  s += message_;
  return s;
}

}  // namespace hubmirror
