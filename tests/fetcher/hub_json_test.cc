#include "fetcher/hub_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hubmirror {
namespace {

const std::string kOid1 = "0123456789abcdef0123456789abcdef01234567";
const std::string kOid2 = "89abcdef0123456789abcdef0123456789abcdef";
const std::string kSha256 = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

TEST(ParseTreeEntriesTest, FilesDirectoriesAndLfs) {
  std::string json = R"([
    {"type":"directory","oid":")" +
                     kOid1 + R"(","size":0,"path":"sub"},
    {"type":"file","oid":")" +
                     kOid2 + R"(","size":12,"path":"sub/a.txt","xetHash":"zz",
     "lastCommit":{"id":"x","title":"t","date":"2024-01-02T03:04:05.000Z"}},
    {"type":"file","oid":")" +
                     kOid1 + R"(","size":5000,"path":"w.bin",
     "lfs":{"oid":")" +
                     kSha256 + R"(","size":5000,"pointerSize":134},"unknown":[1,2]}
  ])";
  auto r = ParseTreeEntries(json);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  const auto& dir = (*r)[0];
  EXPECT_TRUE(dir.is_directory);
  EXPECT_EQ(dir.path, "sub");
  EXPECT_EQ(dir.oid, kOid1);
  const auto& file = (*r)[1];
  EXPECT_FALSE(file.is_directory);
  EXPECT_EQ(file.size, 12u);
  EXPECT_FALSE(file.is_lfs);
  auto last = nlohmann::json::parse(file.last_commit_json);
  EXPECT_EQ(last["title"], "t");
  const auto& lfs = (*r)[2];
  EXPECT_TRUE(lfs.is_lfs);
  EXPECT_EQ(lfs.lfs_sha256, kSha256);
  EXPECT_EQ(lfs.lfs_pointer_size, 134u);
  EXPECT_EQ(lfs.size, 5000u);
  EXPECT_EQ(lfs.last_commit_json, "");
}

TEST(ParseTreeEntriesTest, DirectoryWithoutSizeAndEmptyArray) {
  auto r = ParseTreeEntries(R"([{"type":"directory","oid":")" + kOid1 + R"(","path":"d"}])");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].size, 0u);
  auto empty = ParseTreeEntries("[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseTreeEntriesTest, UpperCaseHexIsLowered) {
  std::string upper = "0123456789ABCDEF0123456789ABCDEF01234567";
  auto r = ParseTreeEntries(R"([{"type":"file","oid":")" + upper + R"(","size":1,"path":"a"}])");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].oid, kOid1);
}

void ExpectInvalid(const std::string& json) {
  auto r = ParseTreeEntries(json);
  ASSERT_FALSE(r.ok()) << json;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << json;
}

TEST(ParseTreeEntriesTest, RejectsMalformedAnswers) {
  ExpectInvalid("");
  ExpectInvalid("not json");
  ExpectInvalid(R"({"type":"file"})");
  ExpectInvalid("[1]");
  // Missing fields.
  ExpectInvalid(R"([{"oid":")" + kOid1 + R"(","size":1,"path":"a"}])");
  ExpectInvalid(R"([{"type":"file","size":1,"path":"a"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","path":"a"}])");
  // Wrong types and values.
  ExpectInvalid(R"([{"type":"symlink","oid":")" + kOid1 + R"(","size":1,"path":"a"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":"1","path":"a"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":-1,"path":"a"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1.5,"path":"a"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1,"path":7}])");
  ExpectInvalid(R"([{"type":"file","oid":"abc","size":1,"path":"a"}])");
  ExpectInvalid(R"([{"type":1,"oid":")" + kOid1 + R"(","size":1,"path":"a"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1,"path":"a","lfs":"x"}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 +
                R"(","size":1,"path":"a","lfs":{"oid":"short","size":1,"pointerSize":1}}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1,"path":"a","lfs":{"oid":")" +
                kSha256 + R"(","size":1}}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1,"path":"a","lfs":{"oid":")" +
                kSha256 + R"(","size":2,"pointerSize":1}}])");
  ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 +
                R"(","size":1,"path":"a","lastCommit":"x"}])");
}

TEST(ParseTreeEntriesTest, RejectsUnsafePaths) {
  for (const char* p : {"../x", "a/../b", "/etc/passwd", "a//b", "a\\\\b", "", "a/"}) {
    ExpectInvalid(R"([{"type":"file","oid":")" + kOid1 + R"(","size":1,"path":")" + p + R"("}])");
  }
}

