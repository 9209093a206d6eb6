// Cursor pagination as huggingface.co does it: at most a page of items per
// answer, then `Link: <absolute next url>; rel="next"` with an opaque cursor.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

#include "tests/fakehub/server_state.h"
#include "tests/fakehub/url.h"

namespace fakehub {

std::string EncodeCursor(size_t offset);
std::optional<size_t> DecodeCursor(std::string_view cursor);

// The same path and parameters with `param` (the cursor, or a page number)
// set to `value`, on the API host.
std::string NextPageUrl(const ServerState& state, const RawTarget& raw, std::string_view param,
                        const std::string& value);

// Sets the Link header to the page after `end` of `total` items, if any.
void LinkNextCursor(const ServerState& state, const RawTarget& raw, size_t end, size_t total,
                    httplib::Response& res);

}  // namespace fakehub
