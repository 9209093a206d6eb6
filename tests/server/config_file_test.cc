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
  ASSERT_TRUE(LoadConfigFile(std::string(HUBMIRROR_SOURCE_DIR) + "/configs/hubmirror.toml", &loaded).ok());
  EXPECT_EQ(loaded.listen_host, defaults.listen_host);
  EXPECT_EQ(loaded.listen_port, defaults.listen_port);
  EXPECT_EQ(loaded.store_dir, defaults.store_dir);
  EXPECT_EQ(loaded.upstream.endpoint, defaults.upstream.endpoint);
  EXPECT_EQ(loaded.revision_ttl_seconds, defaults.revision_ttl_seconds);
  EXPECT_EQ(loaded.worker_threads, defaults.worker_threads);
  EXPECT_EQ(loaded.tree_page_size, defaults.tree_page_size);
  EXPECT_EQ(loaded.upstream.max_attempts, defaults.upstream.max_attempts);
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
