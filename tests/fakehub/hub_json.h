// JSON documents the fake hub serves: repo info, tree/paths-info entries and
// the test manifest. Field names and shapes follow huggingface.co (see
// /work/shared/hub-protocol.md section 3).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakehub/hub_model.h"
#include "tests/fakehub/xet_cas.h"

namespace fakehub {

// GET /api/{type}s/{id}[/revision/{rev}] for `commit`. `blobs` adds size,
// blobId and lfs to siblings. A non-empty `expand` keeps only those keys
// (plus "_id" and "id").
nlohmann::json RepoInfoJson(const Repo& repo, const Commit& commit, bool blobs,
                            const std::vector<std::string>& expand);

// One tree / paths-info entry. LFS files carry "lfs" and "xetHash"; `expand`
// adds "lastCommit" (and "securityFileStatus" on files).
nlohmann::json TreeEntryJson(const TreeEntry& entry, const Commit& commit, bool expand);

// GET /_fake/manifest: every repo, ref and file at every commit. Files list
// path, size, sha256, git_oid (the tree oid), lfs and etag (the normalized
// etag a client caches the blob under: sha256 for LFS, git_oid otherwise).
nlohmann::json ManifestJson(const Hub& hub, const XetCas& xet);

}  // namespace fakehub
