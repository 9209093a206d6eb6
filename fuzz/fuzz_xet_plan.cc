// An upstream CAS's reconstruction answer: whatever ParseXetPlan accepts is
// safe to follow (every term covered by a span of its own xorb, ranges
// within a xorb's limits, absolute http(s) URLs).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fetcher/xet/xet_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  hubmirror::Result<hubmirror::XetPlan> plan = hubmirror::ParseXetPlan(body);
  if (!plan.ok()) return 0;
  for (const hubmirror::XetPlanTerm& t : plan->terms) {
    if (t.span >= plan->spans.size()) std::abort();
    const hubmirror::XetFetchSpan& s = plan->spans[t.span];
    if (!(s.xorb == t.xorb) || s.chunk_start > t.chunk_start || t.chunk_end > s.chunk_end ||
        t.chunk_start >= t.chunk_end || t.unpacked == 0) {
      std::abort();
    }
  }
  for (const hubmirror::XetFetchSpan& s : plan->spans) {
    if (s.byte_first > s.byte_last || s.url.rfind("http", 0) != 0) std::abort();
  }
  return 0;
}
