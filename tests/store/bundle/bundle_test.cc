// Bundles: export from one store, import into another, and refusal of every
// damaged bundle with the destination left exactly as it was.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "store/bundle/bundle_importer.h"
#include "store/bundle/bundle_plan.h"
#include "store/bundle/bundle_reader.h"
#include "store/bundle/bundle_writer.h"
#include "store/env.h"
#include "store/legacy/file_object_store.h"
#include "store/xorb/xorb_object_store.h"
#include "store/hash.h"
#include "store/index/index.h"
#include "store/bundle/inventory.h"
#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

namespace fs = std::filesystem;

const RepoKey kModel{RepoType::kModel, "acme/model"};
const RepoKey kDataset{RepoType::kDataset, "acme/data"};
const std::string kCommitV1(40, '1');
const std::string kCommitMain(40, '2');
const std::string kCommitData(40, '3');

std::string CompressibleBytes(size_t n) {
  std::string out;
  for (size_t i = 0; out.size() < n; ++i) out += "line " + std::to_string(i % 1000) + " of text\n";
  out.resize(n);
  return out;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The manifest JSON of a bundle's bytes (magic, u64 length, JSON).
nlohmann::json ManifestJson(const std::string& bundle) {
  const uint64_t length = ReadLittleEndian(bundle.data() + kBundleMagic.size(), 8);
  return nlohmann::json::parse(bundle.substr(kBundleMagic.size() + 8, length));
}

// A store directory: object files plus index, opened through the real Env.
struct TestStore {
  TestStore(Env* env, const std::string& dir) : dir(dir) {
    auto s = NewXorbObjectStore(env, dir);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    objects = std::move(s).value();
    auto i = Index::Open(dir + "/index.sqlite");
    EXPECT_TRUE(i.ok()) << i.status().ToString();
    index = std::move(i).value();
  }

  // Stores `bytes` and records the object; returns its sha256.
  std::string Put(const std::string& bytes) {
    ObjectPromise promise{bytes.size(), Sha256Hex(bytes), GitBlobSha1Hex(bytes)};
    auto writer = objects->NewWriter(promise);
    EXPECT_TRUE(writer.ok());
    EXPECT_OK((*writer)->Append(bytes.data(), bytes.size()));
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_OK(index->PutObject(ObjectRecord{info->sha256, info->git_sha1, info->size, info->xet_hash}));
    return info->sha256;
  }

  // Every file below the store with its size, and every index row: equal
  // snapshots mean "nothing changed".
  std::string Snapshot() const {
    std::ostringstream out;
    std::map<std::string, uintmax_t> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      std::string name = e.path().string();
      // Databases are compared by their rows below (a rolled-back write
      // still leaves pages in the WAL).
      if (!e.is_regular_file() || name.find(".sqlite") != std::string::npos) continue;
      files[name] = e.file_size();
    }
    for (const auto& [name, size] : files) out << name << " " << size << "\n";
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    for (const char* sql :
         {"SELECT type, name FROM repos ORDER BY 1, 2",
          "SELECT repo_id, ref, commit_sha, resolved_at FROM refs ORDER BY 1, 2",
          "SELECT repo_id, commit_sha, info_json, tree_complete FROM commits ORDER BY 1, 2",
          "SELECT repo_id, commit_sha, path, is_dir, size, oid, lfs_sha256 FROM entries "
          "ORDER BY 1, 2, 3",
          "SELECT sha256, git_sha1, size FROM objects ORDER BY 1"}) {
      sqlite3_exec(
          db, sql,
          [](void* sink, int n, char** values, char**) {
            auto* s = static_cast<std::ostringstream*>(sink);
            for (int i = 0; i < n; ++i) *s << (values[i] ? values[i] : "NULL") << "|";
            *s << "\n";
            return 0;
          },
          &out, nullptr);
      out << "--\n";
    }
    sqlite3_close(db);
    db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir + "/xet/catalog.sqlite").c_str(), &db, SQLITE_OPEN_READONLY,
                              nullptr),
              SQLITE_OK);
    for (const char* sql : {"SELECT sha256, size, xet_hash FROM files ORDER BY 1",
                            "SELECT file, seq, xorb_id, chunk_start, chunk_end FROM file_terms "
                            "ORDER BY 1, 2",
                            "SELECT id, num_chunks FROM xorbs ORDER BY 1"}) {
      sqlite3_exec(
          db, sql,
          [](void* sink, int n, char** values, char**) {
            auto* s = static_cast<std::ostringstream*>(sink);
            for (int i = 0; i < n; ++i) *s << (values[i] ? values[i] : "NULL") << "|";
            *s << "\n";
            return 0;
          },
          &out, nullptr);
      out << "--\n";
    }
    sqlite3_close(db);
    return out.str();
  }

  std::string dir;
  std::unique_ptr<ChunkedObjectStore> objects;
  std::unique_ptr<Index> index;
};

