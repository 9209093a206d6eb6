#include "store/object_store.h"

#include "store/hash.h"

namespace hubmirror {

size_t ObjectReader::GetRawSpans(uint64_t offset, uint64_t window_bytes, RawFileSpan* spans,
                                 size_t max_spans) const {
  size_t count = 0;
  while (count < max_spans && offset < size()) {
    RawFileSpan span;
    if (!GetRawSpan(offset, &span) || span.length == 0) break;
    if (count > 0) {
      const RawFileSpan& first = spans[0];
      const RawFileSpan& last = spans[count - 1];
      if (span.fd != first.fd || span.file_offset < last.file_offset + last.length ||
          span.file_offset + span.length > first.file_offset + window_bytes) {
        break;
      }
    }
    spans[count++] = span;
    offset += span.length;
  }
  return count;
}

Status ValidateObjectDigest(const std::string& sha256) {
  if (!IsLowerHex(sha256, 64)) {
    return Status::InvalidArgument("not a sha256 digest (64 lower-case hex): '" +
                                   sha256.substr(0, 80) + "'");
  }
  return Status::Ok();
}

Status ValidateObjectPromise(const ObjectPromise& promise) {
  if (promise.sha256.empty() && promise.git_sha1.empty()) {
    return Status::InvalidArgument("object promise names neither a sha256 nor a git sha1");
  }
  if (!promise.sha256.empty()) HM_RETURN_IF_ERROR(ValidateObjectDigest(promise.sha256));
  if (!promise.git_sha1.empty() && !IsLowerHex(promise.git_sha1, 40)) {
    return Status::InvalidArgument("not a git sha1 (40 lower-case hex): '" +
                                   promise.git_sha1.substr(0, 80) + "'");
  }
  return Status::Ok();
}

Status CheckAppendFitsPromise(const ObjectPromise& promise, uint64_t written, size_t n) {
  if (n <= promise.size - written) return Status::Ok();
  return Status::DataLoss("object is larger than promised: expected " +
                          std::to_string(promise.size) + " bytes, got at least " +
                          std::to_string(written + n));
}

Status VerifyAgainstPromise(const ObjectPromise& promise, const ObjectInfo& actual) {
  if (actual.size != promise.size) {
    return Status::DataLoss("object size mismatch: expected " + std::to_string(promise.size) +
                            " bytes, got " + std::to_string(actual.size));
  }
  if (!promise.sha256.empty() && promise.sha256 != actual.sha256) {
    return Status::DataLoss("object sha256 mismatch: expected " + promise.sha256 + ", got " +
                            actual.sha256);
  }
  if (!promise.git_sha1.empty() && promise.git_sha1 != actual.git_sha1) {
    return Status::DataLoss("object git sha1 mismatch: expected " + promise.git_sha1 +
                            ", got " + actual.git_sha1);
  }
  return Status::Ok();
}

}  // namespace hubmirror
