// --extra-file: local files published as LFS files of extra model repos, so
// benchmarks can pull multi-GiB files through the fake hub.
//
// Each file is hashed once at start-up (sha256 and git blob sha1, streamed)
// and served from disk with pread: it is never loaded whole into RAM. Files
// of the same repo id form one commit on `main` (commit id
// sha1("commit:extra <repo id>")). The file must not change while served.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tests/fakehub/hub_model.h"

namespace fakehub {

struct ExtraFile {
  std::string repo_id;       // "org/name" (a model repo)
  std::string path_in_repo;  // e.g. "model.safetensors"
  std::string local_file;    // a regular file on this machine
};

// "REPO_ID:PATH_IN_REPO:LOCAL_FILE" (LOCAL_FILE may itself contain ':').
std::optional<ExtraFile> ParseExtraFile(const std::string& spec);

// Adds one repo per distinct repo id to `hub`. Returns an error message when a
// file cannot be read, a repo id already exists, or a path repeats.
std::optional<std::string> AddExtraFiles(const std::vector<ExtraFile>& files, Hub* hub);

}  // namespace fakehub