EntryRecord RegularFile(const std::string& path, const std::string& bytes) {
  EntryRecord e;
  e.path = path;
  e.size = bytes.size();
  e.oid = GitBlobSha1Hex(bytes);
  return e;
}

EntryRecord LfsFile(const std::string& path, const std::string& bytes) {
  EntryRecord e = RegularFile(path, "version https://git-lfs... pointer " + path);
  e.size = bytes.size();
  e.is_lfs = true;
  e.lfs_sha256 = Sha256Hex(bytes);
  e.lfs_pointer_size = 134;
  return e;
}

EntryRecord Directory(const std::string& path) {
  EntryRecord e;
  e.path = path;
  e.is_directory = true;
  e.oid = std::string(40, 'd');
  return e;
}

class BundleTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    env_ = NewPosixEnv();
    source_ = std::make_unique<TestStore>(env_.get(), dir_ + "/source");
    dest_ = std::make_unique<TestStore>(env_.get(), dir_ + "/dest");
    Populate();
  }

  // v1: config v1, shared readme, compressible weights (LFS, > 1 chunk).
  // main: config v2, shared readme, random weights (LFS), sub/notes.txt.
  // The dataset at one commit, no ref beyond main.
  void Populate() {
    config_v1_ = "{\"v\": 1}\n";
    config_v2_ = "{\"v\": 2}\n";
    readme_ = "# model\n";
    compressible_ = CompressibleBytes(kBundleChunkBytes + 12345);
    random_ = RandomBytes(300 * 1024, 7);
    notes_ = "notes\n";
    for (const std::string* b : {&config_v1_, &config_v2_, &readme_, &compressible_, &random_, &notes_}) {
      source_->Put(*b);
    }
    Index* index = source_->index.get();
    ASSERT_OK(index->PutCommit(kModel, kCommitV1, "{\"sha\":\"v1\"}"));
    ASSERT_OK(index->PutEntries(kModel, kCommitV1,
                                {RegularFile("config.json", config_v1_), RegularFile("README.md", readme_),
                                 LfsFile("weights.bin", compressible_)},
                                /*tree_complete=*/true));
    ASSERT_OK(index->PutRef(kModel, "v1", kCommitV1, 111));
    ASSERT_OK(index->PutCommit(kModel, kCommitMain, "{\"sha\":\"main\"}"));
    ASSERT_OK(index->PutEntries(kModel, kCommitMain,
                                {RegularFile("config.json", config_v2_), RegularFile("README.md", readme_),
                                 LfsFile("weights.bin", random_), Directory("sub"),
                                 RegularFile("sub/notes.txt", notes_)},
                                /*tree_complete=*/true));
    ASSERT_OK(index->PutRef(kModel, "main", kCommitMain, 222));
    ASSERT_OK(index->PutCommit(kDataset, kCommitData, "{\"sha\":\"data\"}"));
    ASSERT_OK(index->PutEntries(kDataset, kCommitData, {RegularFile("README.md", readme_)}, true));
    ASSERT_OK(index->PutRef(kDataset, "main", kCommitData, 333));
  }

  // Plans and writes a bundle of `specs` from the source store.
  std::string Export(const std::vector<std::string>& specs, const std::string& name,
                     const InventoryListing* since = nullptr,
                     BundleWriteStats* stats_out = nullptr) {
    std::vector<BundleRepoSpec> parsed;
    for (const std::string& s : specs) {
      auto spec = ParseBundleRepoSpec(s);
      EXPECT_TRUE(spec.ok()) << spec.status().ToString();
      parsed.push_back(*spec);
    }
    auto manifest = PlanBundle(source_->index.get(), source_->objects.get(), parsed,
                               since ? &since->objects : nullptr, nullptr,
                               since ? &since->xorbs : nullptr);
    EXPECT_TRUE(manifest.ok()) << manifest.status().ToString();
    std::string path = dir_ + "/" + name;
    auto stats = WriteBundle(env_.get(), source_->objects.get(), *manifest, path);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    if (stats_out != nullptr && stats.ok()) *stats_out = *stats;
    return path;
  }

  // Plans `spec` from the source store carrying only files `carry` selects.
  Result<BundleManifest> PlanFiltered(const std::string& spec, const BundleFileFilter& carry) {
    return PlanBundle(source_->index.get(), source_->objects.get(), {*ParseBundleRepoSpec(spec)},
                      nullptr, carry);
  }

  Result<ImportSummary> Import(TestStore* into, const std::string& path, bool dry_run = false) {
    ImportOptions options;
    options.dry_run = dry_run;
    return ImportBundle(env_.get(), into->objects.get(), into->index.get(), path, options);
  }

  // Imports a damaged copy of `bundle` and expects a refusal that leaves the
  // destination exactly as it was.
  void ExpectRefused(const std::string& bytes, const std::string& label) {
    const std::string before = dest_->Snapshot();
    const std::string path = dir_ + "/damaged.bundle";
    WriteFile(path, bytes);
    auto result = Import(dest_.get(), path);
    ASSERT_FALSE(result.ok()) << label << " was accepted";
    EXPECT_FALSE(result.status().message().empty());
    EXPECT_EQ(dest_->Snapshot(), before) << label << ": " << result.status().ToString();
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<TestStore> source_;
  std::unique_ptr<TestStore> dest_;
  std::string config_v1_, config_v2_, readme_, compressible_, random_, notes_;
};

