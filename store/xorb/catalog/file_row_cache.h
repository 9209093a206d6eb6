// FileRowCache: the catalog's rows and terms of committed files, kept in
// memory by sha256 for a second. Every download of a stored file asks for
// them (twice for the row). Changes made through this process's XorbCatalog
// (commit, remove, compaction) drop them here while holding the catalog's
// lock, and fills happen under that lock too, so no fill can bring back what
// was just dropped. Changes by another process on the same store (`hubmirror
// gc` while `serve` runs) are seen once an entry is older than the lifetime.
//
// Thread-safe: lookups take only this cache's mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/chunked_object_store.h"
#include "store/xorb/catalog/xorb_catalog.h"

namespace hubmirror {

class FileRowCache {
 public:
  FileRowCache(size_t max_entries, int64_t lifetime_ms)
      : max_entries_(max_entries), lifetime_ms_(lifetime_ms) {}

  std::optional<ChunkedObjectRow> Row(const std::string& sha256) const {
    std::lock_guard<std::mutex> lock(mu_);
    const Entry* e = Live(sha256);
    if (e == nullptr) return std::nullopt;
    return e->row;
  }
  std::optional<std::vector<FileTerm>> Terms(const std::string& sha256) const {
    std::lock_guard<std::mutex> lock(mu_);
    const Entry* e = Live(sha256);
    if (e == nullptr) return std::nullopt;
    return e->terms;
  }
  // Fills: the caller holds the catalog's lock.
  void PutRow(const std::string& sha256, const ChunkedObjectRow& row) {
    std::lock_guard<std::mutex> lock(mu_);
    // Simplest bound: start over when full (a working set larger than the
    // cache then costs what no cache costs).
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_[sha256] = Entry{row, std::nullopt, NowMs()};
  }
  void PutTerms(const std::string& sha256, const std::vector<FileTerm>& terms) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(sha256);
    if (it != entries_.end()) it->second.terms = terms;
  }
  // Drops: the caller holds the catalog's lock.
  void Drop(const std::string& sha256) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(sha256);
  }
  void DropAll() {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
  }

 private:
  struct Entry {
    ChunkedObjectRow row;
    std::optional<std::vector<FileTerm>> terms;
    int64_t filled_ms = 0;
  };
  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // The entry for sha256 unless it has outlived its lifetime (mu_ held).
  const Entry* Live(const std::string& sha256) const {
    auto it = entries_.find(sha256);
    if (it == entries_.end() || NowMs() - it->second.filled_ms > lifetime_ms_) return nullptr;
    return &it->second;
  }

  const size_t max_entries_;
  const int64_t lifetime_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace hubmirror
