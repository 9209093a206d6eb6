#include "store/index/index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/store/store_test_util.h"
#include "tests/store/shared_store_util.h"

namespace hubmirror {
namespace {

const RepoKey kGpt2{RepoType::kModel, "gpt2"};
const RepoKey kOrgModel{RepoType::kModel, "org/name"};
const RepoKey kOrgDataset{RepoType::kDataset, "org/name"};
const std::string kCommitA(40, 'a');
const std::string kCommitB(40, 'b');

EntryRecord File(const std::string& path, uint64_t size = 1) {
  EntryRecord e;
  e.path = path;
  e.size = size;
  e.oid = std::string(40, 'f');
  return e;
}

EntryRecord Dir(const std::string& path) {
  EntryRecord e;
  e.path = path;
  e.is_directory = true;
  e.oid = std::string(40, 'd');
  return e;
}

std::vector<std::string> Paths(const std::vector<EntryRecord>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.path);
  return out;
}

class IndexTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    Reopen();
  }
  void TearDown() override {
    index_.reset();
    TempDirTest::TearDown();
  }
  void Reopen() {
    index_.reset();
    auto index = Index::Open(testing::TestDb(dir_ + "/index.db"));
    ASSERT_OK(index.status());
    index_ = std::move(index).value();
  }

  std::vector<std::string> List(const RepoKey& repo, const std::string& commit,
                                const std::string& dir, bool recursive) {
    auto r = index_->ListEntries(repo, commit, dir, recursive);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Paths(*r) : std::vector<std::string>{};
  }

  std::unique_ptr<Index> index_;
};

TEST_F(IndexTest, Refs) {
  auto missing = index_->GetRef(kGpt2, "main");
  ASSERT_OK(missing.status());
  EXPECT_FALSE(missing->has_value());

  ASSERT_OK(index_->PutRef(kGpt2, "main", kCommitA, 100));
  auto ref = index_->GetRef(kGpt2, "main");
  ASSERT_OK(ref.status());
  ASSERT_TRUE(ref->has_value());
  EXPECT_EQ((*ref)->commit, kCommitA);
  EXPECT_EQ((*ref)->resolved_at_micros, 100);

  ASSERT_OK(index_->PutRef(kGpt2, "main", kCommitB, 200));
  ref = index_->GetRef(kGpt2, "main");
  ASSERT_OK(ref.status());
  EXPECT_EQ((*ref)->commit, kCommitB);
  EXPECT_EQ((*ref)->resolved_at_micros, 200);

  // Same name, other type or other ref: independent.
  EXPECT_FALSE(index_->GetRef(kOrgDataset, "main")->has_value());
  ASSERT_OK(index_->PutRef(kOrgModel, "main", kCommitA, 1));
  ASSERT_OK(index_->PutRef(kOrgDataset, "main", kCommitB, 2));
  EXPECT_EQ((*index_->GetRef(kOrgModel, "main"))->commit, kCommitA);
  EXPECT_EQ((*index_->GetRef(kOrgDataset, "main"))->commit, kCommitB);
  EXPECT_FALSE(index_->GetRef(kOrgModel, "refs/pr/1")->has_value());
}

TEST_F(IndexTest, HasRepoOnceAnythingIsKnown) {
  EXPECT_FALSE(*index_->HasRepo(kGpt2));
  ASSERT_OK(index_->PutCommit(kGpt2, kCommitA, "{}"));
  EXPECT_TRUE(*index_->HasRepo(kGpt2));
  EXPECT_FALSE(*index_->HasRepo(kOrgDataset));
}

TEST_F(IndexTest, CommitsKeepTreeComplete) {
  EXPECT_FALSE(index_->GetCommit(kGpt2, kCommitA)->has_value());
  ASSERT_OK(index_->PutCommit(kGpt2, kCommitA, R"({"id":"gpt2"})"));
  auto c = index_->GetCommit(kGpt2, kCommitA);
  ASSERT_OK(c.status());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->info_json, R"({"id":"gpt2"})");
  EXPECT_FALSE((*c)->tree_complete);

  ASSERT_OK(index_->PutEntries(kGpt2, kCommitA, {File("a.txt")}, /*tree_complete=*/true));
  EXPECT_TRUE((*index_->GetCommit(kGpt2, kCommitA))->tree_complete);

  ASSERT_OK(index_->PutCommit(kGpt2, kCommitA, R"({"id":"gpt2","v":2})"));
  c = index_->GetCommit(kGpt2, kCommitA);
  EXPECT_EQ((*c)->info_json, R"({"id":"gpt2","v":2})");
  EXPECT_TRUE((*c)->tree_complete);

  // A partial listing later does not un-complete the tree.
  ASSERT_OK(index_->PutEntries(kGpt2, kCommitA, {File("b.txt")}, /*tree_complete=*/false));
  EXPECT_TRUE((*index_->GetCommit(kGpt2, kCommitA))->tree_complete);
}

