// AlignedBuffer: a growable byte buffer whose storage starts at an address
// aligned for direct I/O (WritableFile::direct_io_alignment), so that bytes
// collected in it can be written around the page cache without another copy.
//
// A plain value type (movable, not copyable); not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

namespace hubmirror {

class AlignedBuffer {
 public:
  static constexpr size_t kAlignment = 4096;

  explicit AlignedBuffer(size_t capacity = 0) { Reserve(capacity); }

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void Reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    capacity = (capacity + kAlignment - 1) / kAlignment * kAlignment;
    Storage grown(static_cast<char*>(::operator new(capacity, std::align_val_t{kAlignment})));
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  void Append(const void* bytes, size_t n) {
    if (size_ + n > capacity_) Reserve(std::max(size_ + n, capacity_ * 2));
    std::memcpy(data_.get() + size_, bytes, n);
    size_ += n;
  }
  // Drops the first n bytes; the rest moves to the front (keeps alignment).
  void DropFront(size_t n) {
    n = std::min(n, size_);
    if (n < size_) std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }
  void Clear() { size_ = 0; }

 private:
  struct Free {
    void operator()(char* p) const { ::operator delete(p, std::align_val_t{kAlignment}); }
  };
  using Storage = std::unique_ptr<char, Free>;

  Storage data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace hubmirror
