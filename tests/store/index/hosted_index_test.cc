#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/index/index.h"
#include "tests/store/store_test_util.h"
#include "tests/store/shared_store_util.h"

namespace hubmirror {
namespace {

const RepoKey kRepo{RepoType::kModel, "acme-internal/model"};

EntryRecord File(const std::string& path) {
  EntryRecord e;
  e.path = path;
  e.size = 1;
  e.oid = std::string(40, 'f');
  return e;
}

HostedCommitRecord Commit(char id, const std::string& parent) {
  HostedCommitRecord c;
  c.commit = std::string(40, id);
  c.parent = parent;
  c.tree = std::string(40, 't');
  c.author = "writer";
  c.summary = std::string("commit ") + id;
  c.at_micros = 1;
  return c;
}

class HostedIndexTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto index = Index::Open(testing::TestDb(dir_ + "/index.db"));
    ASSERT_OK(index.status());
    index_ = std::move(index).value();
    ASSERT_OK(index_->CreateHostedRepo(HostedRepoRecord{kRepo, false, "writer", 1}));
    ASSERT_OK(index_->CommitHosted(kRepo, "main", "", Commit('a', ""), "{}", {File("a.txt")}));
  }
  std::string Main() {
    auto ref = index_->GetRef(kRepo, "main");
    EXPECT_TRUE(ref.ok() && ref->has_value());
    return ref.ok() && ref->has_value() ? (*ref)->commit : "";
  }
  std::unique_ptr<Index> index_;
};

TEST_F(HostedIndexTest, CreatingTwiceIsRefused) {
  EXPECT_EQ(index_->CreateHostedRepo(HostedRepoRecord{kRepo, true, "other", 2}).code(),
            StatusCode::kAlreadyExists);
  auto hosted = index_->GetHostedRepo(kRepo);
  ASSERT_TRUE(hosted.ok() && hosted->has_value());
  EXPECT_EQ((*hosted)->created_by, "writer");
  EXPECT_FALSE((*hosted)->is_private);
}

// Two writers that read the same branch head: the second one's commit is
// refused whole (its commit row, entries and ref move all absent).
TEST_F(HostedIndexTest, ACommitOnAStaleBranchHeadWritesNothing) {
  const std::string head = Main();
  ASSERT_OK(index_->CommitHosted(kRepo, "main", head, Commit('b', head), "{}",
                                 {File("a.txt"), File("b.txt")}));
  Status stale = index_->CommitHosted(kRepo, "main", head, Commit('c', head), "{}",
                                      {File("a.txt"), File("c.txt")});
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Main(), std::string(40, 'b'));
  auto lost = index_->GetHostedCommit(kRepo, std::string(40, 'c'));
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->has_value());
  auto entries = index_->ListEntries(kRepo, std::string(40, 'c'), "", true);
  EXPECT_TRUE(!entries.ok() || entries->empty());
  // A new branch must not exist yet when "" is expected.
  EXPECT_EQ(index_->CommitHosted(kRepo, "main", "", Commit('d', ""), "{}", {}).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(HostedIndexTest, RefsAndDeletion) {
  ASSERT_OK(index_->PutHostedRef(kRepo, HostedRef{"v1", true, Main()}, false));
  EXPECT_EQ(index_->PutHostedRef(kRepo, HostedRef{"v1", true, Main()}, false).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(index_->DeleteHostedRef(kRepo, "nope", true).code(), StatusCode::kNotFound);
  auto refs = index_->ListHostedRefs(kRepo);
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ(refs->size(), 2u);  // main and v1
  ASSERT_OK(index_->DeleteHostedRepo(kRepo));
  auto gone = index_->GetHostedRepo(kRepo);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto ref = index_->GetRef(kRepo, "main");
  ASSERT_TRUE(ref.ok());
  EXPECT_FALSE(ref->has_value());
}

}  // namespace
}  // namespace hubmirror
