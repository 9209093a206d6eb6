#include "server/http/response_head.h"

namespace hubmirror {
namespace {

bool IsFramingHeader(const std::string& name) {
  HeaderNameLess less;
  auto same = [&less](const std::string& a, const char* b) { return !less(a, b) && !less(b, a); };
  return same(name, "Content-Length") || same(name, "Connection") ||
         same(name, "Transfer-Encoding") || same(name, "Keep-Alive");
}

}  // namespace

bool StatusHasBody(int status) { return status >= 200 && status != 204 && status != 304; }

std::string SerializeResponseHead(const HttpResponse& res, const ResponseFraming& framing) {
  std::string head;
  head.reserve(256 + res.headers.size() * 64);
  head += "HTTP/1.1 ";
  head += std::to_string(res.status);
  head += ' ';
  head += HttpReasonPhrase(res.status);
  head += "\r\n";
  for (const auto& [name, value] : res.headers) {
    if (IsFramingHeader(name)) continue;
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (StatusHasBody(res.status)) {
    head += "Content-Length: ";
    head += std::to_string(res.BodyLength());
    head += "\r\n";
  }
  if (!framing.keep_alive) {
    head += "Connection: close\r\n";
  } else if (framing.http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace hubmirror
