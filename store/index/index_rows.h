// Row helpers of the Index's SQLite schema, shared by the files that
// implement Index (index.cc: mirrored repos; hosted_index.cc: repos
// published on the mirror). Internal to store/index. Every function runs on
// the caller's connection; callers hold the Index's mutex (and, where said,
// a transaction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/index/index.h"
#include "store/sql/open_db.h"

namespace hubmirror::index_rows {

std::string ParentOf(std::string_view path);
Result<std::optional<int64_t>> LookupRepoId(sql::Db* db, const RepoKey& repo);
Result<int64_t> EnsureRepoId(sql::Db* db, const RepoKey& repo);
// Inserts or updates entries of one commit; the caller holds a transaction.
Status UpsertEntries(sql::Db* db, int64_t repo_id, const std::string& commit,
                     const std::vector<EntryRecord>& entries);
// Marks a commit's tree as fully listed, creating the commit row if needed.
Status MarkTreeComplete(sql::Db* db, int64_t repo_id, const std::string& commit);

}  // namespace hubmirror::index_rows