TEST_F(IndexTest, TreeCompleteBeforeCommitInfo) {
  ASSERT_OK(index_->PutEntries(kGpt2, kCommitB, {File("x")}, /*tree_complete=*/true));
  auto c = index_->GetCommit(kGpt2, kCommitB);
  ASSERT_OK(c.status());
  ASSERT_TRUE(c->has_value());
  EXPECT_TRUE((*c)->tree_complete);
  EXPECT_EQ((*c)->info_json, "");
  ASSERT_OK(index_->PutCommit(kGpt2, kCommitB, "{}"));
  EXPECT_TRUE((*index_->GetCommit(kGpt2, kCommitB))->tree_complete);
}

TEST_F(IndexTest, EntriesUpsertAndGet) {
  EntryRecord lfs = File("model.safetensors", 548105171);
  lfs.is_lfs = true;
  lfs.lfs_sha256 = std::string(64, '1');
  lfs.lfs_pointer_size = 135;
  lfs.last_commit_json = R"({"id":"abc","title":"init"})";
  ASSERT_OK(index_->PutEntries(kGpt2, kCommitA, {lfs, File("config.json", 665)}, false));

  auto got = index_->GetEntry(kGpt2, kCommitA, "model.safetensors");
  ASSERT_OK(got.status());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, lfs);
  EXPECT_FALSE(index_->GetEntry(kGpt2, kCommitA, "missing")->has_value());
  EXPECT_FALSE(index_->GetEntry(kGpt2, kCommitB, "config.json")->has_value());
  EXPECT_FALSE(index_->GetEntry(kOrgModel, kCommitA, "config.json")->has_value());

  // Re-listing without lastCommit keeps the one we had; other fields update.
  EntryRecord relisted = lfs;
  relisted.last_commit_json = "";
  relisted.lfs_pointer_size = 136;
  ASSERT_OK(index_->PutEntries(kGpt2, kCommitA, {relisted}, false));
  got = index_->GetEntry(kGpt2, kCommitA, "model.safetensors");
  EXPECT_EQ((*got)->last_commit_json, lfs.last_commit_json);
  EXPECT_EQ((*got)->lfs_pointer_size, 136u);

  // A new lastCommit replaces the old one.
  relisted.last_commit_json = R"({"id":"def"})";
  ASSERT_OK(index_->PutEntries(kGpt2, kCommitA, {relisted}, false));
  got = index_->GetEntry(kGpt2, kCommitA, "model.safetensors");
  EXPECT_EQ((*got)->last_commit_json, R"({"id":"def"})");
}

