// Test knobs for CDN body transfers: a pause gate, a rate limit and armed
// connection drops, set through /_fake/ control endpoints.
//
// Thread-safe. Every wait is bounded (kMaxGateWait, or one pacing interval)
// and Shutdown() wakes all of them, so no worker thread can hang forever.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "tests/fakehub/ranged_body.h"
#include "tests/fakehub/request_log.h"

namespace fakehub {

class CdnControl {
 public:
  // A transfer held by the gate longer than this is aborted.
  static constexpr std::chrono::seconds kMaxGateWait{60};

  CdnControl() = default;
  CdnControl(const CdnControl&) = delete;
  CdnControl& operator=(const CdnControl&) = delete;

  // From now on every body transfer stops after `pause_after` bytes of its
  // response until OpenGate().
  void CloseGate(uint64_t pause_after);
  // Releases every held transfer and disables the gate.
  void OpenGate();
  // Limits each body transfer to `bytes_per_sec`; 0 = unlimited.
  void SetRate(uint64_t bytes_per_sec);
  // The next `count` GET transfers close the connection after `after` bytes.
  void ArmDrops(uint64_t after, uint64_t count);
  // Aborts held and future transfers; called once when the process stops.
  void Shutdown();

  // A shaper for one GET body transfer, counting sent bytes into `log`.
  // Claims one armed drop, if any.
  std::shared_ptr<TransferShaper> NewTransfer(RequestLog* log);

 private:
  class Transfer;

  // Blocks while the gate holds a transfer that has sent `sent` bytes.
  // Returns how many of `wanted` bytes may go now; 0 = abort.
  size_t PassGate(uint64_t sent, size_t wanted);
  // Sleeps to keep to the rate; returns the chunk size to use (0 = abort).
  size_t Pace(size_t wanted);

  std::mutex mu_;
  std::condition_variable changed_;
  bool shutting_down_ = false;
  bool gate_closed_ = false;
  uint64_t pause_after_ = 0;
  uint64_t bytes_per_sec_ = 0;
  uint64_t drop_after_ = 0;
  uint64_t drops_armed_ = 0;
};

}  // namespace fakehub
