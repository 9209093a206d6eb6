// End-to-end: air-gap bundles with the real binaries. Store A is filled
// through a pull-through `hubmirror serve`, exported, imported into an empty
// store B, and B is served offline byte-identical to the fake hub. Also
// `inventory` + `export --since`, and damaged bundles refused with the store
// unchanged.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/hub_fixture.h"

namespace hubmirror::e2e {
namespace {

using nlohmann::json;

// A tree listing without its xetHash fields (present once a file is stored),
// after checking that every LFS file carries one when `all_stored`.
json WithoutXetHashes(json tree, bool all_stored) {
  for (json& e : tree) {
    if (all_stored && e.contains("lfs")) {
      EXPECT_TRUE(e.contains("xetHash")) << e.dump();
    }
    e.erase("xetHash");
  }
  return tree;
}

// The store's files, without SQLite's transient WAL companions.
std::map<std::string, uint64_t> StoreListing(const std::string& dir) {
  std::map<std::string, uint64_t> files = ListFilesWithSizes(dir);
  std::erase_if(files, [](const auto& f) {
    return f.first.ends_with("-wal") || f.first.ends_with("-shm");
  });
  // A rolled-back write can leave free pages in a database file: databases
  // are compared by what they answer (the import's output, the served
  // files), not by size.
  for (auto& [path, size] : files) {
    if (path.ends_with(".sqlite")) size = 0;
  }
  return files;
}

// The sha256s of the objects a bundle carries (format: docs/bundle-format.md:
// magic line, u64 little-endian manifest length, manifest JSON).
std::set<std::string> IncludedObjects(const std::string& bundle_path) {
  std::string bytes = ReadFile(bundle_path);
  EXPECT_EQ(bytes.substr(0, 19), "hubmirror-bundle 2\n") << "the store's xorbs travel";
  const size_t magic = 19;
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) {
    length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[magic + i])) << (8 * i);
  }
  json manifest = json::parse(bytes.substr(magic + 8, length));
  std::set<std::string> included;
  for (const json& o : manifest["objects"]) {
    if (o["included"].get<bool>()) included.insert(o["sha256"]);
  }
  return included;
}

struct RepoAtRevision {
  std::string type_plural;  // "models" / "datasets"
  std::string url_prefix;   // "" / "datasets/"
  std::string id;
  std::string revision;
};

const std::vector<RepoAtRevision> kPopulated = {
    {"models", "", "acme/tiny-model", "v1"},
    {"models", "", "acme/tiny-model", "main"},
    {"datasets", "datasets/", "acme/tiny-dataset", "main"},
};

class BundleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(hub_.ok()) << "fake hub did not start"; }

  json Get(const std::string& base, const std::string& target) {
    HttpReply reply = HttpGet(base, target);
    EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
    return json::parse(reply.body, nullptr, false);
  }

  std::string TreeTarget(const RepoAtRevision& r) {
    return "/api/" + r.type_plural + "/" + r.id + "/tree/" + r.revision + "?recursive=true";
  }

  // Fills store A through a pull-through mirror: repo info, the recursive
  // tree (marks it complete) and every file; remembers the fake hub's bytes.
  void PopulateStoreA() {
    Mirror mirror(store_a_.path(), hub_.api_url());
    ASSERT_TRUE(mirror.ok());
    for (const RepoAtRevision& r : kPopulated) {
      Get(mirror.url(), "/api/" + r.type_plural + "/" + r.id + "/revision/" + r.revision);
      json tree = Get(mirror.url(), TreeTarget(r));
      ASSERT_TRUE(tree.is_array());
      trees_[r.id + "@" + r.revision] = tree;
      for (const json& e : tree) {
        if (e["type"] != "file") continue;
        const std::string path = e["path"];
        HttpReply file = HttpGet(mirror.url(), "/" + r.url_prefix + r.id + "/resolve/" + r.revision + "/" + path);
        ASSERT_EQ(file.status, 200) << path;
        std::string upstream = hub_.DirectDownload(r.url_prefix + r.id, r.revision, path);
        ASSERT_FALSE(upstream.empty()) << path;
        ASSERT_TRUE(file.body == upstream) << path;
        files_[r.url_prefix + r.id + "@" + r.revision + ":" + path] = upstream;
      }
    }
    EXPECT_EQ(mirror.Stop() & 0x7f, 0);
  }

  // Every populated file, downloaded from `base`, is byte-identical.
  void ExpectEveryFileServed(const std::string& base) {
    for (const auto& [key, bytes] : files_) {
      const size_t at = key.find('@');
      const size_t colon = key.find(':');
      HttpReply file = HttpGet(base, "/" + key.substr(0, at) + "/resolve/" +
                                         key.substr(at + 1, colon - at - 1) + "/" +
                                         key.substr(colon + 1));
      ASSERT_EQ(file.status, 200) << key;
      EXPECT_TRUE(file.body == bytes) << key;
    }
  }

  // The sha256s of every file of one populated revision.
  std::set<std::string> ObjectsOf(const std::string& prefix_id_rev) {
    std::set<std::string> out;
    for (const auto& [key, bytes] : files_) {
      if (key.rfind(prefix_id_rev + ":", 0) == 0) out.insert(Sha256OfString(bytes));
    }
    return out;
  }

  FakeHub hub_;
  TempDir store_a_;
  TempDir store_b_;
  TempDir work_;
  std::map<std::string, json> trees_;
  std::map<std::string, std::string> files_;  // "prefix+id@rev:path" -> bytes
};

