// The 256-entry gear table of the Xet content-defined chunker (xet_chunker.h).
#pragma once

#include <cstdint>

namespace hubmirror {

extern const uint64_t kXetGearTable[256];

}  // namespace hubmirror
