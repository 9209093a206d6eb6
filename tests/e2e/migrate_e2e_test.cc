// End-to-end: a store written before chunk-level dedup (one file per object
// under objects/sha256/ab/<sha256>) is served as it is, and `hubmirror
// migrate` rewrites it as chunks that serve the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

const char* const kFiles[] = {"config.json", "README.md", "model.safetensors",
                              "weights/part-00001.bin", "tokenizer/tokenizer.json"};

std::map<std::string, std::string> DownloadAll(const std::string& mirror_url) {
  std::map<std::string, std::string> bodies;
  for (const char* path : kFiles) {
    HttpReply reply = HttpGet(mirror_url, std::string("/acme/tiny-model/resolve/main/") + path);
    EXPECT_EQ(reply.status, 200) << path;
    bodies[path] = reply.body;
  }
  return bodies;
}

size_t CountFiles(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    n += e.is_regular_file() ? 1 : 0;
  }
  return n;
}

TEST(MigrateE2eTest, LegacyStoreIsServedAndMigratedToChunks) {
  FakeHub hub;
  ASSERT_TRUE(hub.ok());
  TempDir store;
  std::map<std::string, std::string> expected;
  {
    Mirror mirror(store.path(), hub.api_url());
    ASSERT_TRUE(mirror.ok());
    expected = DownloadAll(mirror.url());
  }
  // Turn the store into the old layout: every object a plain file, no chunks.
  std::filesystem::remove_all(store.path() + "/chunks");
  for (const auto& [path, body] : expected) {
    const std::string sha = Sha256OfString(body);
    WriteFile(store.path() + "/objects/sha256/" + sha.substr(0, 2) + "/" + sha, body);
  }
  hub.Stop();

  {
    Mirror old_layout(store.path(), hub.api_url(), {"--offline"});
    ASSERT_TRUE(old_layout.ok());
    EXPECT_EQ(DownloadAll(old_layout.url()), expected) << "the old layout serves as it is";
  }

  CommandResult migrate = RunHubmirror({"migrate", "--store", store.path()});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.output;
  EXPECT_NE(migrate.output.find(std::to_string(std::size(kFiles)) + " objects rewritten"),
            std::string::npos)
      << migrate.output;
  EXPECT_EQ(CountFiles(store.path() + "/objects"), 0u);
  CommandResult verify = RunHubmirror({"verify", "--store", store.path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;

  Mirror migrated(store.path(), hub.api_url(), {"--offline"});
  ASSERT_TRUE(migrated.ok());
  EXPECT_EQ(DownloadAll(migrated.url()), expected) << "the migrated store serves the same bytes";
  // Safe to run again: nothing left to move.
  CommandResult again = RunHubmirror({"migrate", "--store", store.path()});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 objects rewritten"), std::string::npos) << again.output;
}

}  // namespace
}  // namespace hubmirror::e2e