TEST_F(IndexTest, ListNonRecursiveAndRecursive) {
  ASSERT_OK(index_->PutEntries(
      kGpt2, kCommitA,
      {File("README.md"), Dir("tok"), File("tok/vocab.json"), Dir("tokenizer"),
       File("tokenizer/merges.txt"), Dir("tokenizer/sub"), File("tokenizer/sub/deep.bin"),
       File("tok.json"), File("tok-extra"), File("tok0"), Dir("onnx"), File("onnx/model.onnx"),
       File("100%_done.txt"), File("under_score")},
      true));

  EXPECT_EQ(List(kGpt2, kCommitA, "", false),
            (std::vector<std::string>{"100%_done.txt", "README.md", "onnx", "tok", "tok-extra",
                                      "tok.json", "tok0", "tokenizer", "under_score"}));
  EXPECT_EQ(List(kGpt2, kCommitA, "tok", false), (std::vector<std::string>{"tok/vocab.json"}));
  EXPECT_EQ(List(kGpt2, kCommitA, "tokenizer", false),
            (std::vector<std::string>{"tokenizer/merges.txt", "tokenizer/sub"}));
  EXPECT_EQ(List(kGpt2, kCommitA, "tok", true), (std::vector<std::string>{"tok/vocab.json"}));
  EXPECT_EQ(List(kGpt2, kCommitA, "tokenizer", true),
            (std::vector<std::string>{"tokenizer/merges.txt", "tokenizer/sub",
                                      "tokenizer/sub/deep.bin"}));
  EXPECT_EQ(List(kGpt2, kCommitA, "", true).size(), 14u);
  EXPECT_TRUE(List(kGpt2, kCommitA, "nope", true).empty());
  EXPECT_TRUE(List(kGpt2, kCommitA, "nope", false).empty());
  // LIKE wildcards in a directory name are plain characters.
  EXPECT_TRUE(List(kGpt2, kCommitA, "t_k", true).empty());
  EXPECT_TRUE(List(kGpt2, kCommitA, "%", true).empty());
  // Other commits and repos are separate.
  EXPECT_TRUE(List(kGpt2, kCommitB, "", true).empty());
  EXPECT_TRUE(List(kOrgModel, kCommitA, "", true).empty());
}

TEST_F(IndexTest, Objects) {
  EXPECT_FALSE(index_->GetObject(std::string(64, 'a'))->has_value());
  auto totals = index_->ObjectTotals();
  ASSERT_OK(totals.status());
  EXPECT_EQ(*totals, (std::pair<uint64_t, uint64_t>(0, 0)));

  ObjectRecord a{std::string(64, 'a'), std::string(40, '1'), 100};
  ObjectRecord b{std::string(64, 'b'), "", 50};
  ASSERT_OK(index_->PutObject(a));
  ASSERT_OK(index_->PutObject(b));
  ASSERT_OK(index_->PutObject(a));  // idempotent

  auto got = index_->GetObject(a.sha256);
  ASSERT_OK(got.status());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->git_sha1, a.git_sha1);
  EXPECT_EQ((*got)->size, 100u);

  auto by_git = index_->FindObjectByGitSha1(a.git_sha1);
  ASSERT_OK(by_git.status());
  ASSERT_TRUE(by_git->has_value());
  EXPECT_EQ((*by_git)->sha256, a.sha256);
  EXPECT_FALSE(index_->FindObjectByGitSha1(std::string(40, '2'))->has_value());
  EXPECT_FALSE(index_->FindObjectByGitSha1("")->has_value());

  // Learning b's git id later fills it in; an empty one never erases it.
  b.git_sha1 = std::string(40, '3');
  ASSERT_OK(index_->PutObject(b));
  ASSERT_OK(index_->PutObject(ObjectRecord{b.sha256, "", 50}));
  EXPECT_EQ((*index_->FindObjectByGitSha1(b.git_sha1))->sha256, b.sha256);

  totals = index_->ObjectTotals();
  EXPECT_EQ(*totals, (std::pair<uint64_t, uint64_t>(2, 150)));
}

TEST_F(IndexTest, PersistsAcrossReopen) {
  ASSERT_OK(index_->PutRef(kOrgDataset, "main", kCommitA, 42));
  ASSERT_OK(index_->PutCommit(kOrgDataset, kCommitA, "{\"x\":1}"));
  ASSERT_OK(
      index_->PutEntries(kOrgDataset, kCommitA, {Dir("data"), File("data/train.parquet")}, true));
  ASSERT_OK(index_->PutObject({std::string(64, 'c'), std::string(40, 'c'), 7}));
  Reopen();
  EXPECT_EQ((*index_->GetRef(kOrgDataset, "main"))->resolved_at_micros, 42);
  auto c = index_->GetCommit(kOrgDataset, kCommitA);
  EXPECT_EQ((*c)->info_json, "{\"x\":1}");
  EXPECT_TRUE((*c)->tree_complete);
  EXPECT_EQ(List(kOrgDataset, kCommitA, "data", false),
            (std::vector<std::string>{"data/train.parquet"}));
  EXPECT_EQ(*index_->ObjectTotals(), (std::pair<uint64_t, uint64_t>(1, 7)));
}

