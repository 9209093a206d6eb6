#include "fetcher/path_filter.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

TEST(PathFilterTest, EmptyTakesEverything) {
  PathFilter all;
  EXPECT_TRUE(all.Matches("a/b/c.bin"));
  EXPECT_TRUE(all.empty());
}

TEST(PathFilterTest, IncludeAndExclude) {
  PathFilter f({"*.safetensors", "*.json"}, {"*optimizer*"});
  EXPECT_TRUE(f.Matches("model.safetensors"));
  EXPECT_TRUE(f.Matches("tokenizer/tokenizer.json"));  // '*' crosses '/', as in fnmatch
  EXPECT_FALSE(f.Matches("pytorch_model.bin"));
  EXPECT_FALSE(f.Matches("optimizer.json"));
}

TEST(PathFilterTest, FolderPattern) {
  PathFilter f({"tokenizer/"}, {});
  EXPECT_TRUE(f.Matches("tokenizer/vocab.txt"));
  EXPECT_FALSE(f.Matches("config.json"));
}

}  // namespace
}  // namespace hubmirror
