#include "server/http/request_head.h"

#include <algorithm>
#include <charconv>

namespace hubmirror {
namespace {

Status HttpError(int status, std::string message) {
  return Status::InvalidArgument(std::move(message)).WithHubError(HubError::kNone, status);
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return !HeaderNameLess()(a, b) && !HeaderNameLess()(b, a);
}

// Whether a comma-separated header value lists `token` (case-insensitively).
bool ListsToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(TrimSpaces(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// Splits off one line ending in LF (a preceding CR is dropped).
std::string_view NextLine(std::string_view* rest) {
  size_t lf = rest->find('\n');
  std::string_view line = rest->substr(0, lf);
  rest->remove_prefix(lf == std::string_view::npos ? rest->size() : lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return std::from_chars(s.data(), s.data() + s.size(), *out).ec == std::errc();
}

}  // namespace

Result<size_t> FindHeadEnd(std::string_view buffer, size_t already_scanned,
                           const RequestLimits& limits) {
  // Empty lines before a request line are skipped (RFC 9112 §2.2): a client
  // may send a CRLF after a body.
  size_t start = 0;
  while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;
  // A terminator ("\n\n" or "\n\r\n") found now has its last byte past
  // what was scanned before, so it starts at most two bytes earlier.
  size_t from = std::max(start, already_scanned >= 2 ? already_scanned - 2 : 0);
  for (size_t lf = buffer.find('\n', from); lf != std::string_view::npos;
       lf = buffer.find('\n', lf + 1)) {
    size_t end = 0;
    if (lf + 1 < buffer.size() && buffer[lf + 1] == '\n') {
      end = lf + 2;
    } else if (lf + 2 < buffer.size() && buffer[lf + 1] == '\r' && buffer[lf + 2] == '\n') {
      end = lf + 3;
    } else {
      continue;
    }
    if (end > limits.max_head_bytes) break;
    return end;
  }
  if (buffer.size() > limits.max_head_bytes) {
    return HttpError(431, "the request head is longer than " +
                              std::to_string(limits.max_head_bytes) + " bytes");
  }
  return size_t{0};
}

Result<RequestHead> ParseRequestHead(std::string_view head, const RequestLimits& limits) {
  while (!head.empty() && (head.front() == '\r' || head.front() == '\n')) head.remove_prefix(1);
  RequestHead parsed;
  HttpRequest& req = parsed.request;

  std::string_view line = NextLine(&head);
  if (line.size() > limits.max_line_bytes) {
    return HttpError(414, "the request line is longer than " +
                              std::to_string(limits.max_line_bytes) + " bytes");
  }
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return HttpError(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return HttpError(400, "malformed request method");
  if (target.empty()) return HttpError(400, "empty request target");
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return HttpError(400, "control character in the request target");
    }
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.substr(0, 5) == "HTTP/") return HttpError(505, "only HTTP/1.0 and 1.1 are served");
    return HttpError(400, "malformed request line");
  }
  req.method = std::string(method);
  req.target = std::string(target);
  req.path = std::string(target.substr(0, target.find('?')));
  req.version = std::string(version);

  bool has_length = false;
  bool has_transfer_encoding = false;
  size_t count = 0;
  while (true) {
    line = NextLine(&head);
    if (line.empty()) break;
    if (line.size() > limits.max_line_bytes) {
      return HttpError(431, "a header line is longer than " +
                                std::to_string(limits.max_line_bytes) + " bytes");
    }
    if (++count > limits.max_header_count) {
      return HttpError(431, "more than " + std::to_string(limits.max_header_count) +
                                " header lines");
    }
    if (line.front() == ' ' || line.front() == '\t') {
      return HttpError(400, "folded header lines are not accepted");
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return HttpError(400, "malformed header line");
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimSpaces(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return HttpError(400, "control character in header " + std::string(name));
      }
    }
    if (EqualsIgnoreCase(name, "Content-Length")) {
      uint64_t length = 0;
      if (!ParseDecimal(value, &length) || (has_length && length != parsed.content_length)) {
        return HttpError(400, "malformed or conflicting Content-Length");
      }
      has_length = true;
      parsed.content_length = length;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      if (has_transfer_encoding || !EqualsIgnoreCase(value, "chunked")) {
        return HttpError(501, "only the chunked transfer coding is accepted");
      }
      has_transfer_encoding = true;
    }
    req.headers.emplace(std::string(name), std::string(value));
  }
  if (has_length && has_transfer_encoding) {
    return HttpError(400, "both Content-Length and Transfer-Encoding");
  }
  if (has_transfer_encoding && req.version == "HTTP/1.0") {
    return HttpError(400, "chunked bodies need HTTP/1.1");
  }
  if (has_transfer_encoding) {
    parsed.framing = BodyFraming::kChunked;
  } else if (has_length && parsed.content_length > 0) {
    parsed.framing = BodyFraming::kLength;
    if (parsed.content_length > limits.max_body_bytes) {
      return HttpError(413, "the request body is larger than " +
                                std::to_string(limits.max_body_bytes) + " bytes");
    }
  }

  const std::string connection = req.get_header_value("Connection");
  if (req.version == "HTTP/1.1") {
    parsed.keep_alive = !ListsToken(connection, "close");
  } else {
    parsed.keep_alive = ListsToken(connection, "keep-alive");
  }
  if (req.has_header("Expect")) {
    if (!EqualsIgnoreCase(req.get_header_value("Expect"), "100-continue")) {
      return HttpError(417, "only Expect: 100-continue is understood");
    }
    parsed.expect_continue = req.version == "HTTP/1.1" && parsed.framing != BodyFraming::kNone;
  }
  return parsed;
}

Result<size_t> ChunkedBodyDecoder::Feed(std::string_view input, std::string* body) {
  size_t used = 0;
  while (used < input.size() && state_ != State::kDone) {
    std::string_view rest = input.substr(used);
    switch (state_) {
      case State::kSize: {
        size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) {
          if (rest.size() > 1024) return HttpError(400, "malformed chunk size line");
          return used;
        }
        std::string_view size_line = rest.substr(0, lf);
        if (!size_line.empty() && size_line.back() == '\r') size_line.remove_suffix(1);
        size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions
        size_line = TrimSpaces(size_line);
        uint64_t size = 0;
        auto [end, ec] =
            std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
        if (size_line.empty() || ec != std::errc() || end != size_line.data() + size_line.size()) {
          return HttpError(400, "malformed chunk size");
        }
        if (size > max_body_bytes_ - total_) {
          return HttpError(413, "the request body is larger than " +
                                    std::to_string(max_body_bytes_) + " bytes");
        }
        used += lf + 1;
        chunk_left_ = size;
        state_ = size == 0 ? State::kTrailer : State::kData;
        break;
      }
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, rest.size()));
        body->append(rest.data(), n);
        used += n;
        chunk_left_ -= n;
        total_ += n;
        if (chunk_left_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd: {
        if (rest.front() == '\n') {
          used += 1;
        } else if (rest.front() != '\r' || (rest.size() >= 2 && rest[1] != '\n')) {
          return HttpError(400, "chunk data does not end in CRLF");
        } else if (rest.size() < 2) {
          return used;
        } else {
          used += 2;
        }
        state_ = State::kSize;
        break;
      }
      case State::kTrailer: {
        size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) {
          if (trailer_bytes_ + rest.size() > 16 * 1024) return HttpError(431, "trailers too long");
          return used;
        }
        trailer_bytes_ += lf + 1;
        if (trailer_bytes_ > 16 * 1024) return HttpError(431, "trailers too long");
        std::string_view trailer = rest.substr(0, lf);
        if (!trailer.empty() && trailer.back() == '\r') trailer.remove_suffix(1);
        used += lf + 1;
        if (trailer.empty()) state_ = State::kDone;
        break;
      }
      case State::kDone:
        break;
    }
  }
  return used;
}

}  // namespace hubmirror
