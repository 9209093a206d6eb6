#include "server/xet/xet_reconstruction.h"

#include <algorithm>
#include <map>
#include <vector>

namespace hubmirror {
namespace {

using nlohmann::json;

// Chunks [chunk_start, chunk_end) of a xorb, whose records are at bytes
// [byte_first, byte_last].
struct XorbSpan {
  uint32_t chunk_start = 0;
  uint32_t chunk_end = 0;
  uint64_t byte_first = 0;
  uint64_t byte_last = 0;
};

// Sorted and merged when the next starts at or before the current end.
std::vector<XorbSpan> Merge(std::vector<XorbSpan> spans) {
  std::sort(spans.begin(), spans.end(), [](const XorbSpan& a, const XorbSpan& b) {
    return a.chunk_start != b.chunk_start ? a.chunk_start < b.chunk_start
                                          : a.chunk_end < b.chunk_end;
  });
  std::vector<XorbSpan> merged;
  for (const XorbSpan& s : spans) {
    if (!merged.empty() && s.chunk_start <= merged.back().chunk_end) {
      XorbSpan& cur = merged.back();
      cur.chunk_end = std::max(cur.chunk_end, s.chunk_end);
      cur.byte_first = std::min(cur.byte_first, s.byte_first);
      cur.byte_last = std::max(cur.byte_last, s.byte_last);
    } else {
      merged.push_back(s);
    }
  }
  return merged;
}

}  // namespace

json BuildReconstruction(const XetServedFile& file, int version, uint64_t first, uint64_t last,
                         const XorbRangeUrl& url_for) {
  json terms = json::array();
  std::map<XetHash, std::vector<XorbSpan>> spans;
  uint64_t offset = 0;
  uint64_t offset_into_first = 0;
  bool any = false;
  for (const XetServedTerm& t : file.terms) {
    const uint64_t start = offset;
    offset += t.term.raw_size;
    if (offset <= first || start > last) continue;  // outside [first, last]
    if (!any) offset_into_first = first - start;
    any = true;
    const std::string hex = t.term.xorb.ToHex();
    terms.push_back({{"hash", hex},
                     {"unpacked_length", t.term.raw_size},
                     {"range", {{"start", t.term.chunk_start}, {"end", t.term.chunk_end}}}});
    spans[t.term.xorb].push_back(
        XorbSpan{t.term.chunk_start, t.term.chunk_end, t.record_start, t.record_end - 1});
  }
  json fetch = json::object();
  for (auto& [xorb, list] : spans) {
    const std::string hex = xorb.ToHex();
    json entries = json::array();
    for (const XorbSpan& s : Merge(std::move(list))) {
      const std::string url = url_for(xorb, s.byte_first, s.byte_last);
      const json chunks = {{"start", s.chunk_start}, {"end", s.chunk_end}};
      const json bytes = {{"start", s.byte_first}, {"end", s.byte_last}};
      if (version == 1) {
        entries.push_back({{"range", chunks}, {"url", url}, {"url_range", bytes}});
      } else {
        entries.push_back({{"url", url}, {"ranges", json::array({{{"chunks", chunks},
                                                                  {"bytes", bytes}}})}});
      }
    }
    fetch[hex] = std::move(entries);
  }
  json out = {{"offset_into_first_range", offset_into_first}, {"terms", std::move(terms)}};
  out[version == 1 ? "fetch_info" : "xorbs"] = std::move(fetch);
  return out;
}

}  // namespace hubmirror
