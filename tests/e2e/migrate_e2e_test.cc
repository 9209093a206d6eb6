// End-to-end: stores of the two older layouts, one file per object under
// objects/sha256/ab/<sha256> and FastCDC chunks in chunks/ packs (what the
// previous release wrote), are served as they are, and `hubmirror migrate`
// rewrites them as Xet chunks in xorbs that serve the same bytes, with every
// index row given its Xet hash; `verify` is clean and a second migrate
// finds nothing to do.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "store/hash.h"
#include "store/index/index.h"
#include "store/legacy/pack_object_store.h"
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

enum class OldLayout { kFiles, kPacks };

// Rewrites the store's objects in an older layout, as that release left
// them: no xorbs, and index rows without Xet hashes.
void RewriteAs(OldLayout layout, const std::string& store,
               const std::map<std::string, std::string>& bodies) {
  std::filesystem::remove_all(store + "/xet");
  std::unique_ptr<Env> env = NewPosixEnv();
  if (layout == OldLayout::kFiles) {
    for (const auto& [path, body] : bodies) {
      const std::string sha = Sha256OfString(body);
      WriteFile(store + "/objects/sha256/" + sha.substr(0, 2) + "/" + sha, body);
    }
  } else {
    auto packs = NewPackObjectStore(env.get(), store);
    ASSERT_TRUE(packs.ok()) << packs.status().ToString();
    for (const auto& [path, body] : bodies) {
      auto writer = (*packs)->NewWriter(ObjectPromise{body.size(), Sha256OfString(body), ""});
      ASSERT_TRUE(writer.ok());
      ASSERT_TRUE((*writer)->Append(body.data(), body.size()).ok());
      ASSERT_TRUE((*writer)->Commit().ok());
    }
  }
  auto index = Index::Open(store + "/index.sqlite");
  ASSERT_TRUE(index.ok());
  auto rows = (*index)->ListObjects();
  ASSERT_TRUE(rows.ok());
  for (const ObjectRecord& row : *rows) {
    ASSERT_TRUE((*index)->RemoveObject(row.sha256).ok());
    ASSERT_TRUE((*index)->PutObject(ObjectRecord{row.sha256, row.git_sha1, row.size, ""}).ok());
  }
}

class MigrateE2eTest : public ::testing::TestWithParam<OldLayout> {};

TEST_P(MigrateE2eTest, OldLayoutIsServedAndMigratedToXorbs) {
  FakeHub hub;
  ASSERT_TRUE(hub.ok());
  TempDir store;
  std::map<std::string, std::string> expected;
  {
    Mirror mirror(store.path(), hub.api_url());
    ASSERT_TRUE(mirror.ok());
    expected = DownloadAll(mirror.url());
  }
  ASSERT_NO_FATAL_FAILURE(RewriteAs(GetParam(), store.path(), expected));
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
  EXPECT_NE(migrate.output.find("migrated"), std::string::npos) << "progress lines: "
                                                                 << migrate.output;
  EXPECT_FALSE(std::filesystem::exists(store.path() + "/objects"));
  EXPECT_FALSE(std::filesystem::exists(store.path() + "/chunks"));
  EXPECT_GT(CountFiles(store.path() + "/xet/xorbs"), 0u);
  CommandResult verify = RunHubmirror({"verify", "--store", store.path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("clean"), std::string::npos) << verify.output;
  {
    auto index = Index::Open(store.path() + "/index.sqlite");
    ASSERT_TRUE(index.ok());
    auto rows = (*index)->ListObjects();
    ASSERT_TRUE(rows.ok());
    for (const ObjectRecord& row : *rows) {
      EXPECT_TRUE(IsLowerHex(row.xet_hash, 64)) << row.sha256 << " has no Xet hash";
    }
  }

  Mirror migrated(store.path(), hub.api_url(), {"--offline"});
  ASSERT_TRUE(migrated.ok());
  EXPECT_EQ(DownloadAll(migrated.url()), expected) << "the migrated store serves the same bytes";
  // Safe to run again: nothing left to move.
  CommandResult again = RunHubmirror({"migrate", "--store", store.path()});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 objects rewritten"), std::string::npos) << again.output;
}

INSTANTIATE_TEST_SUITE_P(Layouts, MigrateE2eTest,
                         ::testing::Values(OldLayout::kFiles, OldLayout::kPacks),
                         [](const auto& info) {
                           return info.param == OldLayout::kFiles ? "OneFilePerObject"
                                                                  : "PacksOfThePreviousRelease";
                         });

}  // namespace
}  // namespace hubmirror::e2e