TEST_F(BundleTest, RoundTripCarriesRefsCommitsEntriesAndObjects) {
  std::string path = Export({"acme/model", "datasets/acme/data@main"}, "all.bundle");
  auto summary = Import(dest_.get(), path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->repos, 2u);
  EXPECT_EQ(summary->refs, 3u);
  EXPECT_EQ(summary->commits, 3u);
  EXPECT_EQ(summary->object_records, 6u);
  EXPECT_EQ(summary->objects_added, 6u);

  Index* index = dest_->index.get();
  for (const auto& [repo, ref, commit] :
       {std::tuple{kModel, "v1", kCommitV1}, std::tuple{kModel, "main", kCommitMain},
        std::tuple{kDataset, "main", kCommitData}}) {
    auto got = index->GetRef(repo, ref);
    ASSERT_TRUE(got.ok() && got->has_value()) << ref;
    EXPECT_EQ((*got)->commit, commit);
    auto record = index->GetCommit(repo, commit);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_TRUE((*record)->tree_complete);
    EXPECT_EQ(*index->ListEntries(repo, commit, "", true),
              *source_->index->ListEntries(repo, commit, "", true));
  }
  EXPECT_EQ((*index->GetRef(kModel, "main"))->resolved_at_micros, 222);
  EXPECT_EQ((*index->GetCommit(kModel, kCommitMain))->info_json, "{\"sha\":\"main\"}");
  // A regular file is found by its git oid, as the server looks it up.
  auto config = index->FindObjectByGitSha1(GitBlobSha1Hex(config_v2_));
  ASSERT_TRUE(config.ok() && config->has_value());
  EXPECT_EQ((*config)->sha256, Sha256Hex(config_v2_));
  for (const std::string* b : {&config_v1_, &config_v2_, &readme_, &compressible_, &random_, &notes_}) {
    auto reader = dest_->objects->Open(Sha256Hex(*b));
    ASSERT_TRUE(reader.ok());
    std::string got((*reader)->size(), '\0');
    ASSERT_TRUE((*reader)->ReadAt(0, got.data(), got.size()).ok());
    EXPECT_TRUE(got == *b);
  }
  EXPECT_EQ(CountFiles(dest_->dir + "/tmp"), 0u);

  // Importing again changes nothing and adds nothing.
  const std::string before = dest_->Snapshot();
  auto again = Import(dest_.get(), path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->objects_added, 0u);
  EXPECT_EQ(again->objects_present, 6u) << "every carried object is already stored";
  EXPECT_EQ(dest_->Snapshot(), before);
}

