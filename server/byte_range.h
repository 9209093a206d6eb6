// Parsing of a request's Range header against a known content size.
//
// Only single byte ranges are honoured ("bytes=a-b", "bytes=a-", "bytes=-n"),
// which is all Hugging Face clients send. A multi-range or syntactically
// invalid header is ignored (the full content is served, as RFC 9110 allows);
// a well-formed single range that lies past the end is unsatisfiable (416).
#pragma once

#include <cstdint>
#include <string_view>

namespace hubmirror {

struct ByteRange {
  enum class Kind { kNone, kSatisfiable, kUnsatisfiable };
  Kind kind = Kind::kNone;
  uint64_t first = 0;  // inclusive; valid when kSatisfiable
  uint64_t last = 0;   // inclusive
  uint64_t length() const { return last - first + 1; }
};

// `header` is the Range header value ("" when absent).
ByteRange ParseByteRange(std::string_view header, uint64_t size);

}  // namespace hubmirror
