#include "fetcher/xet/xet_plan.h"

#include <nlohmann/json.hpp>

#include <map>

#include "store/xet/xorb_format.h"

namespace hubmirror {
namespace {

using nlohmann::json;

// A xorb holds at most this many serialized bytes (64 MiB of chunks plus
// their headers, ../shared/xet-protocol.md (d)).
constexpr uint64_t kMaxXorbSerializedBytes = kXorbMaxRawBytes + (uint64_t{64} << 10) +
                                             kXorbMaxChunks * kXetRecordHeaderBytes;
constexpr size_t kMaxTerms = 1'000'000;

Status Bad(const std::string& what) {
  return Status::InvalidArgument("upstream Xet reconstruction: " + what);
}

bool ReadU64(const json& j, const char* key, uint64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  *out = it->get<uint64_t>();
  return true;
}

Status ReadChunkRange(const json& j, uint32_t* start, uint32_t* end) {
  uint64_t a = 0;
  uint64_t b = 0;
  if (!j.is_object() || !ReadU64(j, "start", &a) || !ReadU64(j, "end", &b) || a >= b ||
      b > kXorbMaxChunks) {
    return Bad("a chunk range is not {start < end <= " + std::to_string(kXorbMaxChunks) + "}");
  }
  *start = static_cast<uint32_t>(a);
  *end = static_cast<uint32_t>(b);
  return Status::Ok();
}

Status ReadByteRange(const json& j, uint64_t* first, uint64_t* last) {
  if (!j.is_object() || !ReadU64(j, "start", first) || !ReadU64(j, "end", last) ||
      *first > *last || *last >= kMaxXorbSerializedBytes) {
    return Bad("a byte range is not {start <= end} inside a xorb");
  }
  return Status::Ok();
}

Result<XetHash> ReadHash(const std::string& text) {
  std::optional<XetHash> h = XetHash::FromHex(text);
  if (!h) return Bad("'" + text.substr(0, 80) + "' is not a 64-hex hash");
  return *h;
}

Status ReadUrl(const json& j, std::string* url) {
  if (!j.is_string()) return Bad("a url is not a string");
  *url = j.get<std::string>();
  if ((url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) || url->size() > 8192) {
    return Bad("a url is not absolute http(s)");
  }
  for (char c : *url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Bad("a url has control bytes");
  }
  return Status::Ok();
}

}  // namespace

Result<XetPlan> ParseXetPlan(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Bad("not a JSON object");
  XetPlan plan;
  if (!ReadU64(doc, "offset_into_first_range", &plan.offset_into_first)) {
    return Bad("no offset_into_first_range");
  }
  auto terms = doc.find("terms");
  if (terms == doc.end() || !terms->is_array() || terms->size() > kMaxTerms) {
    return Bad("no terms array");
  }
  // Spans: v2 {"xorbs": {hash: [{url, ranges: [{chunks, bytes}]}]}},
  //        v1 {"fetch_info": {hash: [{range, url, url_range}]}}.
  const bool v2 = doc.contains("xorbs");
  auto fetch = doc.find(v2 ? "xorbs" : "fetch_info");
  if (fetch == doc.end() || !fetch->is_object()) return Bad("neither xorbs nor fetch_info");
  for (const auto& [hex, entries] : fetch->items()) {
    HM_ASSIGN_OR_RETURN(XetHash xorb, ReadHash(hex));
    if (!entries.is_array()) return Bad("the entries of a xorb are not an array");
    for (const json& entry : entries) {
      if (!entry.is_object()) return Bad("an entry is not an object");
      std::string url;
      HM_RETURN_IF_ERROR(ReadUrl(entry.value("url", json()), &url));
      if (v2) {
        auto ranges = entry.find("ranges");
        if (ranges == entry.end() || !ranges->is_array()) return Bad("an entry has no ranges");
        for (const json& r : *ranges) {
          XetFetchSpan span{xorb, 0, 0, url, 0, 0};
          if (!r.is_object()) return Bad("a range is not an object");
          HM_RETURN_IF_ERROR(ReadChunkRange(r.value("chunks", json()), &span.chunk_start,
                                            &span.chunk_end));
          HM_RETURN_IF_ERROR(ReadByteRange(r.value("bytes", json()), &span.byte_first,
                                           &span.byte_last));
          plan.spans.push_back(std::move(span));
        }
      } else {
        XetFetchSpan span{xorb, 0, 0, url, 0, 0};
        HM_RETURN_IF_ERROR(
            ReadChunkRange(entry.value("range", json()), &span.chunk_start, &span.chunk_end));
        HM_RETURN_IF_ERROR(ReadByteRange(entry.value("url_range", json()), &span.byte_first,
                                         &span.byte_last));
        plan.spans.push_back(std::move(span));
      }
      if (plan.spans.size() > kMaxTerms) return Bad("too many ranges");
    }
  }
  std::map<XetHash, std::vector<size_t>> spans_of;
  for (size_t i = 0; i < plan.spans.size(); ++i) spans_of[plan.spans[i].xorb].push_back(i);
  for (const json& t : *terms) {
    if (!t.is_object() || !t.contains("hash") || !t["hash"].is_string()) {
      return Bad("a term has no hash");
    }
    XetPlanTerm term;
    HM_ASSIGN_OR_RETURN(term.xorb, ReadHash(t["hash"].get<std::string>()));
    HM_RETURN_IF_ERROR(ReadChunkRange(t.value("range", json()), &term.chunk_start,
                                      &term.chunk_end));
    if (!ReadU64(t, "unpacked_length", &term.unpacked) || term.unpacked == 0 ||
        term.unpacked > uint64_t{term.chunk_end - term.chunk_start} * kXetMaxRawChunkBytes) {
      return Bad("a term's unpacked_length does not fit its chunks");
    }
    bool covered = false;
    for (size_t i : spans_of[term.xorb]) {
      const XetFetchSpan& s = plan.spans[i];
      if (s.chunk_start <= term.chunk_start && term.chunk_end <= s.chunk_end) {
        term.span = i;
        covered = true;
        break;
      }
    }
    if (!covered) return Bad("a term of xorb " + term.xorb.ToHex() + " has no covering range");
    plan.terms.push_back(term);
  }
  return plan;
}

}  // namespace hubmirror