TEST_F(BundleTest, CarriesXorbsAsStoredCompressedWhereThatPays) {
  BundleWriteStats stats;
  const std::string v1 = Export({"acme/model@v1"}, "v1.bundle", nullptr, &stats);
  EXPECT_EQ(ReadFile(v1).substr(0, kBundleMagicXorbs.size()), kBundleMagicXorbs);
  EXPECT_GE(stats.compressed_chunks, 2u);  // the weights span several chunks
  EXPECT_LT(stats.stored_bytes, stats.raw_bytes / 4);

  // main's random weights stay uncompressed; only framing is added.
  InventoryListing all_but_random;
  for (const std::string* b : {&config_v1_, &config_v2_, &readme_, &compressible_, &notes_}) {
    all_but_random.objects.insert(Sha256Hex(*b));
  }
  Export({"acme/model@main"}, "random.bundle", &all_but_random, &stats);
  EXPECT_EQ(stats.objects_written, 1u);
  EXPECT_EQ(stats.xorbs_written, 1u);
  EXPECT_EQ(stats.compressed_chunks, 0u);
  EXPECT_GE(stats.stored_bytes, random_.size());
  EXPECT_LE(stats.stored_bytes, random_.size() + 1000) << "records and a footer";
}

// A fine-tune of a base the destination holds crosses with its new chunks
// only: the xorbs the destination's inventory lists stay behind.
TEST_F(BundleTest, SinceLeavesOutTheXorbsTheDestinationHolds) {
  const std::string base = RandomBytes(3 << 20, 40);
  const std::string tuned = base.substr(0, 2 << 20) + RandomBytes(1 << 20, 41);
  source_->Put(base);
  source_->Put(tuned);
  Index* index = source_->index.get();
  const std::string base_commit(40, '4'), tuned_commit(40, '5');
  const RepoKey base_repo{RepoType::kModel, "acme/base"}, tuned_repo{RepoType::kModel, "acme/tuned"};
  ASSERT_OK(index->PutCommit(base_repo, base_commit, "{}"));
  ASSERT_OK(index->PutEntries(base_repo, base_commit, {LfsFile("model.bin", base)}, true));
  ASSERT_OK(index->PutRef(base_repo, "main", base_commit, 1));
  ASSERT_OK(index->PutCommit(tuned_repo, tuned_commit, "{}"));
  ASSERT_OK(index->PutEntries(tuned_repo, tuned_commit, {LfsFile("model.bin", tuned)}, true));
  ASSERT_OK(index->PutRef(tuned_repo, "main", tuned_commit, 1));

  ASSERT_TRUE(Import(dest_.get(), Export({"acme/base"}, "base.bundle")).ok());
  auto inventory = BuildInventory(dest_->index.get(), dest_->objects.get(), dest_->dir);
  ASSERT_TRUE(inventory.ok());
  WriteFile(dir_ + "/inventory.txt", *inventory);
  auto has = ReadInventory(env_.get(), dir_ + "/inventory.txt");
  ASSERT_TRUE(has.ok()) << has.status().ToString();
  EXPECT_EQ(has->xorbs.size(), 1u);

  BundleWriteStats stats;
  const std::string path = Export({"acme/tuned"}, "tuned.bundle", &*has, &stats);
  EXPECT_EQ(stats.objects_written, 1u);
  EXPECT_EQ(stats.xorbs_written, 1u);
  EXPECT_LT(stats.bundle_bytes, (1 << 20) + (256 << 10)) << "the new megabyte, not the base";
  auto summary = Import(dest_.get(), path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto reader = dest_->objects->Open(Sha256Hex(tuned));
  ASSERT_TRUE(reader.ok());
  std::string got((*reader)->size(), '\0');
  ASSERT_TRUE((*reader)->ReadAt(0, got.data(), got.size()).ok());
  EXPECT_TRUE(got == tuned);
  // Its Xet hash travelled into the destination's index.
  auto row = dest_->index->GetObject(Sha256Hex(tuned));
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->xet_hash, (*source_->objects->GetObjectRow(Sha256Hex(tuned))).xet_hash);

  // A store without the base refuses the bundle, naming the missing xorb.
  TestStore empty(env_.get(), dir_ + "/empty");
  const std::string before = empty.Snapshot();
  auto refused = Import(&empty, path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("xorbs"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(empty.Snapshot(), before);
}

// Objects still kept in an older store layout have no xorbs: the bundle then
// carries their bytes (framing 1, as earlier releases wrote), and the
// current store imports that too.
TEST_F(BundleTest, ObjectsOfAnOlderLayoutTravelAsFraming1) {
  const std::string legacy_dir = dir_ + "/legacy";
  {
    auto files = NewFileObjectStore(env_.get(), legacy_dir);
    ASSERT_TRUE(files.ok());
    auto w = (*files)->NewWriter(ObjectPromise{readme_.size(), Sha256Hex(readme_), ""});
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->Append(readme_.data(), readme_.size()));
    ASSERT_OK((*w)->Commit().status());
  }
  TestStore legacy(env_.get(), legacy_dir);
  ASSERT_OK(legacy.index->PutObject(ObjectRecord{Sha256Hex(readme_), GitBlobSha1Hex(readme_),
                                                 readme_.size(), ""}));
  ASSERT_OK(legacy.index->PutCommit(kDataset, kCommitData, "{\"sha\":\"data\"}"));
  ASSERT_OK(legacy.index->PutEntries(kDataset, kCommitData, {RegularFile("README.md", readme_)},
                                     true));
  ASSERT_OK(legacy.index->PutRef(kDataset, "main", kCommitData, 333));
  auto manifest = PlanBundle(legacy.index.get(), legacy.objects.get(),
                             {*ParseBundleRepoSpec("datasets/acme/data")}, nullptr);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_FALSE(manifest->carries_xorbs);
  const std::string path = dir_ + "/legacy.bundle";
  ASSERT_TRUE(WriteBundle(env_.get(), legacy.objects.get(), *manifest, path).ok());
  const std::string bytes = ReadFile(path);
  EXPECT_EQ(bytes.substr(0, kBundleMagic.size()), kBundleMagic);
  EXPECT_EQ(ManifestJson(bytes)["version"], 1) << "readable by older importers";
  auto summary = Import(dest_.get(), path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->objects_added, 1u);
  auto row = dest_->index->GetObject(Sha256Hex(readme_));
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_TRUE(IsLowerHex((*row)->xet_hash, 64)) << "stored as Xet chunks here";
}

TEST_F(BundleTest, FlippedByteAnywhereIsRefusedAndChangesNothing) {
  // The destination already holds one object of the bundle: a failed import
  // must not remove what it did not add.
  dest_->Put(readme_);
  const std::string bundle = ReadFile(Export({"acme/model"}, "model.bundle"));
  ASSERT_GT(bundle.size(), 1000u);
  std::set<size_t> offsets;
  const size_t manifest_end = kBundleMagic.size() + 8 +
                              ReadLittleEndian(bundle.data() + kBundleMagic.size(), 8);
  for (size_t i = 0; i < manifest_end + 200; i += 17) offsets.insert(i);  // magic, manifest
  for (size_t i = manifest_end; i < bundle.size(); i += bundle.size() / 60) offsets.insert(i);
  for (size_t i = bundle.size() - kBundleTrailerBytes; i < bundle.size(); ++i) offsets.insert(i);
  for (size_t offset : offsets) {
    std::string damaged = bundle;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x20);
    ExpectRefused(damaged, "flip at byte " + std::to_string(offset));
  }
  // An untouched copy still imports.
  WriteFile(dir_ + "/ok.bundle", bundle);
  EXPECT_TRUE(Import(dest_.get(), dir_ + "/ok.bundle").ok());
}

