// End-to-end crash safety: `hubmirror serve` is SIGKILLed at 20 points of a
// pull-through ingest; after every crash `hubmirror verify` finds a clean
// store, and the restarted server never serves a partial object.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

TEST(CrashTest, SigkillDuringIngestNeverLeavesABadStore) {
  FakeHub hub;
  ASSERT_TRUE(hub.ok());
  TempDir store;
  const std::string big = "/acme/big-model/resolve/main/model.safetensors";
  const std::string expected = hub.DirectDownload("acme/big-model", "main", "model.safetensors");
  ASSERT_FALSE(expected.empty());
  // ~1.6 s per transfer, so kill points land in metadata, streaming and commit.
  hub.Control("/_fake/cdn-rate?bytes_per_sec=40000000");

  std::mt19937 random(20261123);  // fixed seed: failures are reproducible
  std::uniform_int_distribution<int> delay_ms(0, 1800);
  const std::vector<std::string> verify = {"verify", "--store", store.path()};
  for (int crash = 0; crash < 20; ++crash) {
    Mirror mirror(store.path(), hub.api_url());
    ASSERT_TRUE(mirror.ok()) << "restart " << crash;
    // A client whose download dies with the server; a second asks for a
    // small file too, so index writes happen around the kill as well.
    std::thread client([&] { HttpGet(mirror.url(), big); });
    std::thread small([&] { HttpGet(mirror.url(), "/acme/tiny-model/resolve/main/config.json"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    mirror.Kill();
    client.join();
    small.join();
    CommandResult check = RunHubmirror(verify);
    ASSERT_EQ(check.exit_code, 0) << "after crash " << crash << ":\n" << check.output;
  }

  // After the last crash: leftovers are cleaned at start and what is served
  // is exactly the upstream's bytes.
  hub.Control("/_fake/cdn-rate?bytes_per_sec=0");
  Mirror mirror(store.path(), hub.api_url());
  ASSERT_TRUE(mirror.ok());
  EXPECT_TRUE(std::filesystem::is_empty(store.path() + "/tmp"));
  HttpReply get = HttpGet(mirror.url(), big);
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(Sha256OfString(get.body), Sha256OfString(expected));
  mirror.Stop();
  // The xorbs of the interrupted ingests were removed at the restarts: the
  // xorbs hold the stored files (64 MiB, a few small ones), no more.
  uint64_t xorb_bytes = 0;
  for (const auto& [path, size] : ListFilesWithSizes(store.path() + "/xet/xorbs")) {
    xorb_bytes += size;
  }
  EXPECT_GT(xorb_bytes, expected.size());
  EXPECT_LE(xorb_bytes, expected.size() + expected.size() / 20 + (4u << 20));
  CommandResult final_check = RunHubmirror(verify);
  EXPECT_EQ(final_check.exit_code, 0) << final_check.output;
  EXPECT_NE(final_check.output.find("clean"), std::string::npos) << final_check.output;
}

TEST(CrashTest, VerifyReportsADamagedObject) {
  FakeHub hub;
  ASSERT_TRUE(hub.ok());
  TempDir store;
  {
    Mirror mirror(store.path(), hub.api_url());
    ASSERT_TRUE(mirror.ok());
    ASSERT_EQ(HttpGet(mirror.url(), "/acme/tiny-model/resolve/main/model.safetensors").status, 200);
  }
  // Flip one byte in the middle of the largest xorb (the model's chunks).
  std::string xorb;
  uint64_t largest = 0;
  for (const auto& [path, size] : ListFilesWithSizes(store.path() + "/xet/xorbs")) {
    if (size > largest) {
      xorb = path;
      largest = size;
    }
  }
  ASSERT_FALSE(xorb.empty());
  std::string bytes = ReadFile(xorb);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFile(xorb, bytes);
  CommandResult check = RunHubmirror({"verify", "--store", store.path()});
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("PROBLEM object"), std::string::npos) << check.output;
}

}  // namespace
}  // namespace hubmirror::e2e
