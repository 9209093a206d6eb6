#include <gtest/gtest.h>

#include <fstream>

#include "server/options.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = dir_.path() + "/config.toml";
    std::ofstream(path) << text;
    return path;
  }
  ScratchDir dir_;
};

TEST_F(ConfigFileTest, ShippedConfigEqualsTheBuiltInDefaults) {
  ServerOptions defaults;
  ServerOptions loaded;
  ASSERT_TRUE(
      LoadConfigFile(std::string(HUBMIRROR_SOURCE_DIR) + "/configs/hubmirror.toml", &loaded).ok());
  EXPECT_EQ(loaded.listen_host, defaults.listen_host);
  EXPECT_EQ(loaded.listen_port, defaults.listen_port);
  EXPECT_EQ(loaded.store_dir, defaults.store_dir);
  EXPECT_EQ(loaded.upstream.endpoint, defaults.upstream.endpoint);
  EXPECT_EQ(loaded.revision_ttl_seconds, defaults.revision_ttl_seconds);
  EXPECT_EQ(loaded.worker_threads, defaults.worker_threads);
  EXPECT_EQ(loaded.tree_page_size, defaults.tree_page_size);
  EXPECT_EQ(loaded.upstream.max_attempts, defaults.upstream.max_attempts);
  EXPECT_EQ(loaded.sync.interval_seconds, defaults.sync.interval_seconds);
  EXPECT_EQ(loaded.sync.concurrency, defaults.sync.concurrency);
  EXPECT_EQ(loaded.sync.repos, defaults.sync.repos);
}