TEST_F(BundleTest, TruncatedOrExtendedBundleIsRefusedAndChangesNothing) {
  const std::string bundle = ReadFile(Export({"acme/model"}, "model.bundle"));
  const size_t manifest_end = kBundleMagic.size() + 8 +
                              ReadLittleEndian(bundle.data() + kBundleMagic.size(), 8);
  for (size_t length : {size_t{0}, size_t{5}, kBundleMagic.size(), kBundleMagic.size() + 4,
                        manifest_end - 10, manifest_end, manifest_end + 20, bundle.size() / 2,
                        bundle.size() - kBundleTrailerBytes, bundle.size() - 1}) {
    ExpectRefused(bundle.substr(0, length), "truncated to " + std::to_string(length));
  }
  ExpectRefused(bundle + "x", "one byte appended");
  WriteFile(dir_ + "/short.bundle", bundle.substr(0, bundle.size() / 2));
  auto result = Import(dest_.get(), dir_ + "/short.bundle");
  EXPECT_NE(result.status().message().find("truncated"), std::string::npos)
      << result.status().ToString();
}

TEST_F(BundleTest, SinceLeavesOutWhatTheDestinationHas) {
  ASSERT_TRUE(Import(dest_.get(), Export({"acme/model@v1"}, "v1.bundle")).ok());
  auto inventory = BuildInventory(dest_->index.get(), dest_->objects.get(), dest_->dir);
  ASSERT_TRUE(inventory.ok());
  WriteFile(dir_ + "/inventory.txt", *inventory);
  auto has = ReadInventory(env_.get(), dir_ + "/inventory.txt");
  ASSERT_TRUE(has.ok()) << has.status().ToString();
  EXPECT_EQ(has->objects.size(), 3u);  // config v1, readme, compressible weights

  BundleWriteStats stats;
  std::string path = Export({"acme/model@main"}, "main.bundle", &*has, &stats);
  // main needs config v2, readme, random weights, notes; readme is there.
  EXPECT_EQ(stats.objects_written, 3u);
  auto reader = BundleReader::Open(env_.get(), path);
  ASSERT_TRUE(reader.ok());
  auto manifest = (*reader)->ReadManifest();
  ASSERT_TRUE(manifest.ok());
  std::set<std::string> included;
  for (const BundleObject& o : manifest->objects) {
    if (o.included) included.insert(o.sha256);
  }
  EXPECT_EQ(included, (std::set<std::string>{Sha256Hex(config_v2_), Sha256Hex(random_),
                                             Sha256Hex(notes_)}));

  // A store without v1's objects refuses it, naming the missing object.
  TestStore empty(env_.get(), dir_ + "/empty");
  const std::string before = empty.Snapshot();
  auto refused = Import(&empty, path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(Sha256Hex(readme_)), std::string::npos);
  EXPECT_EQ(empty.Snapshot(), before);

  auto summary = Import(dest_.get(), path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->objects_expected, 1u);
  EXPECT_TRUE((*dest_->index->GetRef(kModel, "main")).has_value());
}

