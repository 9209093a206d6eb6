#include "store/object_store.h"

namespace hubmirror {

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
