#include "store/repo_key.h"

#include <gtest/gtest.h>

#include <string>

namespace hubmirror {
namespace {

TEST(RepoKeyTest, GoodRepoIds) {
  for (const char* id :
       {"gpt2", "openai-community/gpt2", "meta-llama/Llama-3.1-8B", "user_1/my.model", "a/b"}) {
    EXPECT_TRUE(ValidateRepoId(id).ok()) << id << ": " << ValidateRepoId(id).ToString();
  }
}

TEST(RepoKeyTest, BadRepoIds) {
  std::string nul_id("org/na");
  nul_id.push_back('\0');
  nul_id += "me";
  for (const std::string& id :
       {std::string(""), std::string(".."), std::string("a/../b"), std::string("/org/name"),
        std::string("org/"), std::string("a//b"), std::string("org\\name"), nul_id,
        std::string("org/na me"), std::string("org/name/extra"), std::string("-org/name"),
        std::string("org/name."), std::string("o--rg/name"), std::string("%2e%2e"),
        std::string("org/\xc3\xa9"), std::string(200, 'a')}) {
    Status s = ValidateRepoId(id);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "'" << id << "' accepted";
  }
}

TEST(RepoKeyTest, GoodPaths) {
  for (const char* p : {"config.json", "a/b/c.bin", "%2e%2e", "...", ".gitattributes",
                        "dir/sub dir/file name.txt", "\xc3\xa9t\xc3\xa9.txt"}) {
    EXPECT_TRUE(ValidateRepoPath(p).ok()) << p << ": " << ValidateRepoPath(p).ToString();
  }
  EXPECT_TRUE(ValidateRepoPath("", /*allow_empty=*/true).ok());
}

TEST(RepoKeyTest, BadPaths) {
  std::string nul("a");
  nul.push_back('\0');
  nul += "b";
  for (const std::string& p :
       {std::string(""), std::string(".."), std::string("."), std::string("a/../b"),
        std::string("a/./b"), std::string("../etc/passwd"), std::string("/etc/passwd"),
        std::string("a\\b"), std::string("..\\x"), nul, std::string("a//b"), std::string("a/"),
        std::string("a\nb"), std::string("\xff\xfe"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("\xe2\x82"),
        std::string(kMaxRepoPathLength + 1, 'a')}) {
    EXPECT_EQ(ValidateRepoPath(p).code(), StatusCode::kInvalidArgument) << "'" << p << "'";
  }
}

TEST(RepoKeyTest, Revisions) {
  EXPECT_TRUE(ValidateRevision("main").ok());
  EXPECT_TRUE(ValidateRevision("refs/pr/1").ok());
  EXPECT_TRUE(ValidateRevision("v1.0").ok());
  EXPECT_FALSE(ValidateRevision("").ok());
  EXPECT_FALSE(ValidateRevision("..").ok());
  EXPECT_FALSE(ValidateRevision("refs/../x").ok());
  EXPECT_FALSE(ValidateRevision("/main").ok());
  EXPECT_FALSE(ValidateRevision(std::string(kMaxRevisionLength + 1, 'a')).ok());
}

TEST(RepoKeyTest, CommitShaAndUtf8) {
  EXPECT_TRUE(IsCommitSha("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitSha("0123456789ABCDEF0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitSha("main"));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong '/'
}

TEST(RepoKeyTest, ToStringAndPrefixes) {
  EXPECT_EQ((RepoKey{RepoType::kModel, "org/name"}).ToString(), "models/org/name");
  EXPECT_EQ((RepoKey{RepoType::kDataset, "org/name"}).ToString(), "datasets/org/name");
  EXPECT_STREQ(RepoTypeUrlPrefix(RepoType::kModel), "");
  EXPECT_STREQ(RepoTypeUrlPrefix(RepoType::kDataset), "datasets/");
}

}  // namespace
}  // namespace hubmirror