TEST_F(BundleTest, DryRunVerifiesButWritesNothing) {
  std::string path = Export({"acme/model"}, "model.bundle");
  const std::string before = dest_->Snapshot();
  auto summary = Import(dest_.get(), path, /*dry_run=*/true);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->object_records, 6u);
  EXPECT_EQ(summary->objects_added, 6u) << "a dry run counts what it would add";
  EXPECT_EQ(summary->objects_present, 0u);
  EXPECT_EQ(dest_->Snapshot(), before);
}

TEST_F(BundleTest, ExportRefusesIncompleteTreesAndMissingObjects) {
  std::vector<BundleRepoSpec> specs = {*ParseBundleRepoSpec("acme/model@pr")};
  ASSERT_OK(source_->index->PutRef(kModel, "pr", std::string(40, '9'), 1));
  ASSERT_OK(source_->index->PutEntries(kModel, std::string(40, '9'),
                                       {RegularFile("a.txt", "a")}, /*tree_complete=*/false));
  auto planned = PlanBundle(source_->index.get(), source_->objects.get(), specs, nullptr);
  ASSERT_FALSE(planned.ok());
  EXPECT_NE(planned.status().message().find("hubmirror sync acme/model@pr"), std::string::npos)
      << planned.status().message();

  ASSERT_OK(source_->objects->Remove(Sha256Hex(notes_)));
  specs = {*ParseBundleRepoSpec("acme/model@main")};
  planned = PlanBundle(source_->index.get(), source_->objects.get(), specs, nullptr);
  ASSERT_FALSE(planned.ok());
  EXPECT_NE(planned.status().message().find("sub/notes.txt"), std::string::npos)
      << planned.status().message();
  EXPECT_FALSE(ParseBundleRepoSpec("acme/../x").ok());
  EXPECT_FALSE(ParseBundleRepoSpec("acme/model@").ok());
  EXPECT_EQ(ParseBundleRepoSpec("datasets/acme/data@v2")->repo, kDataset);
}

