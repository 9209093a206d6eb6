// End-to-end: access by token, gated repos, the audit log, and the upstream
// token never leaving the mirror (responses, headers, logs).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "store/hash.h"
#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

constexpr char kUpstreamToken[] = "hf_fake_gated_token";

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(hub_.ok()) << "fake hub did not start"; }

  // A mirror holding the upstream token, with `access` as its [access] section.
  void StartMirror(const std::string& access) {
    config_ = dir_.path() + "/hubmirror.toml";
    audit_ = dir_.path() + "/audit.jsonl";
    log_ = dir_.path() + "/mirror.log";
    WriteFile(config_, "[access]\naudit_log = \"" + audit_ + "\"\n" + access);
    mirror_ = std::make_unique<Mirror>(dir_.path() + "/store", hub_.api_url(),
                                       std::vector<std::string>{"--config", config_},
                                       std::map<std::string, std::string>{{"HF_TOKEN", kUpstreamToken}},
                                       log_);
    ASSERT_TRUE(mirror_->ok()) << "hubmirror did not start";
  }

  HttpReply Get(const std::string& target, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return HttpGet(mirror_->url(), target, headers);
  }

  TempDir dir_;
  FakeHub hub_;
  std::unique_ptr<Mirror> mirror_;
  std::string config_, audit_, log_;
};

const char kTwoTokens[] =
    "[[access.tokens]]\nname = \"ml-team\"\ntoken = \"team-secret\"\n"
    "repos = [\"acme/gated-*\", \"acme/tiny-model\"]\n"
    "[[access.tokens]]\nname = \"data-team\"\ntoken_sha256 = \"SHA\"\n"
    "repos = [\"datasets/acme/*\"]\n";

std::string TwoTokens() {
  std::string config = kTwoTokens;
  config.replace(config.find("SHA"), 3, Sha256Hex("data-secret"));
  return config;
}

TEST_F(AccessTest, GatedRepoOnlyForTokensAllowedIt) {
  StartMirror(TwoTokens());
  const std::string gated = "/acme/gated-model/resolve/main/model.safetensors";
  HttpReply anonymous = Get(gated);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("X-Error-Code"), "GatedRepo");
  HttpReply other_team = Get(gated, "data-secret");
  EXPECT_EQ(other_team.status, 403);
  EXPECT_EQ(other_team.Header("X-Error-Code"), "GatedRepo");
  HttpReply allowed = Get(gated, "team-secret");
  ASSERT_EQ(allowed.status, 200);
  // The fake hub serves the gated file only with its token; the LFS etag is
  // the sha256 of the bytes it promised.
  EXPECT_EQ("\"" + Sha256OfString(allowed.body) + "\"", allowed.Header("X-Linked-Etag"));
  // The mirror's token went to the API only, never to the CDN: its LFS and
  // xorb URLs are presigned; only the CAS API (/cas/) takes a credential,
  // the Xet read token the API handed out.
  // Keep the document alive: a range-for over a temporary's member dangles.
  const nlohmann::json stats = hub_.Stats();
  for (const auto& request : stats["requests"]) {
    if (request["host"] == "cdn") {
      const bool cas = request["target"].get<std::string>().rfind("/cas/", 0) == 0;
      EXPECT_EQ(request["authorization"].get<bool>(), cas) << request.dump();
    }
  }
  // Metadata is guarded the same way.
  EXPECT_EQ(Get("/api/models/acme/gated-model/revision/main").status, 401);
  EXPECT_EQ(Get("/api/models/acme/gated-model/revision/main", "team-secret").status, 200);
}

TEST_F(AccessTest, TokensReachOnlyTheirPatternsAndUnknownTokensAreRefused) {
  StartMirror(TwoTokens());
  EXPECT_EQ(Get("/acme/tiny-model/resolve/main/config.json").status, 200) << "anonymous, public";
  EXPECT_EQ(Get("/acme/tiny-model/resolve/main/config.json", "team-secret").status, 200);
  HttpReply outside = Get("/acme/tiny-model/resolve/main/config.json", "data-secret");
  EXPECT_EQ(outside.status, 404);
  EXPECT_EQ(outside.Header("X-Error-Code"), "RepoNotFound");
  EXPECT_EQ(Get("/datasets/acme/tiny-dataset/resolve/main/data/test.jsonl", "data-secret").status,
            200);
  HttpReply unknown = Get("/acme/tiny-model/resolve/main/config.json", "guess");
  EXPECT_EQ(unknown.status, 401);
}

TEST_F(AccessTest, AnonymousAccessCanBeTurnedOff) {
  StartMirror("anonymous = false\n" + TwoTokens());
  HttpReply anonymous = Get("/acme/tiny-model/resolve/main/config.json");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(Get("/api/models/acme/tiny-model/tree/main").status, 401);
  EXPECT_EQ(Get("/acme/tiny-model/resolve/main/config.json", "team-secret").status, 200);
}

