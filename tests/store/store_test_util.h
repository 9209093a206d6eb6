// Shared helpers for the store tests: a per-test temp dir and status asserts.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
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