// A revision synced with --include holds only some files' bytes: export
// without a filter says how to get a bundle, with one it carries the selected
// files, lists the rest as left out, and the destination imports the whole
// file list with only the carried bytes.
TEST_F(BundleTest, FilteredExportListsEveryFileButCarriesOnlySelectedOnes) {
  ASSERT_OK(source_->objects->Remove(Sha256Hex(readme_)));  // as a sync --include '*.json' ...
  auto unfiltered = PlanFiltered("acme/model@main", nullptr);
  ASSERT_FALSE(unfiltered.ok());
  EXPECT_NE(unfiltered.status().message().find("README.md"), std::string::npos);
  EXPECT_NE(unfiltered.status().message().find("--include/--exclude"), std::string::npos)
      << unfiltered.status().message();

  const BundleFileFilter carry = [](const std::string& path) {
    return path != "README.md" && path != "sub/notes.txt";
  };
  auto manifest = PlanFiltered("acme/model@main", carry);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->CountLeftOut(), 2u);
  EXPECT_TRUE(manifest->IsLeftOut(kModel, kCommitMain, "README.md"));
  EXPECT_TRUE(manifest->IsLeftOut(kModel, kCommitMain, "sub/notes.txt"));
  std::set<std::string> listed;
  for (const BundleObject& o : manifest->objects) listed.insert(o.sha256);
  EXPECT_EQ(listed, (std::set<std::string>{Sha256Hex(config_v2_), Sha256Hex(random_)}));
  // notes.txt is still stored: a filter leaves out what it does not select.
  const std::string path = dir_ + "/filtered.bundle";
  ASSERT_TRUE(WriteBundle(env_.get(), source_->objects.get(), *manifest, path).ok());
  const nlohmann::json json = ManifestJson(ReadFile(path));
  EXPECT_EQ(json["version"], 3);
  EXPECT_EQ(json["repos"][0]["commits"][0]["files_left_out"],
            nlohmann::json::array({"README.md", "sub/notes.txt"}));

  auto summary = Import(dest_.get(), path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->object_records, 2u);
  EXPECT_EQ(summary->files_left_out, 2u);
  Index* index = dest_->index.get();
  EXPECT_TRUE((*index->GetCommit(kModel, kCommitMain))->tree_complete);
  EXPECT_EQ(*index->ListEntries(kModel, kCommitMain, "", true),
            *source_->index->ListEntries(kModel, kCommitMain, "", true));
  EXPECT_FALSE(index->FindObjectByGitSha1(GitBlobSha1Hex(readme_))->has_value());
  EXPECT_FALSE(dest_->objects->Contains(Sha256Hex(notes_)));
  EXPECT_TRUE(dest_->objects->Contains(Sha256Hex(random_)));
}

