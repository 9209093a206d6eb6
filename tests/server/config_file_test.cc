#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "server/options.h"
#include "store/hash.h"
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

// Every scalar setting of `loaded` equals the built-in default.
void ExpectDefaultScalars(const ServerOptions& loaded) {
  const ServerOptions defaults;
  EXPECT_EQ(loaded.listen_host, defaults.listen_host);
  EXPECT_EQ(loaded.listen_port, defaults.listen_port);
  EXPECT_EQ(loaded.offline, defaults.offline);
  EXPECT_EQ(loaded.revision_ttl_seconds, defaults.revision_ttl_seconds);
  EXPECT_EQ(loaded.worker_threads, defaults.worker_threads);
  EXPECT_EQ(loaded.keep_alive_timeout_seconds, defaults.keep_alive_timeout_seconds);
  EXPECT_EQ(loaded.keep_alive_max_requests, defaults.keep_alive_max_requests);
  EXPECT_EQ(loaded.max_concurrent_fetches, defaults.max_concurrent_fetches);
  EXPECT_EQ(loaded.tree_page_size, defaults.tree_page_size);
  EXPECT_EQ(loaded.max_request_body_bytes, defaults.max_request_body_bytes);
  EXPECT_EQ(loaded.read_timeout_seconds, defaults.read_timeout_seconds);
  EXPECT_EQ(loaded.write_timeout_seconds, defaults.write_timeout_seconds);
  EXPECT_EQ(loaded.fetch_stall_timeout_seconds, defaults.fetch_stall_timeout_seconds);
  EXPECT_EQ(loaded.min_free_bytes, defaults.min_free_bytes);
  EXPECT_EQ(loaded.public_url, defaults.public_url);
  EXPECT_EQ(loaded.access_log_path, defaults.access_log_path);
  EXPECT_EQ(loaded.store_dir, defaults.store_dir);
  EXPECT_EQ(loaded.max_store_bytes, defaults.max_store_bytes);
  EXPECT_EQ(loaded.store_low_water_percent, defaults.store_low_water_percent);
  ASSERT_EQ(loaded.upstreams.size(), 1u);
  const UpstreamOptions& up = loaded.upstreams.front();
  const UpstreamOptions& want = defaults.upstreams.front();
  EXPECT_EQ(up.endpoint, want.endpoint);
  EXPECT_EQ(up.token, want.token);
  EXPECT_EQ(up.connect_timeout_ms, want.connect_timeout_ms);
  EXPECT_EQ(up.low_speed_bytes_per_sec, want.low_speed_bytes_per_sec);
  EXPECT_EQ(up.low_speed_time_sec, want.low_speed_time_sec);
  EXPECT_EQ(up.metadata_timeout_ms, want.metadata_timeout_ms);
  EXPECT_EQ(up.max_attempts, want.max_attempts);
  EXPECT_EQ(up.backoff_initial_ms, want.backoff_initial_ms);
  EXPECT_EQ(up.backoff_max_ms, want.backoff_max_ms);
  EXPECT_EQ(up.hold_off_seconds, want.hold_off_seconds);
  EXPECT_EQ(loaded.sync.interval_seconds, defaults.sync.interval_seconds);
  EXPECT_EQ(loaded.sync.concurrency, defaults.sync.concurrency);
  EXPECT_EQ(loaded.access.anonymous, defaults.access.anonymous);
  EXPECT_EQ(loaded.access.audit_log_path, defaults.access.audit_log_path);
}

TEST_F(ConfigFileTest, ShippedConfigEqualsTheBuiltInDefaults) {
  ServerOptions loaded;
  ASSERT_TRUE(
      LoadConfigFile(std::string(HUBMIRROR_SOURCE_DIR) + "/configs/hubmirror.toml", &loaded).ok());
  ExpectDefaultScalars(loaded);
  EXPECT_EQ(loaded.sync.repos, ServerOptions().sync.repos);
}