TEST_F(IndexTest, HostileStringsAreJustData) {
  const std::string evil = "x'); DROP TABLE entries; --";
  ASSERT_OK(index_->PutRef(kGpt2, evil, kCommitA, 1));
  EXPECT_EQ((*index_->GetRef(kGpt2, evil))->commit, kCommitA);
  ASSERT_OK(index_->PutEntries(kGpt2, kCommitA, {File("a/" + evil)}, false));
  EXPECT_EQ(List(kGpt2, kCommitA, "a", false), (std::vector<std::string>{"a/" + evil}));
}

TEST_F(IndexTest, RejectsNewerSchema) {
  if (testing::TestOnPostgres()) GTEST_SKIP() << "a SQLite file's user_version";
  index_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/index.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto index = Index::Open(dir_ + "/index.db");
  EXPECT_EQ(index.status().code(), StatusCode::kFailedPrecondition) << index.status().ToString();
}


TEST_F(IndexTest, ListReposRefsAndObjects) {
  ASSERT_OK(index_->PutRef(kOrgModel, "v1", kCommitA, 10));
  ASSERT_OK(index_->PutRef(kOrgModel, "main", kCommitB, 20));
  ASSERT_OK(index_->PutCommit(kOrgDataset, kCommitA, "{}"));
  auto repos = index_->ListRepos();
  ASSERT_OK(repos.status());
  EXPECT_EQ(*repos, (std::vector<RepoKey>{kOrgDataset, kOrgModel}));
  auto refs = index_->ListRefs(kOrgModel);
  ASSERT_OK(refs.status());
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[0].name, "main");
  EXPECT_EQ((*refs)[0].record.commit, kCommitB);
  EXPECT_EQ((*refs)[1].record.resolved_at_micros, 10);
  EXPECT_TRUE(index_->ListRefs(kGpt2)->empty());

  ASSERT_OK(index_->PutObject(ObjectRecord{std::string(64, 'b'), "", 2}));
  ASSERT_OK(index_->PutObject(ObjectRecord{std::string(64, 'a'), std::string(40, 'c'), 1}));
  auto objects = index_->ListObjects();
  ASSERT_OK(objects.status());
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].sha256, std::string(64, 'a'));
  EXPECT_EQ((*objects)[0].git_sha1, std::string(40, 'c'));
}

TEST_F(IndexTest, ImportSnapshotWritesEverythingAndKeepsNewerRefs) {
  ASSERT_OK(index_->PutRef(kOrgModel, "main", kCommitB, 500));
  ASSERT_OK(index_->PutEntries(kOrgModel, kCommitB, {File("old.txt")}, /*tree_complete=*/true));
  RepoSnapshot repo;
  repo.repo = kOrgModel;
  repo.refs = {NamedRef{"main", RefRecord{kCommitA, 100}}, NamedRef{"v1", RefRecord{kCommitA, 100}}};
  repo.commits = {CommitSnapshot{kCommitA, CommitRecord{"{\"sha\":1}", true},
                                 {Dir("d"), File("d/x.bin", 7)}},
                  CommitSnapshot{kCommitB, CommitRecord{"", false}, {}}};
  ASSERT_OK(index_->ImportSnapshot({repo}, {ObjectRecord{std::string(64, 'e'), "", 7}}));

  // The ref resolved later (500) than the snapshot's (100) wins; new refs land.
  EXPECT_EQ((*index_->GetRef(kOrgModel, "main"))->commit, kCommitB);
  EXPECT_EQ((*index_->GetRef(kOrgModel, "v1"))->commit, kCommitA);
  auto a = index_->GetCommit(kOrgModel, kCommitA);
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_TRUE((*a)->tree_complete);
  EXPECT_EQ((*a)->info_json, "{\"sha\":1}");
  EXPECT_EQ(List(kOrgModel, kCommitA, "", true), (std::vector<std::string>{"d", "d/x.bin"}));
  // tree_complete never goes back to 0; entries are kept.
  EXPECT_TRUE((*index_->GetCommit(kOrgModel, kCommitB))->tree_complete);
  EXPECT_EQ(List(kOrgModel, kCommitB, "", true), (std::vector<std::string>{"old.txt"}));
  EXPECT_TRUE(index_->GetObject(std::string(64, 'e'))->has_value());
}