// The left-out list relaxes nothing else: a manifest whose object for a file
// is gone is refused unless that file is marked, even with a correct trailer
// (as a careless or hostile rewrite would produce), and a damaged filtered
// bundle is refused like any other.
TEST_F(BundleTest, ManifestDroppingAnUnmarkedObjectIsRefused) {
  auto manifest =
      PlanFiltered("acme/model@main", [](const std::string& p) { return p != "README.md"; });
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  BundleManifest dropped = *manifest;
  std::erase_if(dropped.objects,
                [&](const BundleObject& o) { return o.sha256 == Sha256Hex(config_v2_); });
  const std::string path = dir_ + "/dropped.bundle";
  ASSERT_TRUE(WriteBundle(env_.get(), source_->objects.get(), dropped, path).ok());
  const std::string before = dest_->Snapshot();
  auto refused = Import(dest_.get(), path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("config.json"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(dest_->Snapshot(), before);

  const std::string filtered = dir_ + "/filtered.bundle";
  ASSERT_TRUE(WriteBundle(env_.get(), source_->objects.get(), *manifest, filtered).ok());
  const std::string bytes = ReadFile(filtered);
  const size_t list = bytes.find("files_left_out");
  ASSERT_NE(list, std::string::npos);
  for (size_t i = list; i < list + 40; ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    ExpectRefused(damaged, "flip at byte " + std::to_string(i));
  }

  // Marks the manifest cannot hold: in version 1, on a directory, on a path
  // the commit does not have; versions 2 (framing 1) and 3 hold them.
  nlohmann::json json = nlohmann::json::parse(EncodeBundleManifest(*manifest));
  auto decode_with = [&](int version, std::vector<std::string> left_out) {
    nlohmann::json edited = json;
    edited["version"] = version;
    edited["repos"][0]["commits"][0]["files_left_out"] = left_out;
    return DecodeBundleManifest(edited.dump());
  };
  EXPECT_TRUE(decode_with(3, {"README.md"}).ok());
  EXPECT_TRUE(decode_with(2, {"README.md"}).ok());
  EXPECT_FALSE(decode_with(1, {"README.md"}).ok());
  EXPECT_FALSE(decode_with(3, {"README.md", "sub"}).ok());
  EXPECT_FALSE(decode_with(3, {"README.md", "nope.txt"}).ok());
  EXPECT_FALSE(decode_with(3, {"README.md", "README.md"}).ok());
  EXPECT_FALSE(decode_with(4, {"README.md"}).ok());
  // Version 3's reconstructions are checked too.
  nlohmann::json bad_terms = json;
  bad_terms["objects"][0]["terms"][0][3] = 1;
  EXPECT_FALSE(DecodeBundleManifest(bad_terms.dump()).ok()) << "terms add up to the size";
  nlohmann::json bad_xorb = json;
  bad_xorb["objects"][0]["terms"][0][0] = 99;
  EXPECT_FALSE(DecodeBundleManifest(bad_xorb.dump()).ok()) << "terms name listed xorbs";
}

TEST_F(BundleTest, InventoryFileIsValidated) {
  WriteFile(dir_ + "/bad.txt", "not an inventory\n");
  EXPECT_FALSE(ReadInventory(env_.get(), dir_ + "/bad.txt").ok());
  WriteFile(dir_ + "/bad2.txt", std::string(kInventoryHeader) + "\nabc 12\n");
  auto bad = ReadInventory(env_.get(), dir_ + "/bad2.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
}

TEST_F(BundleTest, EmptyInventoryIsAValidInventoryOfNothing) {
  const std::string text = EmptyInventory("/srv/new");
  EXPECT_EQ(text.rfind(std::string(kInventoryHeader) + "\n", 0), 0u) << text;
  EXPECT_NE(text.find("# objects 0 bytes 0 xorbs 0\n"), std::string::npos) << text;
  WriteFile(dir_ + "/empty.inventory", text);
  auto listed = ReadInventory(env_.get(), dir_ + "/empty.inventory");
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  EXPECT_TRUE(listed->objects.empty());
  EXPECT_TRUE(listed->xorbs.empty());
  // An inventory of an earlier release (version 1, objects only) is read.
  WriteFile(dir_ + "/v1.inventory",
            std::string(kInventoryHeaderV1) + "\n" + std::string(64, 'a') + " 12\n");
  auto v1 = ReadInventory(env_.get(), dir_ + "/v1.inventory");
  ASSERT_TRUE(v1.ok()) << v1.status().message();
  EXPECT_EQ(v1->objects.size(), 1u);
}

}  // namespace
}  // namespace hubmirror
