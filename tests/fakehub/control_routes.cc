#include "tests/fakehub/control_routes.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "tests/fakehub/hub_errors.h"
#include "tests/fakehub/hub_json.h"

namespace fakehub {
namespace {

constexpr char kJsonType[] = "application/json; charset=utf-8";

// The unsigned integer parameter `name`; `fallback` when absent, nullopt
// when malformed.
std::optional<uint64_t> UintParam(const QueryParams& query, std::string_view name,
                                  std::optional<uint64_t> fallback) {
  std::optional<std::string> text = ParamValue(query, name);
  if (!text) return fallback;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

void SetOk(httplib::Response& res) {
  res.status = 200;
  res.set_content("{\"ok\":true}", kJsonType);
}

}  // namespace

void HandleControl(ServerState& state, const httplib::Request& req, httplib::Response& res,
                   const std::vector<std::string>& segments, const QueryParams& query) {
  const std::string name = segments.size() == 2 ? segments[1] : "";
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  if (get && name == "stats") {
    res.status = 200;
    return res.set_content(state.log().ToJson().dump(), kJsonType);
  }
  if (get && name == "manifest") {
    res.status = 200;
    return res.set_content(ManifestJson(state.hub(), state.xet()).dump(), kJsonType);
  }
  if (post && name == "reset-stats") {
    state.log().Reset();
    return SetOk(res);
  }
  if (post && name == "cdn-gate") {
    if (ParamValue(query, "open")) {
      state.cdn().OpenGate();
      return SetOk(res);
    }
    std::optional<uint64_t> pause_after = UintParam(query, "pause_after", std::nullopt);
    if (!pause_after) return SetJsonError(res, 400, "Expected pause_after=N or open=1");
    state.cdn().CloseGate(*pause_after);
    return SetOk(res);
  }
  if (post && name == "cdn-rate") {
    std::optional<uint64_t> rate = UintParam(query, "bytes_per_sec", std::nullopt);
    if (!rate) return SetJsonError(res, 400, "Expected bytes_per_sec=N");
    state.cdn().SetRate(*rate);
    return SetOk(res);
  }
  if (post && name == "drop-connection") {
    std::optional<uint64_t> after = UintParam(query, "after", std::nullopt);
    std::optional<uint64_t> count = UintParam(query, "count", 1);
    if (!after || !count) return SetJsonError(res, 400, "Expected after=N[&count=K]");
    state.cdn().ArmDrops(*after, *count);
    return SetOk(res);
  }
  if (post && name == "fault") {
    std::optional<Fault> fault = FaultFromName(ParamValue(query, "kind").value_or(""));
    std::optional<uint64_t> count = UintParam(query, "count", 1);
    if (!fault || !count) {
      return SetJsonError(res, 400,
                          "Expected kind=5xx|redirect-loop|expired-url|wrong-size|corrupt[&count=N]");
    }
    state.faults().Arm(*fault, *count);
    return SetOk(res);
  }
  SetJsonError(res, 404, "Unknown control endpoint");
}

}  // namespace fakehub
