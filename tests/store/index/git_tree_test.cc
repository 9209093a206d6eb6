#include "store/index/git_tree.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace hubmirror {
namespace {

EntryRecord File(std::string path, std::string oid) {
  EntryRecord e;
  e.path = std::move(path);
  e.oid = std::move(oid);
  e.size = 2;
  return e;
}

// The folder ids are git's own: these were made with `git add -A && git
// ls-tree -r -t $(git write-tree)` on the same files, and the names include
// the ones git orders by byte with a '/' after folders ("a-b.txt" < "a.txt"
// < "a/").
TEST(GitTreeTest, FolderIdsAreGitTreeIds) {
  std::vector<EntryRecord> files = {
      File("README.md", "ce013625030ba8dba906f756967f9e9ca394464a"),
      File("a-b.txt", "b68025345d5301abad4d9ec9166f455243a0d746"),
      File("a.txt", "975fbec8256d3e8a3797e7a3611380f27c49f4ac"),
      File("a/b/c.txt", "587be6b4c3f93f93c489c0111bba5596147a26cb"),
      File("config.json", "0967ef424bce6791893e9a57bb952f80fd536e93"),
      File("tokenizer/tokenizer.json", "6615681834b1cf91bf7e6f9c8c4385de64ad9f83"),
      File("tokenizer/vocab.txt", "110ed9b99bc169eb3a675b6a9c7d4c739184cefc"),
      File("weights/part.bin", "e556b830cfd4d2bf3f4501b4ff7cf2ce00c052ef"),
  };
  std::vector<EntryRecord> all = WithGitDirectories(files);
  std::map<std::string, std::string> folders;
  std::vector<std::string> paths;
  for (const EntryRecord& e : all) {
    paths.push_back(e.path);
    if (e.is_directory) folders[e.path] = e.oid;
  }
  EXPECT_EQ(folders, (std::map<std::string, std::string>{
                         {"a", "00309690e7166a5386d0035607a2961e71128e55"},
                         {"a/b", "a80fd2e03b6ce89b245d7cc00ac41c39f99e9eb2"},
                         {"tokenizer", "5d2195b0133708e8f9f462c515d2b2a066d5a970"},
                         {"weights", "a8ab58369cc495548ab10c11b91bfe7f37a091fd"},
                     }));
  EXPECT_EQ(all.size(), files.size() + 4) << "files and folders; the root is no entry";
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

TEST(GitTreeTest, NoFilesNoFolders) { EXPECT_TRUE(WithGitDirectories({}).empty()); }

}  // namespace
}  // namespace hubmirror