TEST(ParseRevisionInfoTest, StripsXetFields) {
  std::string json = R"({"_id":"1","id":"org/name","sha":")" + kOid2 + R"(","xetEnabled":true,
    "siblings":[{"rfilename":"a.bin","xetHash":"abc","size":3},{"rfilename":"b"}],
    "private":false})";
  auto r = ParseRevisionInfo(json);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->commit, kOid2);
  auto j = nlohmann::json::parse(r->info_json);
  EXPECT_FALSE(j.contains("xetEnabled"));
  EXPECT_EQ(j["id"], "org/name");
  EXPECT_EQ(j["private"], false);
  ASSERT_EQ(j["siblings"].size(), 2u);
  EXPECT_FALSE(j["siblings"][0].contains("xetHash"));
  EXPECT_EQ(j["siblings"][0]["size"], 3);
  EXPECT_EQ(j["siblings"][1]["rfilename"], "b");
}

TEST(ParseRevisionInfoTest, RequiresShaAndId) {
  EXPECT_FALSE(ParseRevisionInfo(R"({"id":"org/name"})").ok());
  EXPECT_FALSE(ParseRevisionInfo(R"({"id":"org/name","sha":"main"})").ok());
  EXPECT_FALSE(ParseRevisionInfo(R"({"id":"org/name","sha":5})").ok());
  EXPECT_FALSE(ParseRevisionInfo(R"({"sha":")" + kOid1 + R"("})").ok());
  EXPECT_FALSE(ParseRevisionInfo(R"({"id":3,"sha":")" + kOid1 + R"("})").ok());
  EXPECT_FALSE(ParseRevisionInfo("[]").ok());
  EXPECT_FALSE(ParseRevisionInfo("{").ok());
  auto r = ParseRevisionInfo(R"({"id":"x","sha":")" + kOid1 + R"(","siblings":"odd"})");
  EXPECT_TRUE(r.ok());
}

TEST(ParseSiblingFilesTest, FilesWithBlobMetadata) {
  const std::string sha(64, 'a');
  auto files = ParseSiblingFiles(R"({"id":"x","siblings":[{"rfilename":"config.json","size":12,"blobId":")" +
                                 kOid1 + R"("},{"rfilename":"w/m.bin","size":99,"blobId":")" +
                                 kOid2 + R"(","lfs":{"sha256":")" + sha +
                                 R"(","size":99,"pointerSize":130}}]})");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "config.json");
  EXPECT_EQ((*files)[0].oid, kOid1);
  EXPECT_FALSE((*files)[0].is_lfs);
  EXPECT_EQ((*files)[1].size, 99u);
  EXPECT_TRUE((*files)[1].is_lfs);
  EXPECT_EQ((*files)[1].lfs_sha256, sha);
  EXPECT_EQ((*files)[1].lfs_pointer_size, 130u);
}

TEST(ParseSiblingFilesTest, RefusesInfoWithoutBlobsOrWithBadEntries) {
  for (const std::string& bad : {
           std::string(R"({"siblings":[{"rfilename":"a"}]})"),
           std::string(R"({"id":"x"})"),
           std::string(R"({"siblings":[{"rfilename":"../a","size":1,"blobId":")") + kOid1 + R"("}]})",
           std::string(R"({"siblings":[{"rfilename":"a","size":-1,"blobId":")") + kOid1 + R"("}]})",
           std::string(R"({"siblings":[{"rfilename":"a","size":1,"blobId":")") + kOid1 +
               R"(","lfs":{"sha256":"zz","size":1,"pointerSize":1}}]})",
           std::string("[]"),
           std::string("{"),
       }) {
    EXPECT_FALSE(ParseSiblingFiles(bad).ok()) << bad;
  }
}

TEST(EncodeTest, PathKeepsSlashes) {
  EXPECT_EQ(EncodePathForUrl("dir/sub dir/a+b#c?.bin"), "dir/sub%20dir/a%2Bb%23c%3F.bin");
  EXPECT_EQ(EncodePathForUrl("plain-file_1.2~x"), "plain-file_1.2~x");
  EXPECT_EQ(EncodePathForUrl("caf\xc3\xa9%"), "caf%C3%A9%25");
}

TEST(EncodeTest, RevisionEncodesSlashes) {
  EXPECT_EQ(EncodeRevisionForUrl("refs/pr/1"), "refs%2Fpr%2F1");
  EXPECT_EQ(EncodeRevisionForUrl("main"), "main");
  EXPECT_EQ(EncodeRevisionForUrl("v1.0 rc"), "v1.0%20rc");
}

}  // namespace
}  // namespace hubmirror
