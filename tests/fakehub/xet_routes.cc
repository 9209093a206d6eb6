#include "tests/fakehub/xet_routes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>

#include "tests/fakehub/hub_errors.h"
#include "tests/fakehub/url.h"

namespace fakehub {
namespace {

using nlohmann::json;

constexpr int64_t kTokenTtlSeconds = 600;
constexpr char kTokenPrefix[] = "fxet-";
constexpr size_t kRecordHeader = 8;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// "bytes=S-E" or "bytes=S-" (inclusive); false for anything else.
bool ParseRange(const std::string& header, uint64_t* first, uint64_t* last) {
  constexpr std::string_view kPrefix = "bytes=";
  if (header.rfind(kPrefix, 0) != 0) return false;
  const std::string spec = header.substr(kPrefix.size());
  const size_t dash = spec.find('-');
  if (dash == std::string::npos || !ParseU64(std::string_view(spec).substr(0, dash), first)) {
    return false;
  }
  if (dash + 1 == spec.size()) {
    *last = UINT64_MAX;
    return true;
  }
  return ParseU64(std::string_view(spec).substr(dash + 1), last) && *first <= *last;
}

bool TokenValid(const ServerState& state, const std::string& token) {
  if (token.rfind(kTokenPrefix, 0) != 0) return false;
  const std::string rest = token.substr(sizeof(kTokenPrefix) - 1);
  const size_t dash = rest.find('-');
  if (dash == std::string::npos) return false;
  return state.signer().Check("xet-token", rest.substr(0, dash), rest.substr(dash + 1),
                              UnixNow()) == UrlSigner::Verdict::kValid;
}

void ServeReconstruction(ServerState& state, const httplib::Request& req, httplib::Response& res,
                         int version, const std::string& hash) {
  if (!TokenValid(state, BearerToken(req))) {
    return SetJsonError(res, 401, "Invalid or expired Xet token");
  }
  if (state.faults().Take(Fault::kXetDown)) {
    return SetJsonError(res, 503, "CAS temporarily unavailable");
  }
  const CasFile* file = state.xet().FindFile(hash);
  if (file == nullptr) return SetJsonError(res, 404, "File not found");
  uint64_t first = 0;
  uint64_t last = file->size == 0 ? 0 : file->size - 1;
  if (req.has_header("Range") && file->size > 0) {
    if (!ParseRange(req.get_header_value("Range"), &first, &last)) {
      return SetJsonError(res, 400, "Invalid Range");
    }
    if (first >= file->size) {
      res.set_header("Content-Range", "bytes */" + std::to_string(file->size));
      return SetJsonError(res, 416, "Range not satisfiable");
    }
    last = std::min(last, file->size - 1);
  }
  const int64_t expires =
      state.faults().Take(Fault::kXetExpiredUrl) ? UnixNow() - 1
                                                 : UnixNow() + state.options().cdn_url_ttl_seconds;
  json terms = json::array();
  std::map<size_t, std::vector<std::pair<uint32_t, uint32_t>>> spans;
  uint64_t at = 0;
  uint64_t offset_into_first = 0;
  bool any = false;
  for (const CasTerm& t : file->terms) {
    const uint64_t start = at;
    at += t.unpacked;
    if (file->size == 0 || at <= first || start > last) continue;
    if (!any) offset_into_first = first - start;
    any = true;
    terms.push_back({{"hash", state.xet().xorbs()[t.xorb].hex},
                     {"unpacked_length", t.unpacked},
                     {"range", {{"start", t.start}, {"end", t.end}}}});
    spans[t.xorb].push_back({t.start, t.end});
  }
  json fetch = json::object();
  for (auto& [xorb_index, list] : spans) {
    const CasXorb& xorb = state.xet().xorbs()[xorb_index];
    std::sort(list.begin(), list.end());
    std::vector<std::pair<uint32_t, uint32_t>> merged;
    for (const auto& s : list) {
      if (!merged.empty() && s.first <= merged.back().second) {
        merged.back().second = std::max(merged.back().second, s.second);
      } else {
        merged.push_back(s);
      }
    }
    json entries = json::array();
    for (const auto& [a, b] : merged) {
      const uint64_t byte_first = xorb.chunks[a].record_offset;
      const CasXorb::Chunk& end_chunk = xorb.chunks[b - 1];
      const uint64_t byte_last = end_chunk.record_offset + kRecordHeader + end_chunk.size - 1;
      const std::string range = std::to_string(byte_first) + "-" + std::to_string(byte_last);
      const std::string url = state.cdn_base_url() + "/xorbs/" + xorb.hex + "?range=" + range +
                              "&expires=" + std::to_string(expires) +
                              "&sig=" + state.signer().Sign(xorb.hex + ":" + range, expires);
      const json chunks = {{"start", a}, {"end", b}};
      const json bytes = {{"start", byte_first}, {"end", byte_last}};
      if (version == 1) {
        entries.push_back({{"range", chunks}, {"url", url}, {"url_range", bytes}});
      } else {
        entries.push_back(
            {{"url", url}, {"ranges", json::array({{{"chunks", chunks}, {"bytes", bytes}}})}});
      }
    }
    fetch[xorb.hex] = std::move(entries);
  }
  json out = {{"offset_into_first_range", offset_into_first}, {"terms", std::move(terms)}};
  out[version == 1 ? "fetch_info" : "xorbs"] = std::move(fetch);
  res.status = 200;
  res.set_content(out.dump(), "application/json");
}

void ServeXorb(ServerState& state, const httplib::Request& req, httplib::Response& res,
               const std::string& hex, const QueryParams& query) {
  if (req.has_header("Authorization")) {
    return SetJsonError(res, 400, "Only one auth mechanism allowed");
  }
  const std::string range = ParamValue(query, "range").value_or("");
  switch (state.signer().Check(hex + ":" + range, ParamValue(query, "expires").value_or(""),
                               ParamValue(query, "sig").value_or(""), UnixNow())) {
    case UrlSigner::Verdict::kBadSignature:
      return SetJsonError(res, 403, "Invalid or missing signature");
    case UrlSigner::Verdict::kExpired:
      return SetJsonError(res, 403, "Request has expired");
    case UrlSigner::Verdict::kValid:
      break;
  }
  const long xorb = state.xet().FindXorb(hex);
  if (xorb < 0) return SetJsonError(res, 404, "No such xorb");
  uint64_t signed_first = 0;
  uint64_t signed_last = 0;
  if (!ParseRange("bytes=" + range, &signed_first, &signed_last)) {
    return SetJsonError(res, 403, "Invalid signed range");
  }
  uint64_t first = signed_first;
  uint64_t last = signed_last;
  if (req.has_header("Range") &&
      (!ParseRange(req.get_header_value("Range"), &first, &last) || first < signed_first ||
       last > signed_last)) {
    return SetJsonError(res, 416, "Range outside the signed range");
  }
  const uint64_t size = state.xet().xorbs()[static_cast<size_t>(xorb)].serialized_size;
  if (last >= size) return SetJsonError(res, 416, "Range past the xorb's end");
  if (state.faults().Take(Fault::kXetTruncated) && last > first) {
    last = first + (last - first) / 2;  // a short, well-formed answer
  }
  std::string body;
  state.xet().ReadXorb(static_cast<size_t>(xorb), first, last, &body);
  if (state.faults().Take(Fault::kXetCorruptChunk) && !body.empty()) {
    // A byte inside the first chunk's data: its hash no longer matches.
    body[std::min<size_t>(body.size() - 1, kRecordHeader + 100)] ^= 0x5a;
  }
  state.log().AddXetBytes(body.size());
  res.status = 206;
  res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" +
                                      std::to_string(first + body.size() - 1) + "/" +
                                      std::to_string(size));
  res.set_content(std::move(body), "application/octet-stream");
}

}  // namespace

