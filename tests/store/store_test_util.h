// Shared helpers for the store tests: a per-test temp dir and status asserts.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "store/status.h"

#define ASSERT_OK(expr)                          \
  do {                                           \
    const ::hubmirror::Status& hm_s_ = (expr);   \
    ASSERT_TRUE(hm_s_.ok()) << hm_s_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                          \
  do {                                           \
    const ::hubmirror::Status& hm_s_ = (expr);   \
    EXPECT_TRUE(hm_s_.ok()) << hm_s_.ToString(); \
  } while (0)

namespace hubmirror::testing {

// `n` pseudo-random bytes, the same for the same seed (incompressible, and
// without repeats that content-defined chunking could deduplicate).
inline std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = static_cast<char>(v >> (8 * j));
  }
  return s;
}

// A fresh directory under /tmp per test, removed in TearDown.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hubmirror-store-test-XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Number of regular files below `path`, recursively.
  static size_t CountFiles(const std::string& path) {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) ++n;
    }
    return n;
  }

  std::string dir_;
};

}  // namespace hubmirror::testing
