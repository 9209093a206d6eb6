#include "tests/fakehub/ranged_body.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

namespace fakehub {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;
// File-backed bodies are read in larger chunks: fewer syscalls per byte.
constexpr size_t kFileChunkBytes = 256 * 1024;

std::optional<uint64_t> ParseNumber(std::string_view s) {
  uint64_t value = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

RangeRequest ParseRange(std::string_view header, uint64_t size) {
  constexpr std::string_view kPrefix = "bytes=";
  RangeRequest none;
  if (header.substr(0, kPrefix.size()) != kPrefix) return none;
  std::string_view spec = header.substr(kPrefix.size());
  size_t dash = spec.find('-');
  if (spec.find(',') != std::string_view::npos || dash == std::string_view::npos) return none;
  std::string_view first = spec.substr(0, dash);
  std::string_view last = spec.substr(dash + 1);
  RangeRequest unsatisfiable{RangeRequest::Kind::kUnsatisfiable, 0, 0};
  if (first.empty()) {  // Suffix range: the last N bytes.
    std::optional<uint64_t> n = ParseNumber(last);
    if (!n) return none;
    if (*n == 0 || size == 0) return unsatisfiable;
    uint64_t length = std::min(*n, size);
    return {RangeRequest::Kind::kSatisfiable, size - length, length};
  }
  std::optional<uint64_t> begin = ParseNumber(first);
  if (!begin) return none;
  uint64_t end = size == 0 ? 0 : size - 1;
  if (!last.empty()) {
    std::optional<uint64_t> requested_end = ParseNumber(last);
    if (!requested_end || *requested_end < *begin) return none;
    end = std::min(end, *requested_end);
  }
  if (*begin >= size) return unsatisfiable;
  return {RangeRequest::Kind::kSatisfiable, *begin, end - *begin + 1};
}

void ServeBytes(const httplib::Request& req, httplib::Response& res,
                std::shared_ptr<const BlobBytes> bytes, const std::string& content_type,
                const ShaperFactory& make_shaper) {
  const uint64_t size = bytes->size();
  RangeRequest range = ParseRange(req.get_header_value("Range"), size);
  res.set_header("Accept-Ranges", "bytes");
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    res.status = 416;
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    return;
  }
  uint64_t offset = 0;
  uint64_t length = size;
  res.status = 200;
  if (range.kind == RangeRequest::Kind::kSatisfiable) {
    offset = range.offset;
    length = range.length;
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                        std::to_string(offset + length - 1) + "/" +
                                        std::to_string(size));
  }
  if (length == 0) {
    res.set_content("", content_type);
    return;
  }
  std::shared_ptr<TransferShaper> shaper =
      (make_shaper && req.method != "HEAD") ? make_shaper() : nullptr;
  // File-backed content is copied through a buffer owned by this transfer.
  std::shared_ptr<std::vector<char>> buffer;
  if (bytes->data() == nullptr) buffer = std::make_shared<std::vector<char>>(kFileChunkBytes);
  res.set_content_provider(
      length, content_type,
      [bytes = std::move(bytes), shaper = std::move(shaper), buffer = std::move(buffer), offset](
          size_t sent, size_t remaining, httplib::DataSink& sink) {
        size_t chunk = std::min(remaining, buffer ? buffer->size() : kChunkBytes);
        if (shaper) {
          chunk = shaper->Admit(sent, chunk);
          if (chunk == 0) return false;
        }
        const char* data = bytes->data();
        if (data != nullptr) {
          data += offset + sent;
        } else {
          chunk = bytes->Read(offset + sent, buffer->data(), chunk);
          if (chunk == 0) return false;
          data = buffer->data();
        }
        if (!sink.write(data, chunk)) return false;
        if (shaper) shaper->OnSent(chunk);
        return true;
      });
}

}  // namespace fakehub
