#include "tests/fakehub/fault_plan.h"

namespace fakehub {

std::optional<Fault> FaultFromName(std::string_view name) {
  if (name == "5xx") return Fault::kServerError;
  if (name == "redirect-loop") return Fault::kRedirectLoop;
  if (name == "expired-url") return Fault::kExpiredUrl;
  if (name == "wrong-size") return Fault::kWrongSize;
  if (name == "corrupt") return Fault::kCorruptBody;
  if (name == "xet-down") return Fault::kXetDown;
  if (name == "xet-expired-url") return Fault::kXetExpiredUrl;
  if (name == "xet-truncated") return Fault::kXetTruncated;
  if (name == "xet-corrupt-chunk") return Fault::kXetCorruptChunk;
  return std::nullopt;
}

void FaultPlan::Arm(Fault fault, uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  armed_[fault] = count;
}

bool FaultPlan::Take(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = armed_.find(fault);
  if (it == armed_.end() || it->second == 0) return false;
  --it->second;
  return true;
}

}  // namespace fakehub
