#include "fetcher/path_filter.h"

#include <fnmatch.h>

namespace hubmirror {
namespace {

std::vector<std::string> Normalize(std::vector<std::string> patterns) {
  for (std::string& p : patterns) {
    if (!p.empty() && p.back() == '/') p += '*';
  }
  return patterns;
}

bool AnyMatches(const std::vector<std::string>& patterns, const std::string& path) {
  for (const std::string& p : patterns) {
    if (fnmatch(p.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

PathFilter::PathFilter(std::vector<std::string> include, std::vector<std::string> exclude)
    : include_(Normalize(std::move(include))), exclude_(Normalize(std::move(exclude))) {}

bool PathFilter::Matches(const std::string& path) const {
  if (!include_.empty() && !AnyMatches(include_, path)) return false;
  return !AnyMatches(exclude_, path);
}

}  // namespace hubmirror
