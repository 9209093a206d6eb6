// PathFilter: which files of a repo a sync or pull takes, from include and
// exclude glob patterns in the style of huggingface_hub's allow_patterns /
// ignore_patterns (fnmatch; '*' also matches '/', so "*.json" selects JSON
// files in every folder). No include pattern means "everything"; an exclude
// wins over an include. A pattern ending in '/' selects a folder's contents.
#pragma once

#include <string>
#include <vector>

namespace hubmirror {

class PathFilter {
 public:
  PathFilter() = default;
  PathFilter(std::vector<std::string> include, std::vector<std::string> exclude);

  bool Matches(const std::string& path) const;
  bool empty() const { return include_.empty() && exclude_.empty(); }

 private:
  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
};

}  // namespace hubmirror
