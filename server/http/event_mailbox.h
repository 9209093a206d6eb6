// EventServerMailbox: the hand-over from the connection layer's pool threads
// (a job finished) and from BodyReadiness wakes (any thread) to its event
// loop, which sleeps in epoll_wait on the mailbox's eventfd.
//
// Thread-safe. Shared (shared_ptr) with wake callbacks that may outlive the
// loop: after Close() they post into nothing.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "fetcher/local_files.h"
#include "server/http/connection.h"

namespace hubmirror {

class EventServerMailbox {
 public:
  struct Item {
    std::shared_ptr<Connection> done;  // a pool job for it has finished
    std::weak_ptr<Connection> woken;   // its producer became ready
    uint64_t park_generation = 0;
  };

  explicit EventServerMailbox(UniqueFd event_fd) : event_fd_(std::move(event_fd)) {}
  int fd() const { return event_fd_.get(); }

  void Post(Item item) {
    bool first;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      first = items_.empty();
      items_.push_back(std::move(item));
    }
    // Items behind the first are taken with it: one wake-up is enough.
    if (first) Wake();
  }
  void Wake() {
    uint64_t one = 1;
    ssize_t ignored = write(event_fd_.get(), &one, sizeof(one));
    (void)ignored;
  }
  std::vector<Item> Take() {
    uint64_t count = 0;
    ssize_t ignored = read(event_fd_.get(), &count, sizeof(count));
    (void)ignored;
    std::vector<Item> taken;
    std::lock_guard<std::mutex> lock(mu_);
    taken.swap(items_);
    return taken;
  }
  // Later posts are dropped. What is still queued is released outside the
  // lock (a connection's last reference may go with it).
  void Close() {
    std::vector<Item> dropped;
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    dropped.swap(items_);
  }

 private:
  UniqueFd event_fd_;
  std::mutex mu_;
  std::vector<Item> items_;  // guarded by mu_
  bool closed_ = false;      // guarded by mu_
};

}  // namespace hubmirror
