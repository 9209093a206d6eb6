// FaultPlan: upstream misbehaviour a test arms through
// `POST /_fake/fault?kind=K[&count=N]`, each kind firing on the next N
// requests where it applies, so a test can show a mirror survives it and
// recovers once it clears. (A dropped connection mid-body, a body shorter
// than its Content-Length, is `/_fake/drop-connection`; a slow body is
// `/_fake/cdn-rate`.) Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace fakehub {

enum class Fault {
  kServerError,   // "5xx": resolve answers 503
  kRedirectLoop,  // "redirect-loop": resolve redirects to itself
  kExpiredUrl,    // "expired-url": the CDN URL handed out has already expired
  kWrongSize,     // "wrong-size": X-Linked-Size one byte too large
  kCorruptBody,   // "corrupt": the CDN flips one byte in the middle of the body
  // Xet (the CAS on the CDN host):
  kXetDown,          // "xet-down": reconstructions answer 503
  kXetExpiredUrl,    // "xet-expired-url": xorb URLs handed out have already expired
  kXetTruncated,     // "xet-truncated": a xorb range answers 206 with half the bytes asked
  kXetCorruptChunk,  // "xet-corrupt-chunk": a xorb range has one chunk byte flipped
};

std::optional<Fault> FaultFromName(std::string_view name);

class FaultPlan {
 public:
  void Arm(Fault fault, uint64_t count);
  // True (and one fewer armed) when `fault` should fire now.
  bool Take(Fault fault);

 private:
  std::mutex mu_;
  std::map<Fault, uint64_t> armed_;  // guarded by mu_
};

}  // namespace fakehub