TEST_F(IndexTest, ImportSnapshotIsAllOrNothing) {
  if (testing::TestOnPostgres()) GTEST_SKIP() << "poisons a SQLite file with a trigger";
  // A trigger makes the last row of the snapshot fail, after everything else
  // was written inside the transaction.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/index.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER poison BEFORE INSERT ON entries WHEN NEW.path = 'poison' "
                         "BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  RepoSnapshot good;
  good.repo = kOrgModel;
  good.refs = {NamedRef{"main", RefRecord{kCommitA, 1}}};
  good.commits = {CommitSnapshot{kCommitA, CommitRecord{"{}", true}, {File("a")}}};
  RepoSnapshot bad = good;
  bad.repo = kOrgDataset;
  bad.commits[0].entries.push_back(File("poison"));
  EXPECT_FALSE(index_->ImportSnapshot({good, bad}, {ObjectRecord{std::string(64, 'e'), "", 1}}).ok());
  EXPECT_FALSE(*index_->HasRepo(kOrgModel));
  EXPECT_FALSE(index_->GetObject(std::string(64, 'e'))->has_value());

  ASSERT_OK(index_->ImportSnapshot({good}, {}));
  EXPECT_TRUE(index_->GetRef(kOrgModel, "main")->has_value());
}

// Every query that finds files by object, on both engines (store_on_postgres
// runs this file against PostgreSQL: integer columns read as booleans there
// are an error).
TEST_F(IndexTest, FindsRepoFilesByTheirObject) {
  EntryRecord lfs = File("model.bin", 100);
  lfs.is_lfs = true;
  lfs.lfs_sha256 = std::string(64, 'c');
  EntryRecord plain = File("config.json", 10);
  plain.oid = std::string(40, '9');
  ASSERT_OK(index_->PutRef(kOrgModel, "main", kCommitA, 1));
  ASSERT_OK(index_->PutEntries(kOrgModel, kCommitA, {lfs, plain, Dir("sub")}, true));
  ASSERT_OK(index_->PutObject(ObjectRecord{std::string(64, 'd'), plain.oid, 10, ""}));

  auto by_lfs = index_->FindRepoFileOf(kOrgModel, lfs.lfs_sha256);
  ASSERT_OK(by_lfs.status());
  ASSERT_TRUE(by_lfs->has_value());
  EXPECT_EQ((*by_lfs)->path, "model.bin");
  EXPECT_EQ((*by_lfs)->commit, kCommitA);
  auto by_git = index_->FindRepoFileOf(kOrgModel, std::string(64, 'd'));
  ASSERT_OK(by_git.status());
  ASSERT_TRUE(by_git->has_value());
  EXPECT_EQ((*by_git)->path, "config.json");
  EXPECT_FALSE(index_->FindRepoFileOf(kOrgModel, std::string(64, 'e'))->has_value());
  EXPECT_FALSE(index_->FindRepoFileOf(kGpt2, lfs.lfs_sha256)->has_value());

  auto files = index_->ListRepoFileObjects(kOrgModel);
  ASSERT_OK(files.status());
  std::vector<std::string> shas;
  for (const RepoFileObject& f : *files) shas.push_back(f.sha256);
  std::sort(shas.begin(), shas.end());
  EXPECT_EQ(shas, (std::vector<std::string>{std::string(64, 'c'), std::string(64, 'd')}));
  auto at_commit = index_->ListCommitFileObjects(kOrgModel, kCommitA);
  ASSERT_OK(at_commit.status());
  EXPECT_EQ(at_commit->size(), 2u);
  EXPECT_TRUE(*index_->HasRepo(kOrgModel));
  EXPECT_FALSE(*index_->HasRepo(kGpt2));
}

TEST_F(IndexTest, SharedSettingKeepsTheFirstValue) {
  auto first = index_->SharedSetting("key", std::string("one\0\xff", 5));
  ASSERT_OK(first.status());
  EXPECT_EQ(*first, std::string("one\0\xff", 5));
  auto second = index_->SharedSetting("key", "two");
  ASSERT_OK(second.status());
  EXPECT_EQ(*second, std::string("one\0\xff", 5));
  Reopen();
  EXPECT_EQ(*index_->SharedSetting("key", "three"), std::string("one\0\xff", 5));
}

}  // namespace
}  // namespace hubmirror
