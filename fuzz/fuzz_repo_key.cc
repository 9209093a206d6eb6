// The validators: whatever they accept has no traversal and no control bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/repo_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  bool accepted = hubmirror::ValidateRepoId(s).ok() || hubmirror::ValidateRevision(s).ok() ||
                  hubmirror::ValidateRepoPath(s).ok();
  if (!accepted) return 0;
  if (s.empty() || s.front() == '/' || s.find('\\') != std::string_view::npos) std::abort();
  if (s == ".." || s.rfind("../", 0) == 0 || s.find("/../") != std::string_view::npos ||
      (s.size() >= 3 && s.substr(s.size() - 3) == "/..")) {
    std::abort();
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) std::abort();
  }
  if (!hubmirror::IsValidUtf8(s)) std::abort();
  return 0;
}
