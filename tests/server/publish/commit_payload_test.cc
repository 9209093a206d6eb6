#include "server/publish/commit_payload.h"

#include <gtest/gtest.h>

#include <string>

namespace hubmirror {
namespace {

const std::string kHeader = R"({"key":"header","value":{"summary":"s","parentCommit":"ABCDEF1"}})";

TEST(CommitPayloadTest, ParsesEveryOperation) {
  const std::string body =
      kHeader + "\n" +
      R"({"key":"file","value":{"path":"a.txt","content":"aGVsbG8K","encoding":"base64"}})" "\n"
      R"({"key":"lfsFile","value":{"path":"w.bin","algo":"sha256","oid":")" +
      std::string(64, 'b') + R"(","size":7}})" "\n"
      R"({"key":"deletedFile","value":{"path":"old.txt"}})" "\n"
      R"({"key":"deletedFolder","value":{"path":"logs"}})" "\n";
  Result<CommitPayload> payload = ParseCommitPayload(body);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(payload->summary, "s");
  EXPECT_EQ(payload->parent_commit, "abcdef1");
  ASSERT_EQ(payload->operations.size(), 4u);
  EXPECT_EQ(payload->operations[0].content, "hello\n");
  EXPECT_EQ(payload->operations[1].kind, CommitOperation::Kind::kLfsFile);
  EXPECT_EQ(payload->operations[1].size, 7u);
  EXPECT_EQ(payload->operations[2].kind, CommitOperation::Kind::kDeletedFile);
  EXPECT_EQ(payload->operations[3].path, "logs");
}

TEST(CommitPayloadTest, RefusesWhatIsNotAWellFormedCommit) {
  const std::string file = R"({"key":"file","value":{"path":"a","content":"","encoding":"base64"}})";
  for (const std::string& body : {
           std::string(""),
           file + "\n",                                  // no header first
           kHeader + "\n" + kHeader + "\n",              // two headers
           kHeader + "\nnot json\n",
           kHeader + "\n" + R"({"key":"bogus","value":{}})" + "\n",
           kHeader + "\n" + file + "\n" + file + "\n",   // the same path twice
           kHeader + "\n" + R"({"key":"file","value":{"path":"../x","content":"","encoding":"base64"}})" + "\n",
           kHeader + "\n" + R"({"key":"file","value":{"path":"a","content":"!!!!","encoding":"base64"}})" + "\n",
           kHeader + "\n" + R"({"key":"lfsFile","value":{"path":"a","algo":"sha256","oid":"xyz"}})" + "\n",
           std::string(R"({"key":"header","value":{"summary":"s","parentCommit":"zz"}})") + "\n",
       }) {
    Result<CommitPayload> payload = ParseCommitPayload(body);
    EXPECT_FALSE(payload.ok()) << body;
    if (!payload.ok()) {
      EXPECT_EQ(payload.status().code(), StatusCode::kInvalidArgument) << body;
    }
  }
}

TEST(CommitPayloadTest, Base64IsStrict) {
  EXPECT_EQ(*DecodeBase64(""), "");
  EXPECT_EQ(*DecodeBase64("aGk="), "hi");
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  for (std::string_view bad : {"aGk", "aGk==", "a===", "aG!=", "aGk=aGk=", "====", "aGl="}) {
    EXPECT_FALSE(DecodeBase64(bad).ok()) << bad;
  }
  for (const std::string& text : {std::string(""), std::string("a"), std::string("ab"),
                                   std::string("abc"), std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*DecodeBase64(EncodeBase64(text)), text);
  }
}

}  // namespace
}  // namespace hubmirror
