#include "tests/fakehub/cdn_control.h"

#include <algorithm>
#include <optional>

namespace fakehub {

// One shaped GET body: applies the armed drop, the gate and the rate.
class CdnControl::Transfer : public TransferShaper {
 public:
  Transfer(CdnControl* control, RequestLog* log, std::optional<uint64_t> drop_after)
      : control_(control), log_(log), drop_after_(drop_after) {}

  size_t Admit(uint64_t sent, size_t wanted) override {
    if (drop_after_) {
      if (sent >= *drop_after_) return 0;
      wanted = static_cast<size_t>(std::min<uint64_t>(wanted, *drop_after_ - sent));
    }
    wanted = control_->PassGate(sent, wanted);
    return wanted == 0 ? 0 : control_->Pace(wanted);
  }

  void OnSent(size_t n) override { log_->AddCdnBytes(n); }

 private:
  CdnControl* control_;
  RequestLog* log_;
  std::optional<uint64_t> drop_after_;
};

void CdnControl::CloseGate(uint64_t pause_after) {
  std::lock_guard<std::mutex> lock(mu_);
  gate_closed_ = true;
  pause_after_ = pause_after;
  changed_.notify_all();
}

void CdnControl::OpenGate() {
  std::lock_guard<std::mutex> lock(mu_);
  gate_closed_ = false;
  changed_.notify_all();
}

void CdnControl::SetRate(uint64_t bytes_per_sec) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_per_sec_ = bytes_per_sec;
  changed_.notify_all();
}

void CdnControl::ArmDrops(uint64_t after, uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  drop_after_ = after;
  drops_armed_ = count;
}

void CdnControl::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  changed_.notify_all();
}

std::shared_ptr<TransferShaper> CdnControl::NewTransfer(RequestLog* log) {
  std::optional<uint64_t> drop_after;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (drops_armed_ > 0) {
      --drops_armed_;
      drop_after = drop_after_;
    }
  }
  return std::make_shared<Transfer>(this, log, drop_after);
}

size_t CdnControl::PassGate(uint64_t sent, size_t wanted) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + kMaxGateWait;
  bool released = changed_.wait_until(
      lock, deadline, [&] { return shutting_down_ || !gate_closed_ || sent < pause_after_; });
  if (!released || shutting_down_) return 0;
  if (gate_closed_) {
    wanted = static_cast<size_t>(std::min<uint64_t>(wanted, pause_after_ - sent));
  }
  return wanted;
}

size_t CdnControl::Pace(size_t wanted) {
  // Send at most 1/20 s worth of bytes, then sleep for as long as it "took".
  std::unique_lock<std::mutex> lock(mu_);
  if (bytes_per_sec_ == 0) return wanted;
  uint64_t rate = bytes_per_sec_;
  size_t chunk = static_cast<size_t>(std::clamp<uint64_t>(rate / 20, 1, wanted));
  auto pause = std::chrono::microseconds(chunk * 1'000'000 / rate);
  changed_.wait_for(lock, pause, [&] { return shutting_down_; });
  return shutting_down_ ? 0 : chunk;
}

}  // namespace fakehub