TEST_F(ConfigFileTest, SyncListIsRead) {
  ServerOptions options;
  Status s = LoadConfigFile(Write("[sync]\ninterval_seconds = 600\nconcurrency = 8\n"
                                  "[[sync.repos]]\nrepo = \"acme/tiny-model\"\n"
                                  "revisions = [\"main\", \"v1\"]\n"
                                  "include = [\"*.safetensors\", \"*.json\"]\n"
                                  "[[sync.repos]]\nrepo = \"datasets/acme/tiny-dataset@v2\"\n"
                                  "exclude = [\"*.parquet\"]\n"
                                  "[[sync.repos]]\nrepo = \"acme/*\"\n"),
                            &options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(options.sync.interval_seconds, 600);
  EXPECT_EQ(options.sync.concurrency, 8);
  ASSERT_EQ(options.sync.repos.size(), 3u);
  EXPECT_EQ(options.sync.repos[0].id, "acme/tiny-model");
  EXPECT_EQ(options.sync.repos[0].revisions, (std::vector<std::string>{"main", "v1"}));
  EXPECT_EQ(options.sync.repos[0].include, (std::vector<std::string>{"*.safetensors", "*.json"}));
  EXPECT_EQ(options.sync.repos[1].type, RepoType::kDataset);
  EXPECT_EQ(options.sync.repos[1].revisions, std::vector<std::string>{"v2"});
  EXPECT_EQ(options.sync.repos[1].exclude, std::vector<std::string>{"*.parquet"});
  EXPECT_TRUE(options.sync.repos[2].whole_author);
  EXPECT_EQ(options.sync.repos[2].id, "acme");
}

TEST_F(ConfigFileTest, SyncMistakesAreNamed) {
  ServerOptions options;
  Status typo =
      LoadConfigFile(Write("[[sync.repos]]\nrepo = \"a/b\"\nrevision = \"v1\"\n"), &options);
  EXPECT_NE(typo.message().find("sync.repos[0].revision"), std::string::npos) << typo.ToString();
  Status missing = LoadConfigFile(Write("[[sync.repos]]\ninclude = [\"*\"]\n"), &options);
  EXPECT_NE(missing.message().find("sync.repos[0].repo"), std::string::npos) << missing.ToString();
  Status bad_repo = LoadConfigFile(Write("[[sync.repos]]\nrepo = \"../x\"\n"), &options);
  EXPECT_NE(bad_repo.message().find("sync.repos[0].repo"), std::string::npos)
      << bad_repo.ToString();
  Status not_list =
      LoadConfigFile(Write("[[sync.repos]]\nrepo = \"a/b\"\ninclude = \"*\"\n"), &options);
  EXPECT_NE(not_list.message().find("sync.repos[0].include"), std::string::npos)
      << not_list.ToString();
  Status unknown = LoadConfigFile(Write("[sync]\nevery = 5\n"), &options);
  EXPECT_NE(unknown.message().find("sync.every"), std::string::npos) << unknown.ToString();
  EXPECT_FALSE(LoadConfigFile(Write("[sync]\nconcurrency = 0\n"), &options).ok());
  EXPECT_FALSE(LoadConfigFile(Write("[sync]\ninterval_seconds = -1\n"), &options).ok());
}

TEST_F(ConfigFileTest, ValuesOverrideDefaults) {
  ServerOptions options;
  ASSERT_TRUE(LoadConfigFile(Write("[server]\nlisten = \"[::1]:9000\"\noffline = true\n"
                                   "[store]\ndir = \"/srv/hub\"\n"
                                   "[upstream]\nurl = \"http://hub.internal\"\n"),
                             &options)
                  .ok());
  EXPECT_EQ(options.listen_host, "::1");
  EXPECT_EQ(options.listen_port, 9000);
  EXPECT_TRUE(options.offline);
  EXPECT_EQ(options.store_dir, "/srv/hub");
  EXPECT_EQ(options.upstream.endpoint, "http://hub.internal");
}

TEST_F(ConfigFileTest, MistakesAreNamed) {
  ServerOptions options;
  Status typo = LoadConfigFile(Write("[server]\nlisten_port = 1\n"), &options);
  EXPECT_NE(typo.message().find("server.listen_port"), std::string::npos) << typo.ToString();
  Status type = LoadConfigFile(Write("[server]\nworker_threads = \"many\"\n"), &options);
  EXPECT_NE(type.message().find("server.worker_threads"), std::string::npos) << type.ToString();
  Status syntax = LoadConfigFile(Write("[server\n"), &options);
  EXPECT_EQ(syntax.code(), StatusCode::kInvalidArgument);
  Status range = LoadConfigFile(Write("[server]\nworker_threads = 0\n"), &options);
  EXPECT_EQ(range.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(LoadConfigFile(dir_.path() + "/missing.toml", &options).ok());
}

TEST_F(ConfigFileTest, AccessTokensAreKeptAsDigests) {
  ServerOptions options;
  ASSERT_TRUE(LoadConfigFile(Write("[access]\nanonymous = false\naudit_log = \"/var/log/a\"\n"
                                   "[[access.tokens]]\nname = \"t\"\ntoken = \"s3cret\"\n"
                                   "repos = [\"acme/*\"]\n"),
                             &options)
                  .ok());
  EXPECT_FALSE(options.access.anonymous);
  EXPECT_EQ(options.access.audit_log_path, "/var/log/a");
  ASSERT_EQ(options.access.tokens.size(), 1u);
  EXPECT_EQ(options.access.tokens[0].token_sha256,
            "1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0");
  ServerOptions bad;
  EXPECT_FALSE(LoadConfigFile(Write("[[access.tokens]]\nname = \"t\"\nrepos = [\"*\"]\n"), &bad)
                   .ok())
      << "a token entry needs token or token_sha256";
  EXPECT_FALSE(LoadConfigFile(Write("[[access.tokens]]\nname = \"t\"\ntoken = \"x\"\n"), &bad)
                   .ok())
      << "a token entry needs repo patterns";
}

TEST(ListenAddressTest, Forms) {
  ServerOptions o;
  EXPECT_TRUE(ParseListenAddress("0.0.0.0:80", &o).ok());
  EXPECT_EQ(o.listen_host, "0.0.0.0");
  EXPECT_FALSE(ParseListenAddress("localhost", &o).ok());
  EXPECT_FALSE(ParseListenAddress("h:99999", &o).ok());
  EXPECT_FALSE(ParseListenAddress("h:12x", &o).ok());
  EXPECT_FALSE(ParseListenAddress(":80", &o).ok());
}

}  // namespace
}  // namespace hubmirror