TEST_F(BundleE2eTest, ExportImportServeOfflineSinceAndDamage) {
  ASSERT_NO_FATAL_FAILURE(PopulateStoreA());
  const std::string bundle = work_.path() + "/all.bundle";
  CommandResult exported = RunHubmirror({"export", "--store", store_a_.path(), "--output", bundle,
                                         "acme/tiny-model", "datasets/acme/tiny-dataset"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("hubmirror export: wrote"), std::string::npos);

  CommandResult imported = RunHubmirror({"import", "--store", store_b_.path(), bundle});
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  // The output names files, repos and refs, not bare hashes; counts add up.
  std::set<std::string> all_objects;
  for (const auto& [key, bytes] : files_) all_objects.insert(Sha256OfString(bytes));
  const std::string n = std::to_string(all_objects.size());
  EXPECT_NE(imported.output.find("imported acme/tiny-model/"), std::string::npos)
      << imported.output;
  EXPECT_NE(imported.output.find("acme/tiny-model: "), std::string::npos) << imported.output;
  EXPECT_NE(imported.output.find("datasets/acme/tiny-dataset: main"), std::string::npos)
      << imported.output;
  EXPECT_EQ(imported.output.find("[0/0 files]"), std::string::npos) << imported.output;
  EXPECT_NE(imported.output.find(n + " in the bundle, " + n + " new"), std::string::npos)
      << imported.output;
  CommandResult again = RunHubmirror({"import", "--store", store_b_.path(), bundle});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find(n + " in the bundle, 0 new (0 B), " + n + " already stored"),
            std::string::npos)
      << again.output;
  EXPECT_NE(again.output.find("present acme/tiny-model/"), std::string::npos) << again.output;

  {
    Mirror offline(store_b_.path(), hub_.api_url(), {"--offline"});
    ASSERT_TRUE(offline.ok());
    for (const RepoAtRevision& r : kPopulated) {
      json info = Get(offline.url(), "/api/" + r.type_plural + "/" + r.id + "/revision/" + r.revision);
      json upstream_info = Get(hub_.api_url(), "/api/" + r.type_plural + "/" + r.id + "/revision/" + r.revision);
      EXPECT_EQ(info["sha"], upstream_info["sha"]) << r.id << "@" << r.revision;
      // Imported files are stored, so the offline mirror offers them over Xet.
      EXPECT_EQ(WithoutXetHashes(Get(offline.url(), TreeTarget(r)), /*all_stored=*/true),
                WithoutXetHashes(trees_[r.id + "@" + r.revision], false));
      HttpReply paths_info = HttpRequest(offline.url(), "POST",
                                         "/api/" + r.type_plural + "/" + r.id + "/paths-info/" + r.revision,
                                         {}, "paths=README.md", "application/x-www-form-urlencoded");
      EXPECT_EQ(paths_info.status, 200) << paths_info.body;
      EXPECT_NE(paths_info.body.find("README.md"), std::string::npos);
    }
    ExpectEveryFileServed(offline.url());
  }

  // --since: store C has v1 only; a main bundle made against its inventory
  // carries exactly the objects main has and v1 lacks.
  TempDir store_c;
  const std::string v1_bundle = work_.path() + "/v1.bundle";
  ASSERT_EQ(RunHubmirror({"export", "--store", store_a_.path(), "--output", v1_bundle,
                          "acme/tiny-model@v1"}).exit_code, 0);
  ASSERT_EQ(RunHubmirror({"import", "--store", store_c.path(), v1_bundle}).exit_code, 0);
  CommandResult inventory = RunHubmirror({"inventory", "--store", store_c.path()}, {}, /*merge_stderr=*/false);
  ASSERT_EQ(inventory.exit_code, 0) << inventory.output;
  EXPECT_EQ(inventory.output.rfind("# hubmirror inventory 2\n", 0), 0u);
  const std::string inventory_path = work_.path() + "/c.inventory";
  WriteFile(inventory_path, inventory.output);
  const std::string main_bundle = work_.path() + "/main.bundle";
  CommandResult since = RunHubmirror({"export", "--store", store_a_.path(), "--output",
                                      main_bundle, "--since", inventory_path,
                                      "acme/tiny-model@main"});
  ASSERT_EQ(since.exit_code, 0) << since.output;
  std::set<std::string> expected;
  std::set<std::string> v1 = ObjectsOf("acme/tiny-model@v1");
  for (const std::string& sha : ObjectsOf("acme/tiny-model@main")) {
    if (v1.count(sha) == 0) expected.insert(sha);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(IncludedObjects(main_bundle), expected);
  CommandResult dry = RunHubmirror({"import", "--dry-run", "--store", store_c.path(), main_bundle});
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find(std::to_string(expected.size()) + " in the bundle, " +
                            std::to_string(expected.size()) + " would be new"),
            std::string::npos)
      << dry.output;
  const size_t shared = ObjectsOf("acme/tiny-model@main").size() - expected.size();
  EXPECT_NE(dry.output.find(std::to_string(shared) + " left out by --since"),
            std::string::npos)
      << dry.output;
  // Without v1's objects, store B... has them; an empty store does not.
  TempDir empty;
  CommandResult refused = RunHubmirror({"import", "--store", empty.path(), main_bundle});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("--since"), std::string::npos) << refused.output;
  ASSERT_EQ(RunHubmirror({"import", "--store", store_c.path(), main_bundle}).exit_code, 0);

  // Damage: one flipped byte, and a truncated copy; store C stays as it is.
  const std::map<std::string, uint64_t> before = StoreListing(store_c.path());
  const std::string good = ReadFile(bundle);
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
  const std::string flipped_path = work_.path() + "/flipped.bundle";
  WriteFile(flipped_path, flipped);
  CommandResult bad = RunHubmirror({"import", "--store", store_c.path(), flipped_path});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("flipped.bundle"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("unchanged"), std::string::npos) << bad.output;
  EXPECT_EQ(StoreListing(store_c.path()), before);

  const std::string truncated_path = work_.path() + "/truncated.bundle";
  WriteFile(truncated_path, good.substr(0, good.size() - 1000));
  CommandResult cut = RunHubmirror({"import", "--store", store_c.path(), truncated_path});
  EXPECT_NE(cut.exit_code, 0);
  EXPECT_NE(cut.output.find("truncated"), std::string::npos) << cut.output;
  EXPECT_EQ(StoreListing(store_c.path()), before);
}