// docs/configuration.md: its complete example loads, holds every key the
// parser knows (and no other) with its default, and each key has a table row.
TEST(ConfigDocTest, CompleteExampleNamesEveryKeyWithItsDefault) {
  std::ifstream in(std::string(HUBMIRROR_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream doc_stream;
  doc_stream << in.rdbuf();
  const std::string doc = doc_stream.str();
  const size_t section = doc.find("## A complete example");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = doc.find("```toml\n", section);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const std::string example = doc.substr(begin + 8, end - begin - 8);

  // Keys as ConfigKeys() spells them: "server.listen", "sync.repos[].pin".
  std::set<std::string> example_keys;
  std::string table;
  std::istringstream lines(example);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) line = line.substr(2);  // an alternative key
    if (line.rfind("[[", 0) == 0) {
      table = line.substr(2, line.find("]]") - 2);
      example_keys.insert(table);
      table += "[]";
    } else if (line.rfind("[", 0) == 0) {
      table = line.substr(1, line.find(']') - 1);
    } else if (const size_t eq = line.find(" = "); eq != std::string::npos) {
      example_keys.insert(table + "." + line.substr(0, eq));
    }
  }
  const std::vector<std::string> known = ConfigKeys();
  EXPECT_EQ(example_keys, std::set<std::string>(known.begin(), known.end()));
  for (const std::string& key : known) {
    const std::string leaf = key.substr(key.rfind('.') + 1);
    EXPECT_NE(doc.find("| `" + leaf + "` |"), std::string::npos) << key << " has no table row";
  }

  ScratchDir dir;
  const std::string path = dir.path() + "/example.toml";
  std::ofstream(path) << example;
  ServerOptions loaded;
  Status status = LoadConfigFile(path, &loaded);
  ASSERT_TRUE(status.ok()) << status.message();
  ExpectDefaultScalars(loaded);
  ASSERT_EQ(loaded.sync.repos.size(), 1u);
  EXPECT_EQ(loaded.sync.repos[0].pin, SyncRepoSpec().pin);
  ASSERT_EQ(loaded.access.tokens.size(), 1u);
  EXPECT_EQ(loaded.access.tokens[0].token_sha256, Sha256Hex("test"));
}

TEST_F(ConfigFileTest, UpstreamListIsReadInOrder) {
  ServerOptions options;
  Status s = LoadConfigFile(Write("[[upstreams]]\nurl = \"http://parent.internal:8080/\"\n"
                                  "max_attempts = 2\nhold_off_seconds = 5\n"
                                  "[[upstreams]]\nurl = \"https://huggingface.co\"\n"
                                  "token = \"hf_second\"\n"),
                            &options);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(options.upstreams.size(), 2u);
  EXPECT_EQ(options.upstreams[0].endpoint, "http://parent.internal:8080");
  EXPECT_EQ(options.upstreams[0].max_attempts, 2);
  EXPECT_EQ(options.upstreams[0].hold_off_seconds, 5);
  EXPECT_EQ(options.upstreams[0].token, "");
  EXPECT_EQ(options.upstreams[1].endpoint, "https://huggingface.co");
  EXPECT_EQ(options.upstreams[1].token, "hf_second");
  EXPECT_EQ(options.upstreams[1].max_attempts, UpstreamOptions().max_attempts);
}

TEST_F(ConfigFileTest, UpstreamListMistakesAreNamed) {
  struct Case {
    const char* toml;
    const char* message;
  };
  for (const Case& c : {
           Case{"[upstream]\nurl = \"http://a\"\n[[upstreams]]\nurl = \"http://b\"\n",
                "both [upstream] and [[upstreams]]"},
           Case{"[[upstreams]]\ntoken = \"x\"\n", "upstreams[0].url' is required"},
           Case{"[[upstreams]]\nurl = \"http://a\"\n[[upstreams]]\nurl = \"ftp://b\"\n",
                "must start with http(s)://"},
           Case{"[[upstreams]]\nurl = \"http://a\"\nhold = 1\n", "upstreams[0].hold"},
           Case{"upstreams = []\n", "non-empty list"},
       }) {
    ServerOptions options;
    Status s = LoadConfigFile(Write(c.toml), &options);
    EXPECT_FALSE(s.ok()) << c.toml;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.toml << " -> " << s.message();
  }
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
  EXPECT_EQ(options.upstreams.front().endpoint, "http://hub.internal");
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
