// End-to-end crash safety: `hubmirror serve` is SIGKILLed at 20 points of a
// pull-through ingest; after every crash `hubmirror verify` finds a clean
// store, and the restarted server never serves a partial object.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <filesystem>
#include <random>
#include <thread>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(("timeout 120 " + command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

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
  const std::string verify = std::string("'") + HUBMIRROR_BIN + "' verify --store '" +
                             store.path() + "'";
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
    CommandResult check = RunCommand(verify);
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
  CommandResult final_check = RunCommand(verify);
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
  // Flip one byte in the middle of the pack that holds it.
  std::string pack;
  for (const auto& [path, size] : ListFilesWithSizes(store.path() + "/chunks/packs")) {
    if (size > 0) pack = path;
  }
  ASSERT_FALSE(pack.empty());
  std::string bytes = ReadFile(pack);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFile(pack, bytes);
  CommandResult check =
      RunCommand(std::string("'") + HUBMIRROR_BIN + "' verify --store '" + store.path() + "'");
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("PROBLEM object"), std::string::npos) << check.output;
}

}  // namespace
}  // namespace hubmirror::e2e