// The README's air-gap workflow on its first use: the air-gapped side has no
// store yet, its inventory lists nothing, and the first bundle made --since
// it carries everything and is served offline from the new store.
TEST_F(BundleE2eTest, FirstBundleSinceTheInventoryOfANewStore) {
  ASSERT_NO_FATAL_FAILURE(PopulateStoreA());
  for (const std::string& fresh : {store_b_.path(), store_b_.path() + "/not-yet-created"}) {
    CommandResult inventory =
        RunHubmirror({"inventory", "--store", fresh}, {}, /*merge_stderr=*/false);
    ASSERT_EQ(inventory.exit_code, 0) << fresh << ": " << inventory.output;
    EXPECT_EQ(inventory.output.rfind("# hubmirror inventory 2\n", 0), 0u) << inventory.output;
    EXPECT_NE(inventory.output.find("# objects 0 bytes 0 xorbs 0\n"), std::string::npos)
        << inventory.output;
    EXPECT_TRUE(ListFilesWithSizes(store_b_.path()).empty()) << "inventory creates nothing";
  }
  const std::string inventory_path = work_.path() + "/airgap.inventory";
  WriteFile(inventory_path,
            RunHubmirror({"inventory", "--store", store_b_.path()}, {}, false).output);
  const std::string bundle = work_.path() + "/first.bundle";
  CommandResult exported =
      RunHubmirror({"export", "--store", store_a_.path(), "--output", bundle, "--since",
                    inventory_path, "acme/tiny-model", "datasets/acme/tiny-dataset"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  std::set<std::string> all;
  for (const auto& [key, bytes] : files_) all.insert(Sha256OfString(bytes));
  EXPECT_EQ(IncludedObjects(bundle), all);

  CommandResult imported = RunHubmirror({"import", "--store", store_b_.path(), bundle});
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  hub_.Stop();
  Mirror offline(store_b_.path(), hub_.api_url(), {"--offline"});
  ASSERT_TRUE(offline.ok());
  ExpectEveryFileServed(offline.url());
}

// The issue's own example: a store synced with only *.safetensors and *.json
// crosses the air gap when exported with the same filters. The destination
// lists every file (repo info, tree) and serves the carried ones offline; the
// others are answered as any file it does not store, and pulled through
// online.
TEST_F(BundleE2eTest, FilteredSyncCrossesWithTheSameFilters) {
  const std::vector<std::string> filters = {"--include", "*.safetensors", "--include", "*.json"};
  auto with_filters = [&](std::vector<std::string> args, const std::string& repo) {
    args.insert(args.end(), filters.begin(), filters.end());
    args.push_back(repo);
    return args;
  };
  CommandResult synced = RunHubmirror(
      with_filters({"sync", "--store", store_a_.path(), "--upstream", hub_.api_url()},
                   "acme/tiny-model"));
  ASSERT_EQ(synced.exit_code, 0) << synced.output;

  const std::string bundle = work_.path() + "/filtered.bundle";
  CommandResult plain = RunHubmirror(
      {"export", "--store", store_a_.path(), "--output", bundle, "acme/tiny-model@main"});
  EXPECT_EQ(plain.exit_code, 1) << plain.output;
  EXPECT_NE(plain.output.find("--include/--exclude"), std::string::npos) << plain.output;
  CommandResult exported = RunHubmirror(
      with_filters({"export", "--store", store_a_.path(), "--output", bundle}, "acme/tiny-model@main"));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("left out by --include/--exclude"), std::string::npos)
      << exported.output;
  CommandResult imported = RunHubmirror({"import", "--store", store_b_.path(), bundle});
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_NE(imported.output.find("without their bytes"), std::string::npos) << imported.output;

  const std::string tree_target = "/api/models/acme/tiny-model/tree/main?recursive=true";
  const std::string info_target = "/api/models/acme/tiny-model/revision/main";
  auto files_of_tree = [](const json& tree) {
    std::set<std::string> out;
    for (const json& e : tree) {
      if (e["type"] == "file") out.insert(e["path"].get<std::string>() + " " + e["oid"].get<std::string>());
    }
    return out;
  };
  auto siblings_of = [](const json& info) {
    std::set<std::string> out;
    for (const json& s : info["siblings"]) out.insert(s["rfilename"]);
    return out;
  };
  const json upstream_tree = Get(hub_.api_url(), tree_target);
  const json upstream_info = Get(hub_.api_url(), info_target);
  std::map<std::string, std::string> upstream_files;  // path -> bytes
  for (const json& e : upstream_tree) {
    if (e["type"] != "file") continue;
    const std::string path = e["path"];
    upstream_files[path] = hub_.DirectDownload("acme/tiny-model", "main", path);
  }
  size_t carried = 0;
  {
    Mirror offline(store_b_.path(), hub_.api_url(), {"--offline"});
    ASSERT_TRUE(offline.ok());
    EXPECT_EQ(files_of_tree(Get(offline.url(), tree_target)), files_of_tree(upstream_tree));
    json info = Get(offline.url(), info_target);
    EXPECT_EQ(info["sha"], upstream_info["sha"]);
    EXPECT_EQ(siblings_of(info), siblings_of(upstream_info));
    for (const auto& [path, bytes] : upstream_files) {
      HttpReply file = HttpGet(offline.url(), "/acme/tiny-model/resolve/main/" + path);
      if (path.ends_with(".safetensors") || path.ends_with(".json")) {
        ++carried;
        EXPECT_EQ(file.status, 200) << path;
        EXPECT_TRUE(file.body == bytes) << path;
      } else {
        EXPECT_EQ(file.status, 404) << path;
        EXPECT_EQ(file.Header("X-Error-Code"), "EntryNotFound") << path;
      }
    }
  }
  EXPECT_GE(carried, 2u);
  EXPECT_LT(carried, upstream_files.size()) << "the fake repo has files the filter leaves out";

  // Online, the same store pulls a left-out file through like any other.
  Mirror online(store_b_.path(), hub_.api_url());
  ASSERT_TRUE(online.ok());
  HttpReply readme = HttpGet(online.url(), "/acme/tiny-model/resolve/main/README.md");
  EXPECT_EQ(readme.status, 200);
  EXPECT_TRUE(readme.body == upstream_files["README.md"]);
}

TEST_F(BundleE2eTest, ExportRefusesWhatTheStoreDoesNotFullyHave) {
  {
    Mirror mirror(store_a_.path(), hub_.api_url());
    ASSERT_TRUE(mirror.ok());
    // Repo info only: the file list of main is not complete.
    Get(mirror.url(), "/api/models/acme/tiny-model/revision/main");
  }
  CommandResult result = RunHubmirror({"export", "--store", store_a_.path(), "--output",
                                       work_.path() + "/x.bundle", "acme/tiny-model@main"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("hubmirror sync acme/tiny-model@main"), std::string::npos)
      << result.output;
  EXPECT_TRUE(ListFilesWithSizes(work_.path()).empty());
}

}  // namespace
}  // namespace hubmirror::e2e
