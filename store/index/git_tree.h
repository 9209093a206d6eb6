// The folders of a commit, derived from its files as git would build them:
// for a repo whose file list is known (the siblings of its repo info) but
// whose tree listing is not, e.g. a mirror that is offline.
#pragma once

#include <string>
#include <vector>

#include "store/index/index.h"

namespace hubmirror {

// `files` (file entries: path, size, oid) plus one directory entry for every
// folder that holds a file, sorted by path. A folder's oid is its git tree id
// (entries "100644 name" for files, "40000 name" for folders, in git's
// order), which is the Hub's for repos without executables or symlinks.
// `root_tree`, when set, receives the root folder's tree id (git's empty
// tree for no files): what a commit names.
std::vector<EntryRecord> WithGitDirectories(std::vector<EntryRecord> files,
                                           std::string* root_tree = nullptr);

}  // namespace hubmirror
