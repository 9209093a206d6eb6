#include "store/index/git_tree.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "store/hash.h"

namespace hubmirror {
namespace {

std::string ParentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// 40 hex digits as the 20 bytes a tree entry holds.
std::string HexToBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

struct TreeItem {
  std::string sort_key;  // the name, with a '/' after folder names (git's order)
  std::string mode;
  std::string name;
  std::string oid;
};

}  // namespace

std::vector<EntryRecord> WithGitDirectories(std::vector<EntryRecord> files,
                                           std::string* root_tree) {
  if (root_tree != nullptr) *root_tree = GitObjectSha1Hex("tree", "");  // no files
  // Folder -> its direct children.
  std::map<std::string, std::vector<TreeItem>> children;
  std::map<std::string, bool> folders;  // every ancestor folder ("" = root)
  for (const EntryRecord& f : files) {
    for (std::string dir = ParentOf(f.path);; dir = ParentOf(dir)) {
      folders[dir] = true;
      if (dir.empty()) break;
    }
  }
  for (const EntryRecord& f : files) {
    children[ParentOf(f.path)].push_back({BaseName(f.path), "100644", BaseName(f.path), f.oid});
  }
  // Deepest folders first, so each child tree's oid is known before its parent's.
  std::vector<std::string> order;
  for (const auto& [dir, unused] : folders) order.push_back(dir);
  std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
    const auto depth = [](const std::string& s) {
      return s.empty() ? 0 : 1 + std::count(s.begin(), s.end(), '/');
    };
    return depth(a) != depth(b) ? depth(a) > depth(b) : a < b;
  });
  std::vector<EntryRecord> out = std::move(files);
  for (const std::string& dir : order) {
    std::vector<TreeItem>& items = children[dir];
    std::sort(items.begin(), items.end(),
              [](const TreeItem& a, const TreeItem& b) { return a.sort_key < b.sort_key; });
    std::string content;
    for (const TreeItem& item : items) {
      content += item.mode + " " + item.name;
      content.push_back('\0');
      content += HexToBytes(item.oid);
    }
    const std::string oid = GitObjectSha1Hex("tree", content);
    if (dir.empty()) {  // the root is no entry of its own
      if (root_tree != nullptr) *root_tree = oid;
      continue;
    }
    children[ParentOf(dir)].push_back({BaseName(dir) + "/", "40000", BaseName(dir), oid});
    EntryRecord folder;
    folder.path = dir;
    folder.is_directory = true;
    folder.oid = oid;
    out.push_back(std::move(folder));
  }
  std::sort(out.begin(), out.end(),
            [](const EntryRecord& a, const EntryRecord& b) { return a.path < b.path; });
  return out;
}

}  // namespace hubmirror
