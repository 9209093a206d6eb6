#include "server/catalog/json_views.h"

#include "store/hash.h"

namespace hubmirror {

using nlohmann::json;

json EntryToJson(const EntryRecord& entry, bool expand) {
  json j = {{"type", entry.is_directory ? "directory" : "file"},
            {"oid", entry.oid},
            {"size", entry.is_directory ? 0 : entry.size},
            {"path", entry.path}};
  if (entry.is_lfs) {
    j["lfs"] = {{"oid", entry.lfs_sha256},
                {"size", entry.size},
                {"pointerSize", entry.lfs_pointer_size}};
  }
  if (expand && !entry.last_commit_json.empty()) {
    json last_commit = json::parse(entry.last_commit_json, nullptr, false);
    if (!last_commit.is_discarded()) j["lastCommit"] = std::move(last_commit);
  }
  return j;
}

json EntriesToJson(const std::vector<EntryRecord>& entries, bool expand) {
  json array = json::array();
  for (const EntryRecord& e : entries) array.push_back(EntryToJson(e, expand));
  return array;
}

Result<std::string> RepoInfoView(const std::string& info_json, const HubRoute& route) {
  json info = json::parse(info_json, nullptr, false);
  if (info.is_discarded() || !info.is_object()) {
    return Status::Internal("stored repo info is not a JSON object");
  }
  if (!route.QueryBool("blobs") && info.contains("siblings") && info["siblings"].is_array()) {
    for (json& sibling : info["siblings"]) {
      if (!sibling.is_object() || !sibling.contains("rfilename")) continue;
      sibling = json{{"rfilename", sibling["rfilename"]}};
    }
  }
  std::vector<std::string> expand = route.QueryValues("expand");
  if (expand.empty()) return info.dump();
  json view = json::object();
  for (const char* always : {"_id", "id"}) {
    if (info.contains(always)) view[always] = info[always];
  }
  for (const std::string& key : expand) {
    if (info.contains(key)) view[key] = info[key];
  }
  return view.dump();
}

bool InfoIsRestricted(const json& info) {
  if (!info.is_object()) return false;
  bool restricted = false;
  if (auto gated = info.find("gated"); gated != info.end()) {
    restricted = !(gated->is_boolean() && !gated->get<bool>()) && !gated->is_null();
  }
  if (auto priv = info.find("private"); priv != info.end() && priv->is_boolean()) {
    restricted = restricted || priv->get<bool>();
  }
  return restricted;
}

json WhoAmIJson(const std::string& name, const std::string& created_at) {
  return {{"type", "user"},
          {"id", Sha256Hex("whoami:" + name).substr(0, 24)},
          {"name", name},
          {"fullname", name},
          {"isPro", false},
          {"orgs", json::array()},
          {"auth",
           {{"type", "access_token"},
            {"accessToken", {{"displayName", name}, {"role", "read"}, {"createdAt", created_at}}}}}};
}

}  // namespace hubmirror
