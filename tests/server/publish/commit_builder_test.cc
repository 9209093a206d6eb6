#include "server/publish/commit_builder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/hash.h"

namespace hubmirror {
namespace {

const RepoKey kRepo{RepoType::kModel, "acme-internal/model"};
const HostedRepoRecord kHosted{kRepo, false, "writer", 0};
const std::string kLfsSha(64, 'a');

CommitMessage Message(const std::string& summary, int64_t seconds, std::string description = "") {
  return CommitMessage{"writer", summary, std::move(description), seconds * 1'000'000};
}

// The ids below are what git itself computes for the same files and commit
// (git commit with GIT_AUTHOR_NAME=writer, EMAIL writer@hubmirror, the same
// dates; the LFS file checked in as its pointer).
TEST(CommitBuilderTest, IdsAreGitsOwn) {
  CommitChange first;
  first.added = {RegularFileEntry("a.txt", GitBlobSha1Hex("hello\n"), 6),
                 LfsFileEntry("dir/w.bin", kLfsSha, 123)};
  Result<BuiltCommit> one = BuildCommit(kRepo, kHosted, "", {}, first, Message("first", 1700000000));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->record.tree, "433d50e0a876eddf46cc2afe6bfc8a491700fafa");
  EXPECT_EQ(one->record.commit, "5fc513106f553532d46203cf23d4630ce5d37483");
  std::map<std::string, EntryRecord> by_path;
  for (const EntryRecord& e : one->entries) by_path[e.path] = e;
  EXPECT_EQ(by_path["a.txt"].oid, "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(by_path["dir"].oid, "e52b3e9891e48df16f392cf99e7de78e93b6a9e8");
  EXPECT_TRUE(by_path["dir"].is_directory);
  EXPECT_EQ(by_path["dir/w.bin"].oid, "078fed5e7024b7735c9f93d39eea8484d3b602b7");
  EXPECT_EQ(by_path["dir/w.bin"].lfs_sha256, kLfsSha);
  EXPECT_EQ(by_path["dir/w.bin"].size, 123u);

  CommitChange second;
  second.deleted_files = {"a.txt"};
  Result<BuiltCommit> two = BuildCommit(kRepo, kHosted, one->record.commit, one->entries, second,
                                        Message("second", 1700000060, "why"));
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->record.tree, "3e36f571d564cd99253277b8d5be4958e237fcbf");
  EXPECT_EQ(two->record.commit, "86cb85f10bf5e05b8ed7a8a0a5cc6af7ff928ad7");
  EXPECT_EQ(two->record.parent, one->record.commit);
}

TEST(CommitBuilderTest, AnEmptyRepoHasGitsEmptyTree) {
  Result<BuiltCommit> empty = BuildCommit(kRepo, kHosted, "", {}, {}, Message("nothing", 0));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->record.tree, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
  EXPECT_TRUE(empty->entries.empty());
}

TEST(CommitBuilderTest, DeletingWhatIsNotThereOrMixingFilesAndFoldersIsRefused) {
  CommitChange base;
  base.added = {RegularFileEntry("a/b.txt", GitBlobSha1Hex("x"), 1),
                RegularFileEntry("a-b.txt", GitBlobSha1Hex("y"), 1)};
  Result<BuiltCommit> parent = BuildCommit(kRepo, kHosted, "", {}, base, Message("base", 1));
  ASSERT_TRUE(parent.ok());
  const auto build = [&](const CommitChange& change) {
    return BuildCommit(kRepo, kHosted, parent->record.commit, parent->entries, change,
                       Message("next", 2));
  };
  CommitChange missing_file;
  missing_file.deleted_files = {"nope.txt"};
  EXPECT_EQ(build(missing_file).status().hub_error(), HubError::kEntryNotFound);
  CommitChange missing_folder;
  missing_folder.deleted_folders = {"nope"};
  EXPECT_EQ(build(missing_folder).status().hub_error(), HubError::kEntryNotFound);
  CommitChange file_over_folder;
  file_over_folder.added = {RegularFileEntry("a", GitBlobSha1Hex("z"), 1)};
  EXPECT_EQ(build(file_over_folder).status().code(), StatusCode::kInvalidArgument);
  CommitChange file_under_file;
  file_under_file.added = {RegularFileEntry("a-b.txt/c", GitBlobSha1Hex("z"), 1)};
  EXPECT_EQ(build(file_under_file).status().code(), StatusCode::kInvalidArgument);

  // Deleting a folder takes what is under it, and only that ("a-b.txt"
  // sorts between "a" and "a/").
  CommitChange drop_folder;
  drop_folder.deleted_folders = {"a"};
  Result<BuiltCommit> dropped = build(drop_folder);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  ASSERT_EQ(dropped->entries.size(), 1u);
  EXPECT_EQ(dropped->entries[0].path, "a-b.txt");
}

}  // namespace
}  // namespace hubmirror
