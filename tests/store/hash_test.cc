#include "store/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace hubmirror {
namespace {

TEST(HashTest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("hello\n"),
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
}

TEST(HashTest, GitBlobKnownVectors) {
  EXPECT_EQ(GitBlobSha1Hex("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(GitBlobSha1Hex(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

TEST(HashTest, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 31));
  Sha256Hasher sha;
  GitBlobHasher git(data.size());
  for (size_t off = 0; off < data.size(); off += 777) {
    size_t n = std::min<size_t>(777, data.size() - off);
    sha.Update(data.data() + off, n);
    git.Update(data.data() + off, n);
  }
  EXPECT_EQ(sha.FinishHex(), Sha256Hex(data));
  EXPECT_EQ(git.FinishHex(), GitBlobSha1Hex(data));
}

TEST(HashTest, IsLowerHex) {
  EXPECT_TRUE(IsLowerHex("0123456789abcdef", 16));
  EXPECT_FALSE(IsLowerHex("0123456789ABCDEF", 16));
  EXPECT_FALSE(IsLowerHex("0123456789abcde", 16));
  EXPECT_FALSE(IsLowerHex("0123456789abcdeg", 16));
  EXPECT_TRUE(IsLowerHex("", 0));
}

}  // namespace
}  // namespace hubmirror
