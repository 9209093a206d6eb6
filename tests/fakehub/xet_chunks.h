// The Xet identity of a fake hub content: its chunks (the gear CDC chunker
// of ../shared/xet-protocol.md (b)) and file hash, computed with the
// project's own Xet primitives (store/xet), which tests/py/test_xet_hashes.py
// holds to hf_xet's `hash_files`.
#pragma once

#include <string>
#include <vector>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

std::vector<XetChunkRef> ChunkForXet(const BlobBytes& bytes);
// Hex rule; 64 zeros for an empty content.
std::string XetFileHashHex(const std::vector<XetChunkRef>& chunks);
// The hex rule for a raw hash.
std::string XetHex(const std::array<uint8_t, 32>& hash);

}  // namespace fakehub
