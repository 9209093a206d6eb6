// End-to-end: /metrics, /healthz, /readyz and the access log of the real
// binary, after real downloads through it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <map>
#include <sstream>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

// Sample values of a Prometheus text page, keyed by the series as written
// ("name{a=\"x\"}").
std::map<std::string, double> ParseSamples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.ok()) << "fake hub did not start";
    access_log_ = dir_.path() + "/access.jsonl";
    mirror_ = std::make_unique<Mirror>(dir_.path() + "/store", hub_.api_url(),
                                       std::vector<std::string>{"--access-log", access_log_});
    ASSERT_TRUE(mirror_->ok()) << "hubmirror did not start";
  }

  std::map<std::string, double> Scrape() {
    HttpReply reply = HttpGet(mirror_->url(), "/metrics");
    EXPECT_EQ(reply.status, 200);
    EXPECT_NE(reply.Header("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
    return ParseSamples(reply.body);
  }

  TempDir dir_;
  FakeHub hub_;
  std::unique_ptr<Mirror> mirror_;
  std::string access_log_;
};

TEST_F(MetricsTest, CountsRequestsHitsBytesAndUpstreamTraffic) {
  const std::string file = "/acme/tiny-model/resolve/main/model.safetensors";
  HttpReply cold = HttpGet(mirror_->url(), file);
  ASSERT_EQ(cold.status, 200);
  // The last byte leaves once verified; the commit (fsync, catalog) follows.
  // Until it is done, a second request would join the transfer.
  for (int i = 0; i < 200 && Scrape()["hubmirror_fetches_in_flight"] > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HttpReply warm = HttpGet(mirror_->url(), file);
  ASSERT_EQ(warm.status, 200);
  ASSERT_EQ(warm.body, cold.body);
  EXPECT_EQ(HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/nope.bin").status, 404);
  const double size = static_cast<double>(cold.body.size());

  std::map<std::string, double> m = Scrape();
  EXPECT_EQ(m["hubmirror_http_requests_total{route=\"resolve\",method=\"GET\",status=\"200\"}"], 2);
  EXPECT_EQ(m["hubmirror_http_requests_total{route=\"resolve\",method=\"GET\",status=\"404\"}"], 1);
  EXPECT_EQ(m["hubmirror_downloads_total{result=\"hit\"}"], 1);
  EXPECT_EQ(m["hubmirror_downloads_total{result=\"miss\"}"], 1);
  EXPECT_DOUBLE_EQ(m["hubmirror_cache_hit_ratio"], 0.5);
  EXPECT_EQ(m["hubmirror_served_bytes_total{source=\"store\"}"], size);
  EXPECT_EQ(m["hubmirror_served_bytes_total{source=\"pull_through\"}"], size);
  EXPECT_EQ(m["hubmirror_upstream_bytes_total"], size);
  EXPECT_GE(m["hubmirror_upstream_requests_total{kind=\"download\",outcome=\"ok\"}"], 1);
  EXPECT_GE(m["hubmirror_upstream_requests_total{kind=\"revision\",outcome=\"ok\"}"], 1);
  EXPECT_EQ(m["hubmirror_fetches_in_flight"], 0);
  EXPECT_EQ(m["hubmirror_http_request_duration_seconds_count{route=\"resolve\"}"], 3);
  EXPECT_EQ(m["hubmirror_http_request_duration_seconds_bucket{route=\"resolve\",le=\"+Inf\"}"], 3);
  EXPECT_GE(m["hubmirror_store_objects"], 1);
  EXPECT_GE(m["hubmirror_store_logical_bytes"], size);
  EXPECT_GT(m["hubmirror_store_physical_bytes"], 0);
  EXPECT_EQ(m["hubmirror_build_info{version=\"" HUBMIRROR_VERSION "\"}"], 1);
  EXPECT_EQ(m.count("hubmirror_sync_runs_total"), 1u);

  // An upstream that fails is counted as such.
  hub_.Stop();
  HttpGet(mirror_->url(), "/api/models/acme/never-seen/revision/main");
  m = Scrape();
  double errors = 0;
  for (const auto& [series, value] : m) {
    if (series.starts_with("hubmirror_upstream_errors_total{kind=\"revision\"")) errors += value;
  }
  EXPECT_GE(errors, 1);
}

TEST_F(MetricsTest, HealthAndReadiness) {
  HttpReply health = HttpGet(mirror_->url(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  nlohmann::json ready = nlohmann::json::parse(HttpGet(mirror_->url(), "/readyz").body);
  EXPECT_EQ(ready["ready"], true);
  EXPECT_EQ(ready["store"], "ok");
  EXPECT_EQ(ready["index"], "ok");
  EXPECT_EQ(ready["upstream"], "unknown");  // nothing asked upstream yet

  ASSERT_EQ(HttpGet(mirror_->url(), "/api/models/acme/tiny-model").status, 200);
  ready = nlohmann::json::parse(HttpGet(mirror_->url(), "/readyz").body);
  EXPECT_EQ(ready["upstream"], "reachable");

  // The upstream going away is reported, and the mirror stays ready: it keeps
  // serving what it stores.
  hub_.Stop();
  HttpGet(mirror_->url(), "/api/models/acme/never-seen/revision/main");
  HttpReply after = HttpGet(mirror_->url(), "/readyz");
  EXPECT_EQ(after.status, 200);
  ready = nlohmann::json::parse(after.body);
  EXPECT_EQ(ready["upstream"], "unreachable");
  EXPECT_TRUE(ready.contains("upstream_checked_at"));

  // A store that cannot take a write makes the mirror unready, naming why.
  // (Tests run as root, where permissions do not stop writes: a regular file
  // where the temp directory should be does.)
  const std::string tmp_dir = dir_.path() + "/store/tmp";
  ASSERT_EQ(std::system(("rm -rf '" + tmp_dir + "' && touch '" + tmp_dir + "'").c_str()), 0);
  HttpReply broken = HttpGet(mirror_->url(), "/readyz");
  EXPECT_EQ(broken.status, 503);
  ready = nlohmann::json::parse(broken.body);
  EXPECT_EQ(ready["ready"], false);
  EXPECT_NE(ready["store"].get<std::string>().find("not writable"), std::string::npos);
  EXPECT_EQ(HttpGet(mirror_->url(), "/healthz").status, 200);
}

TEST_F(MetricsTest, AccessLogHasOneLinePerRequestAndNoToken) {
  const std::string file = "/acme/tiny-model/resolve/main/config.json";
  ASSERT_EQ(HttpGet(mirror_->url(), file, {{"User-Agent", "metrics-test/1"}}).status, 200);
  ASSERT_EQ(HttpGet(mirror_->url(), file, {{"Authorization", "Bearer secret-of-client"}}).status,
            200);
  ASSERT_EQ(HttpRequest(mirror_->url(), "HEAD", file).status, 200);
  ASSERT_EQ(HttpGet(mirror_->url(), "/acme/tiny-model/resolve/main/%2e%2e/x").status, 400);
  mirror_->Stop();  // lines of streamed bodies are written when they end

  std::string text = ReadFile(access_log_);
  EXPECT_EQ(text.find("secret-of-client"), std::string::npos);
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << line;
    lines.push_back(doc);
  }
  ASSERT_EQ(lines.size(), 4u) << text;
  std::map<std::string, int> by_method_status;
  for (const nlohmann::json& doc : lines) {
    for (const char* key : {"time", "remote", "who", "method", "target", "route", "status", "bytes",
                            "duration_ms", "user_agent"}) {
      EXPECT_TRUE(doc.contains(key)) << key << " missing in " << doc.dump();
    }
    by_method_status[doc["method"].get<std::string>() + " " + std::to_string(doc["status"].get<int>())]++;
    if (doc["method"] == "GET" && doc["status"] == 200) {
      EXPECT_EQ(doc["target"], file);
      EXPECT_EQ(doc["route"], "resolve");
      EXPECT_GT(doc["bytes"].get<uint64_t>(), 0u);
      EXPECT_EQ(doc["complete"], true);
    }
    if (doc["method"] == "HEAD") EXPECT_EQ(doc["bytes"], 0);
  }
  EXPECT_EQ(by_method_status["GET 200"], 2);
  EXPECT_EQ(by_method_status["HEAD 200"], 1);
  EXPECT_EQ(by_method_status["GET 400"], 1);
  bool saw_agent = false;
  for (const nlohmann::json& doc : lines) saw_agent |= doc["user_agent"] == "metrics-test/1";
  EXPECT_TRUE(saw_agent);
}

}  // namespace
}  // namespace hubmirror::e2e