TEST_F(AccessTest, WhoAmINamesTheMirrorTokenAndNeverAsksUpstream) {
  StartMirror(TwoTokens());
  HttpReply team = Get("/api/whoami-v2", "team-secret");
  ASSERT_EQ(team.status, 200) << team.body;
  const nlohmann::json who = nlohmann::json::parse(team.body);
  EXPECT_EQ(who["name"], "ml-team");
  EXPECT_TRUE(who["orgs"].is_array());
  EXPECT_EQ(who["auth"]["accessToken"]["role"], "read");
  // @huggingface/hub turns createdAt into a Date.
  EXPECT_EQ(who["auth"]["accessToken"]["createdAt"].get<std::string>().size(),
            std::string("2024-01-02T03:04:05.000Z").size());
  EXPECT_EQ(Get("/api/whoami-v2", "guess").status, 401);
  HttpReply anonymous = Get("/api/whoami-v2");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("X-Error-Code"), "Unauthorized");
  const nlohmann::json stats = hub_.Stats();
  for (const auto& request : stats["requests"]) {
    EXPECT_EQ(request["target"].get<std::string>().find("whoami"), std::string::npos)
        << request.dump();
  }
}

TEST_F(AccessTest, WhoAmIWithoutConfiguredTokensAcceptsAnyToken) {
  // No [[access.tokens]]: a client's own huggingface.co token is ignored, so
  // `hf auth login` against the mirror succeeds and downloads stay anonymous.
  StartMirror("");
  HttpReply who = Get("/api/whoami-v2", "hf_anything");
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(nlohmann::json::parse(who.body)["name"], "anonymous");
}

TEST_F(AccessTest, AuditLogRecordsEveryDownload) {
  StartMirror(TwoTokens());
  ASSERT_EQ(Get("/acme/tiny-model/resolve/main/config.json", "team-secret").status, 200);
  ASSERT_EQ(Get("/acme/gated-model/resolve/main/config.json").status, 401);
  ASSERT_EQ(HttpGet(mirror_->url(), "/acme/tiny-model/resolve/v1/model.safetensors",
                    {{"Range", "bytes=0-99"}})
                .status,
            206);
  mirror_->Stop();  // flushes nothing it hasn't already: each line is flushed
  std::istringstream lines(ReadFile(audit_));
  // A record is written when its transfer ends, so lines follow completion
  // order, not request order: key them by repo and revision.
  std::map<std::string, nlohmann::json> records;
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json record = nlohmann::json::parse(line);
    records[record["repo"].get<std::string>() + "@" + record["revision"].get<std::string>()] =
        record;
  }
  ASSERT_EQ(records.size(), 3u);
  const nlohmann::json& team = records["acme/tiny-model@main"];
  EXPECT_EQ(team["who"], "ml-team");
  EXPECT_EQ(team["file"], "config.json");
  EXPECT_EQ(team["status"], 200);
  EXPECT_EQ(team["commit"].get<std::string>().size(), 40u);
  EXPECT_TRUE(team["complete"].get<bool>());
  EXPECT_GT(team["bytes"].get<uint64_t>(), 0u);
  const nlohmann::json& refused = records["acme/gated-model@main"];
  EXPECT_EQ(refused["who"], "anonymous");
  EXPECT_EQ(refused["status"], 401);
  const nlohmann::json& range = records["acme/tiny-model@v1"];
  EXPECT_EQ(range["status"], 206);
  EXPECT_EQ(range["bytes"], 100);
}

TEST_F(AccessTest, UpstreamTokenNeverLeaves) {
  StartMirror(TwoTokens());
  std::string everything;
  for (const char* target :
       {"/acme/gated-model/resolve/main/model.safetensors", "/acme/missing/resolve/main/x",
        "/acme/tiny-model/resolve/nope/x", "/acme/tiny-model/resolve/main/missing.bin",
        "/api/models/acme/gated-model/revision/main", "/api/models/acme/tiny-model/tree/main",
        "/acme/tiny-model/resolve/main/model.safetensors", "/api/status", "/"}) {
    for (const std::string& token : {std::string(), std::string("team-secret")}) {
      HttpReply reply = Get(target, token);
      everything += reply.body;
      for (const auto& [k, v] : reply.headers) everything += k + ": " + v + "\n";
    }
  }
  hub_.Stop();  // upstream failures produce messages too
  for (const char* target : {"/acme/tiny-model-ft/resolve/main/config.json",
                             "/api/models/acme/never-seen/revision/main"}) {
    HttpReply reply = Get(target);
    everything += reply.body;
    for (const auto& [k, v] : reply.headers) everything += k + ": " + v + "\n";
  }
  mirror_->Stop();
  everything += ReadFile(log_) + ReadFile(audit_);
  ASSERT_FALSE(everything.empty());
  EXPECT_EQ(everything.find(kUpstreamToken), std::string::npos);
  EXPECT_EQ(everything.find("team-secret"), std::string::npos);
}

}  // namespace
}  // namespace hubmirror::e2e
