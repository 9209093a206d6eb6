// How index records are rendered as the Hub's JSON, exactly as clients parse
// it (see hub-protocol.md §3): tree/paths-info entries and repo info.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/hub_route.h"
#include "store/index/index.h"
#include "store/status.h"

namespace hubmirror {

// {"type","oid","size","path"[,"lfs"][,"lastCommit"]}. Never carries Xet fields.
nlohmann::json EntryToJson(const EntryRecord& entry, bool expand);
nlohmann::json EntriesToJson(const std::vector<EntryRecord>& entries, bool expand);

// The stored repo info, shaped by the request: with expand=... only those keys
// plus "_id" and "id"; without blobs=true, siblings carry only "rfilename".
Result<std::string> RepoInfoView(const std::string& info_json, const HubRoute& route);

// Whether repo info (or a listing entry) marks the repo gated ("auto",
// "manual": anything but false) or private.
bool InfoIsRestricted(const nlohmann::json& info);

// GET /api/whoami-v2 for a caller of this mirror: the fields huggingface_hub
// (name, orgs[].name, auth.accessToken) and @huggingface/hub
// (auth.accessToken.createdAt, a date) read. Read-only, no organizations.
nlohmann::json WhoAmIJson(const std::string& name, const std::string& created_at);

}  // namespace hubmirror
