// TransferProgress: where long transfers (sync, pull) report what they do, so
// the CLI can show bytes, rate and ETA without the transfer code knowing how.
//
// Implementations must be thread-safe: transfers call them from many worker
// threads. NullTransferProgress ignores everything.
#pragma once

#include <cstdint>
#include <string>

#include "store/status.h"

namespace hubmirror {

class TransferProgress {
 public:
  virtual ~TransferProgress() = default;
  // More work became known: `files` files totalling `bytes` bytes.
  virtual void AddPlanned(uint64_t files, uint64_t bytes) = 0;
  // A run of several revisions (a sync list): files are planned one revision
  // at a time, so the total knows how many revisions are still to come.
  virtual void AddPlannedRevisions(uint64_t n) {}
  virtual void RevisionFinished() {}
  virtual void FileStarted(const std::string& name, uint64_t size) = 0;
  // `n` more bytes of `name` arrived.
  virtual void BytesTransferred(const std::string& name, uint64_t n) = 0;
  // `n` bytes of `name` were already on disk from an interrupted run: done,
  // but not transferred now (no part of the transfer rate).
  virtual void BytesResumed(const std::string& name, uint64_t n) {}
  // `already_present`: nothing had to be transferred (counted as done).
  virtual void FileFinished(const std::string& name, const Status& status,
                            bool already_present) = 0;
};

class NullTransferProgress : public TransferProgress {
 public:
  void AddPlanned(uint64_t, uint64_t) override {}
  void FileStarted(const std::string&, uint64_t) override {}
  void BytesTransferred(const std::string&, uint64_t) override {}
  void FileFinished(const std::string&, const Status&, bool) override {}
};

}  // namespace hubmirror
