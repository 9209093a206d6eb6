// End-to-end: a store with a size limit. A repo synced in mirror mode is
// pinned and survives; least recently served files are evicted and pulled
// again on request; `gc`, `verify`, `ls`, `pin` and `unpin` run beside the
// serving process.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

using nlohmann::json;

class EvictionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(hub_.ok()) << "fake hub did not start"; }

  json Ls() {
    CommandResult ls = RunHubmirror({"ls", "--json", "--store", store_.path()}, {}, false);
    EXPECT_EQ(ls.exit_code, 0) << ls.output;
    json doc = json::parse(ls.output, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << ls.output;
    return doc;
  }
  json Repo(const json& ls, const std::string& type, const std::string& id) {
    for (const json& r : ls["repos"]) {
      if (r["type"] == type && r["id"] == id) return r;
    }
    return json();
  }
  // GET through the mirror, checked against the fake hub's own bytes.
  void ExpectServed(const std::string& prefix_and_id, const std::string& path) {
    HttpReply reply = HttpGet(mirror_->url(), "/" + prefix_and_id + "/resolve/main/" + path);
    ASSERT_EQ(reply.status, 200) << prefix_and_id << "/" << path << ": " << reply.body;
    EXPECT_EQ(reply.body, hub_.DirectDownload(prefix_and_id, "main", path)) << path;
  }

  FakeHub hub_;
  TempDir store_;
  std::unique_ptr<Mirror> mirror_;
};

TEST_F(EvictionTest, PinnedRepoSurvivesAndEvictedFileIsPulledAgain) {
  CommandResult sync = RunHubmirror({"sync", "--store", store_.path(), "--upstream",
                                     hub_.api_url(), "datasets/acme/tiny-dataset"});
  ASSERT_EQ(sync.exit_code, 0) << sync.output;
  json synced = Repo(Ls(), "dataset", "acme/tiny-dataset");
  ASSERT_TRUE(synced.is_object());
  EXPECT_EQ(synced["pinned"], json::array({"main"})) << "mirror mode pins what it syncs";
  const uint64_t dataset_files = synced["files"];
  EXPECT_EQ(synced["files_stored"], dataset_files);

  // 5 MiB: the pinned dataset (~2 MiB) and the files below (~5.5 MiB) do not fit.
  mirror_ = std::make_unique<Mirror>(store_.path(), hub_.api_url(),
                                     std::vector<std::string>{"--max-store-bytes", "5M"});
  ASSERT_TRUE(mirror_->ok());
  ExpectServed("gpt-mini", "pytorch_model.bin");                // 1 MiB, served first
  ExpectServed("acme/tiny-model", "model.safetensors");         // 3 MiB
  ExpectServed("acme/tiny-model", "weights/part-00001.bin");    // 1.5 MiB, served last

  // The limit is enforced in the background within seconds.
  json ls;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    ls = Ls();
    if (Repo(ls, "model", "gpt-mini")["files_stored"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(Repo(ls, "model", "gpt-mini")["files_stored"], 0)
      << "the least recently served file is evicted: " << ls.dump();
  EXPECT_GE(Repo(ls, "model", "gpt-mini")["files"], 1) << "its metadata stays";
  EXPECT_EQ(Repo(ls, "dataset", "acme/tiny-dataset")["files_stored"], dataset_files)
      << "the pinned repo survives: " << ls.dump();
  CommandResult du = RunHubmirror({"du", "--json", "--store", store_.path()}, {}, false);
  ASSERT_EQ(du.exit_code, 0);
  EXPECT_LE(json::parse(du.output)["total"]["stored_bytes"].get<uint64_t>(), 5u << 20);

  // The evicted file is pulled through again on request, with the right bytes.
  hub_.ResetStats();
  ExpectServed("gpt-mini", "pytorch_model.bin");
  EXPECT_GE(hub_.Stats()["cdn_requests"].get<int>(), 1) << "fetched from upstream again";
  // Pinned files are served from the store.
  hub_.ResetStats();
  HttpReply data = HttpGet(mirror_->url(), "/datasets/acme/tiny-dataset/resolve/main/data/train.jsonl");
  EXPECT_EQ(data.status, 200);
  EXPECT_EQ(hub_.Stats()["cdn_requests"], 0);

  // gc and verify beside the running server leave a consistent store that
  // still serves every file.
  CommandResult gc = RunHubmirror({"gc", "--store", store_.path(), "--min-age", "0"});
  EXPECT_EQ(gc.exit_code, 0) << gc.output;
  EXPECT_NE(gc.output.find("unreferenced objects"), std::string::npos) << gc.output;
  CommandResult verify = RunHubmirror({"verify", "--store", store_.path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  ExpectServed("acme/tiny-model", "weights/part-00001.bin");
  ExpectServed("gpt-mini", "pytorch_model.bin");

  // pin / unpin / ls as an operator uses them.
  CommandResult pin = RunHubmirror({"pin", "--store", store_.path(), "acme/tiny-model"});
  EXPECT_EQ(pin.exit_code, 0) << pin.output;
  EXPECT_EQ(Repo(Ls(), "model", "acme/tiny-model")["pinned"], json::array({""}));
  CommandResult wrong = RunHubmirror({"unpin", "--store", store_.path(), "acme/tiny-model@v9"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.output.find("is not pinned"), std::string::npos) << wrong.output;
  CommandResult unpin = RunHubmirror({"unpin", "--store", store_.path(), "acme/tiny-model"});
  EXPECT_EQ(unpin.exit_code, 0) << unpin.output;
  CommandResult table = RunHubmirror({"ls", "--store", store_.path()});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.output.find("datasets/acme/tiny-dataset"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("main@"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("ago)"), std::string::npos) << "last access shown: " << table.output;
}

TEST_F(EvictionTest, BadLimitsAreRefused) {
  CommandResult bad = RunHubmirror({"serve", "--store", store_.path(), "--max-store-bytes", "5Q"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("is not a size"), std::string::npos) << bad.output;
  CommandResult bad_pin = RunHubmirror({"pin", "--store", store_.path(), "acme/*"});
  EXPECT_EQ(bad_pin.exit_code, 2) << bad_pin.output;
}

}  // namespace
}  // namespace hubmirror::e2e
