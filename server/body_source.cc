#include "server/body_source.h"

#include <algorithm>

namespace hubmirror {
namespace {

class StoredBody : public BodySource {
 public:
  explicit StoredBody(std::unique_ptr<ObjectReader> reader) : reader_(std::move(reader)) {}
  Result<size_t> ReadSome(uint64_t offset, char* buf, size_t n) override {
    HM_ASSIGN_OR_RETURN(size_t got, reader_->ReadAt(offset, buf, n));
    if (got == 0) return Status::DataLoss("stored object is shorter than its recorded size");
    return got;
  }

 private:
  std::unique_ptr<ObjectReader> reader_;
};

class FetchBody : public BodySource {
 public:
  FetchBody(std::shared_ptr<ObjectFetch> fetch, int64_t stall_timeout_ms)
      : fetch_(std::move(fetch)), stall_timeout_ms_(stall_timeout_ms) {}
  Result<size_t> ReadSome(uint64_t offset, char* buf, size_t n) override {
    HM_ASSIGN_OR_RETURN(uint64_t readable, fetch_->WaitReadable(offset, stall_timeout_ms_));
    size_t want = static_cast<size_t>(std::min<uint64_t>(readable, n));
    HM_ASSIGN_OR_RETURN(size_t got, fetch_->Read(offset, buf, want));
    if (got == 0) return Status::Internal("in-flight object read returned no bytes");
    return got;
  }

 private:
  std::shared_ptr<ObjectFetch> fetch_;
  int64_t stall_timeout_ms_;
};

}  // namespace

std::unique_ptr<BodySource> NewStoredBody(std::unique_ptr<ObjectReader> reader) {
  return std::make_unique<StoredBody>(std::move(reader));
}

std::unique_ptr<BodySource> NewFetchBody(std::shared_ptr<ObjectFetch> fetch,
                                         int64_t stall_timeout_ms) {
  return std::make_unique<FetchBody>(std::move(fetch), stall_timeout_ms);
}

}  // namespace hubmirror
