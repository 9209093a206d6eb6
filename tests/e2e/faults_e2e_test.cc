// End-to-end: the upstream misbehaves (fake hub fault modes) while clients
// pull through the real `hubmirror serve`. In every case a client gets either
// the right bytes or a transfer that visibly fails, nothing corrupt is
// committed (`hubmirror verify` stays clean), and once the fault clears the
// next request succeeds.
#include <gtest/gtest.h>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.ok());
    // These faults are the HTTP path's (the CDN); Xet's: test_xet_pull.py.
    mirror_ = std::make_unique<Mirror>(store_.path(), hub_.api_url(),
                                       std::vector<std::string>{"--no-xet-pull"});
    ASSERT_TRUE(mirror_->ok());
  }

  // Verifies the store with the real CLI; "" when clean, else its output.
  std::string VerifyProblems() {
    CommandResult check = RunHubmirror({"verify", "--store", store_.path()});
    return check.exit_code == 0 ? "" : check.output;
  }

  std::string Expected(const std::string& repo, const std::string& path) {
    return Sha256OfString(hub_.DirectDownload(repo, "main", path));
  }

  TempDir store_;
  FakeHub hub_;
  std::unique_ptr<Mirror> mirror_;
};

const char kBig[] = "/acme/tiny-model/resolve/main/model.safetensors";

TEST_F(FaultTest, TransientFaultsAreRiddenOutWithTheRightBytes) {
  const std::string expected = Expected("acme/tiny-model", "model.safetensors");
  // One each: a 503, an expired CDN URL, a wrong X-Linked-Size, a connection
  // dropped after 1 MiB of the body.
  hub_.Control("/_fake/fault?kind=5xx");
  hub_.Control("/_fake/fault?kind=expired-url");
  hub_.Control("/_fake/fault?kind=wrong-size");
  hub_.Control("/_fake/drop-connection?after=1048576");
  hub_.ResetStats();
  HttpReply get = HttpGet(mirror_->url(), kBig);
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(Sha256OfString(get.body), expected);
  bool resumed = false;
  std::string cdn_requests;
  // Keep the document alive: a range-for over a temporary's member dangles.
  const nlohmann::json stats = hub_.Stats();
  for (const auto& request : stats["requests"]) {
    if (request["host"] != "cdn") continue;
    cdn_requests += request.dump() + "\n";
    if (request["range"].get<std::string>().rfind("bytes=", 0) == 0) resumed = true;
  }
  EXPECT_TRUE(resumed) << "the dropped transfer resumes with Range:\n"
                       << cdn_requests;
  EXPECT_EQ(VerifyProblems(), "");
}

TEST_F(FaultTest, CorruptBodyNeverFinishesCleanlyAndIsNotCommitted) {
  const std::string expected = Expected("acme/tiny-model", "model.safetensors");
  hub_.Control("/_fake/fault?kind=corrupt");
  HttpReply corrupt = HttpGet(mirror_->url(), kBig);
  // Headers went out before the hash could be checked: the transfer breaks
  // before its last byte instead of ending cleanly with wrong bytes.
  EXPECT_TRUE(corrupt.status == 0 || Sha256OfString(corrupt.body) == expected)
      << "status " << corrupt.status << ", " << corrupt.body.size() << " bytes";
  EXPECT_NE(corrupt.status, 200) << "a corrupt transfer must not finish cleanly";
  EXPECT_EQ(VerifyProblems(), "");
  // The fault is gone: the next request fetches again and succeeds.
  HttpReply good = HttpGet(mirror_->url(), kBig);
  ASSERT_EQ(good.status, 200);
  EXPECT_EQ(Sha256OfString(good.body), expected);
  EXPECT_EQ(VerifyProblems(), "");
}

TEST_F(FaultTest, CorruptBodyNeverEndsARangeCleanly) {
  const std::string whole = hub_.DirectDownload("acme/tiny-model", "main", "model.safetensors");
  ASSERT_EQ(whole.size(), 3u << 20);
  // The fake flips the byte at the middle (1.5 MiB); the range ends at 2 MiB,
  // a second before the throttled transfer is complete and found corrupt.
  hub_.Control("/_fake/fault?kind=corrupt");
  hub_.Control("/_fake/cdn-rate?bytes_per_sec=1048576");
  HttpReply part = HttpGet(mirror_->url(), kBig, {{"Range", "bytes=1048576-2097151"}});
  EXPECT_TRUE(part.status != 206 || part.body == whole.substr(1048576, 1048576))
      << "a 206 finished cleanly with unverified, wrong bytes";
  EXPECT_NE(part.status, 206) << "the range held the corrupt byte";
  hub_.Control("/_fake/cdn-rate?bytes_per_sec=0");
  EXPECT_EQ(VerifyProblems(), "");
  HttpReply good = HttpGet(mirror_->url(), kBig, {{"Range", "bytes=1048576-2097151"}});
  ASSERT_EQ(good.status, 206);
  EXPECT_EQ(good.body, whole.substr(1048576, 1048576));
}

TEST_F(FaultTest, RedirectLoopFailsVisiblyThenRecovers) {
  const std::string expected = Expected("acme/tiny-model", "model.safetensors");
  // Enough loops to exhaust one transfer's redirect budget.
  hub_.Control("/_fake/fault?kind=redirect-loop&count=6");
  HttpReply looped = HttpGet(mirror_->url(), kBig);
  EXPECT_NE(looped.status, 200);
  EXPECT_EQ(VerifyProblems(), "");
  HttpReply good = HttpGet(mirror_->url(), kBig);
  ASSERT_EQ(good.status, 200);
  EXPECT_EQ(Sha256OfString(good.body), expected);
}

TEST_F(FaultTest, AfterAFailedTransferTheNextRequestResumes) {
  const std::string expected = Expected("acme/tiny-model", "model.safetensors");
  // More drops than the fetcher's attempts: the first request fails visibly
  // after 5 x 64 KiB arrived.
  hub_.Control("/_fake/drop-connection?after=65536&count=5");
  HttpReply broken = HttpGet(mirror_->url(), kBig);
  EXPECT_NE(broken.status, 200);
  hub_.ResetStats();
  HttpReply good = HttpGet(mirror_->url(), kBig);
  ASSERT_EQ(good.status, 200);
  EXPECT_EQ(Sha256OfString(good.body), expected);
  const nlohmann::json stats = hub_.Stats();
  std::string first_cdn_range = "(none)";
  for (const auto& request : stats["requests"]) {
    if (request["host"] == "cdn") {
      first_cdn_range = request["range"];
      break;
    }
  }
  EXPECT_EQ(first_cdn_range, "bytes=327680-") << "resumes where the failed transfer ended";
  EXPECT_EQ(VerifyProblems(), "");
}

TEST_F(FaultTest, SlowUpstreamStillDelivers) {
  const std::string expected = Expected("acme/tiny-model-ft", "adapter.safetensors");
  hub_.Control("/_fake/cdn-rate?bytes_per_sec=65536");  // 512 KiB in ~8 s
  HttpReply get = HttpGet(mirror_->url(), "/acme/tiny-model-ft/resolve/main/adapter.safetensors");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(Sha256OfString(get.body), expected);
}

}  // namespace
}  // namespace hubmirror::e2e
