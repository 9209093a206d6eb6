#include "server/access/access_policy.h"

#include <gtest/gtest.h>

#include <fstream>

#include "server/access/audit_log.h"
#include "store/hash.h"
#include "store/human_format.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

AccessOptions TwoTokens(bool anonymous) {
  AccessOptions options;
  options.anonymous = anonymous;
  options.tokens = {{"ml-team", Sha256Hex("secret-ml"), {"acme/*", "datasets/acme/*"}, {}},
                    {"admin", Sha256Hex("secret-admin"), {"*"}, {}}};
  return options;
}

const RepoKey kModel{RepoType::kModel, "acme/tiny"};
const RepoKey kOther{RepoType::kModel, "other/x"};
const RepoKey kDataset{RepoType::kDataset, "acme/data"};

TEST(AccessPolicyTest, IdentifiesConfiguredTokens) {
  AccessPolicy policy(TwoTokens(true));
  EXPECT_TRUE(policy.Identify("")->anonymous());
  EXPECT_EQ(policy.Identify("Bearer secret-ml")->name, "ml-team");
  EXPECT_EQ(policy.Identify("bearer secret-admin")->name, "admin");
  EXPECT_EQ(policy.Identify("Bearer nope").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(policy.Identify("Basic abc").status().code(), StatusCode::kUnauthenticated);
}

TEST(AccessPolicyTest, WithoutTokensForeignTokensAreIgnored) {
  AccessPolicy policy{AccessOptions{}};
  auto caller = policy.Identify("Bearer hf_users_own_hub_token");
  ASSERT_TRUE(caller.ok());
  EXPECT_TRUE(caller->anonymous());
  EXPECT_TRUE(policy.Authorize(*caller, kModel, /*restricted=*/false).ok());
  EXPECT_EQ(policy.Authorize(*caller, kModel, /*restricted=*/true).hub_error(),
            HubError::kGatedRepo);
}

TEST(AccessPolicyTest, PatternsDecidePerRepo) {
  AccessPolicy policy(TwoTokens(false));
  Caller ml = *policy.Identify("Bearer secret-ml");
  EXPECT_TRUE(policy.Authorize(ml, kModel, true).ok());
  EXPECT_TRUE(policy.Authorize(ml, kDataset, false).ok());
  Status other = policy.Authorize(ml, kOther, false);
  EXPECT_EQ(other.hub_error(), HubError::kRepoNotFound);
  Status gated_other = policy.Authorize(ml, kOther, true);
  EXPECT_EQ(gated_other.hub_error(), HubError::kGatedRepo);
  EXPECT_EQ(gated_other.http_status(), 403);
  Caller admin = *policy.Identify("Bearer secret-admin");
  EXPECT_TRUE(policy.Authorize(admin, kOther, true).ok());
  // Anonymous access switched off.
  Status anonymous = policy.Authorize(Caller{}, kModel, false);
  EXPECT_EQ(anonymous.http_status(), 401);
}

TEST(AuditLogTest, WritesOneJsonLinePerRecord) {
  ScratchDir dir;
  std::unique_ptr<Env> env = NewPosixEnv();
  const std::string path = dir.path() + "/audit.jsonl";
  {
    auto log = AuditLog::Open(path, env.get());
    ASSERT_TRUE(log.ok());
    AuditRecord r;
    r.who = "ml-team";
    r.repo = "acme/tiny";
    r.file = "config.json";
    r.status = 200;
    r.bytes = 10;
    r.complete = true;
    (*log)->Write(r);
    r.file = "model.safetensors";
    (*log)->Write(r);
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find("\"who\":\"ml-team\""), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(FormatUtcMillis(1'700'000'000'123'000), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace hubmirror