void HandleXetReadToken(ServerState& state, const httplib::Request& req, httplib::Response& res,
                        const Repo& repo, const std::string& revision) {
  if (repo.Resolve(revision) == nullptr) return SetRevisionNotFound(res, revision);
  const int64_t exp = UnixNow() + kTokenTtlSeconds;
  const std::string token =
      kTokenPrefix + std::to_string(exp) + "-" + state.signer().Sign("xet-token", exp);
  const std::string cas = state.cdn_base_url() + "/cas";
  res.set_header("X-Xet-Cas-Url", cas);
  res.set_header("X-Xet-Access-Token", token);
  res.set_header("X-Xet-Token-Expiration", std::to_string(exp));
  res.status = 200;
  res.set_content(json{{"casUrl", cas}, {"accessToken", token}, {"exp", exp}}.dump(),
                  "application/json");
}

void ServeXetCas(ServerState& state, const httplib::Request& req, httplib::Response& res,
                 const std::vector<std::string>& segments, const QueryParams& query) {
  if (req.method != "GET") return SetJsonError(res, 405, "Method not allowed");
  if (segments.size() == 4 && segments[0] == "cas" && (segments[1] == "v1" || segments[1] == "v2") &&
      segments[2] == "reconstructions") {
    return ServeReconstruction(state, req, res, segments[1] == "v1" ? 1 : 2, segments[3]);
  }
  if (segments.size() == 2 && segments[0] == "xorbs") {
    return ServeXorb(state, req, res, segments[1], query);
  }
  SetJsonError(res, 404, "Not Found");
}

}  // namespace fakehub
