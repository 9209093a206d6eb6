#include "fetcher/hub_json.h"

#include <cctype>
#include <exception>
#include <nlohmann/json.hpp>

#include "store/repo_key.h"

namespace hubmirror {
namespace {

using Json = nlohmann::json;

bool IsHex(std::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads a non-negative integer field; floats, negatives and other types fail.
bool GetSize(const Json& obj, const char* key, uint64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (it->is_number_unsigned()) {
    *out = it->get<uint64_t>();
    return true;
  }
  if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(it->get<int64_t>());
    return true;
  }
  return false;
}

const std::string* GetString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Status ParseEntry(const Json& e, size_t index, EntryRecord* out) {
  auto bad = [index](const std::string& why) {
    return Status::InvalidArgument("upstream entry #" + std::to_string(index) + ": " + why);
  };
  if (!e.is_object()) return bad("not an object");
  const std::string* type = GetString(e, "type");
  if (type == nullptr) return bad("missing or non-string 'type'");
  if (*type == "file") {
    out->is_directory = false;
  } else if (*type == "directory") {
    out->is_directory = true;
  } else {
    return bad("unknown type '" + type->substr(0, 32) + "'");
  }
  const std::string* path = GetString(e, "path");
  if (path == nullptr) return bad("missing or non-string 'path'");
  if (Status st = ValidateRepoPath(*path); !st.ok()) return bad(st.message());
  out->path = *path;
  const std::string* oid = GetString(e, "oid");
  if (oid == nullptr) return bad("missing or non-string 'oid' for '" + *path + "'");
  if (!IsHex(*oid, 40)) return bad("'oid' of '" + *path + "' is not 40 hex digits");
  out->oid = ToLower(*oid);
  if (e.contains("size")) {
    if (!GetSize(e, "size", &out->size)) return bad("bad 'size' for '" + *path + "'");
  } else if (!out->is_directory) {
    return bad("missing 'size' for file '" + *path + "'");
  }
  auto lfs = e.find("lfs");
  if (lfs != e.end() && !lfs->is_null()) {
    if (out->is_directory) return bad("directory '" + *path + "' has 'lfs'");
    if (!lfs->is_object()) return bad("'lfs' of '" + *path + "' is not an object");
    const std::string* sha = GetString(*lfs, "oid");
    if (sha == nullptr || !IsHex(*sha, 64)) {
      return bad("'lfs.oid' of '" + *path + "' is not 64 hex digits");
    }
    uint64_t lfs_size = 0;
    if (!GetSize(*lfs, "size", &lfs_size)) return bad("bad 'lfs.size' for '" + *path + "'");
    if (lfs_size != out->size) return bad("'lfs.size' differs from 'size' for '" + *path + "'");
    if (!GetSize(*lfs, "pointerSize", &out->lfs_pointer_size)) {
      return bad("bad 'lfs.pointerSize' for '" + *path + "'");
    }
    out->is_lfs = true;
    out->lfs_sha256 = ToLower(*sha);
  }
  auto last = e.find("lastCommit");
  if (last != e.end() && !last->is_null()) {
    if (!last->is_object()) return bad("'lastCommit' of '" + *path + "' is not an object");
    out->last_commit_json = Dump(*last);
  }
  return Status::Ok();
}

Result<std::vector<EntryRecord>> ParseTreeEntriesImpl(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("upstream tree listing is not valid JSON");
  if (!j.is_array()) return Status::InvalidArgument("upstream tree listing is not a JSON array");
  std::vector<EntryRecord> entries;
  entries.reserve(j.size());
  size_t index = 0;
  for (const Json& e : j) {
    EntryRecord rec;
    HM_RETURN_IF_ERROR(ParseEntry(e, index++, &rec));
    entries.push_back(std::move(rec));
  }
  return entries;
}

Result<RevisionInfo> ParseRevisionInfoImpl(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("upstream repo info is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("upstream repo info is not a JSON object");
  const std::string* id = GetString(j, "id");
  if (id == nullptr || id->empty()) {
    return Status::InvalidArgument("upstream repo info lacks a string 'id'");
  }
  const std::string* sha = GetString(j, "sha");
  if (sha == nullptr || !IsHex(*sha, 40)) {
    return Status::InvalidArgument("upstream repo info lacks a 40-hex 'sha'");
  }
  RevisionInfo info;
  info.commit = ToLower(*sha);
  j.erase("xetEnabled");
  auto siblings = j.find("siblings");
  if (siblings != j.end() && siblings->is_array()) {
    for (Json& s : *siblings) {
      if (s.is_object()) s.erase("xetHash");
    }
  }
  info.info_json = Dump(j);
  return info;
}

Result<std::vector<EntryRecord>> ParseSiblingFilesImpl(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("repo info is not a JSON object");
  auto siblings = j.find("siblings");
  if (siblings == j.end() || !siblings->is_array()) {
    return Status::InvalidArgument("repo info lists no siblings");
  }
  std::vector<EntryRecord> files;
  files.reserve(siblings->size());
  for (size_t i = 0; i < siblings->size(); ++i) {
    const Json& s = (*siblings)[i];
    auto bad = [i](const std::string& why) {
      return Status::InvalidArgument("sibling #" + std::to_string(i) + ": " + why);
    };
    if (!s.is_object()) return bad("not an object");
    const std::string* path = GetString(s, "rfilename");
    const std::string* oid = GetString(s, "blobId");
    EntryRecord e;
    if (path == nullptr || oid == nullptr || !IsHex(*oid, 40) || !GetSize(s, "size", &e.size)) {
      return bad("no rfilename, blobId and size (repo info without blobs=true)");
    }
    if (Status st = ValidateRepoPath(*path); !st.ok()) return bad(st.message());
    e.path = *path;
    e.oid = ToLower(*oid);
    auto lfs = s.find("lfs");
    if (lfs != s.end() && !lfs->is_null()) {
      const std::string* sha = lfs->is_object() ? GetString(*lfs, "sha256") : nullptr;
      uint64_t lfs_size = 0;
      if (sha == nullptr || !IsHex(*sha, 64) || !GetSize(*lfs, "size", &lfs_size) ||
          lfs_size != e.size || !GetSize(*lfs, "pointerSize", &e.lfs_pointer_size)) {
        return bad("malformed 'lfs' of '" + *path + "'");
      }
      e.is_lfs = true;
      e.lfs_sha256 = ToLower(*sha);
    }
    files.push_back(std::move(e));
  }
  return files;
}

Result<std::vector<std::string>> ParseRepoIdsImpl(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("upstream repo list is not valid JSON");
  if (!j.is_array()) return Status::InvalidArgument("upstream repo list is not a JSON array");
  std::vector<std::string> ids;
  ids.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string* id = j[i].is_object() ? GetString(j[i], "id") : nullptr;
    if (id == nullptr) {
      return Status::InvalidArgument("upstream repo #" + std::to_string(i) +
                                     " lacks a string 'id'");
    }
    if (Status st = ValidateRepoId(*id); !st.ok()) {
      return Status::InvalidArgument("upstream repo #" + std::to_string(i) + ": " + st.message());
    }
    ids.push_back(*id);
  }
  return ids;
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0xf]);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<EntryRecord>> ParseTreeEntries(std::string_view json) {
  try {
    return ParseTreeEntriesImpl(json);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("parsing upstream tree listing: ") + e.what());
  }
}

Result<RevisionInfo> ParseRevisionInfo(std::string_view json) {
  try {
    return ParseRevisionInfoImpl(json);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("parsing upstream repo info: ") + e.what());
  }
}

Result<std::vector<EntryRecord>> ParseSiblingFiles(std::string_view info_json) {
  try {
    return ParseSiblingFilesImpl(info_json);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("parsing repo info siblings: ") + e.what());
  }
}

bool IsJsonDocument(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return !j.is_discarded() && (j.is_object() || j.is_array());
}

Result<std::vector<std::string>> ParseRepoIds(std::string_view json) {
  try {
    return ParseRepoIdsImpl(json);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("parsing upstream repo list: ") + e.what());
  }
}

std::string EncodePathForUrl(std::string_view path) { return PercentEncode(path, true); }

std::string EncodeRevisionForUrl(std::string_view revision) {
  return PercentEncode(revision, false);
}

}  // namespace hubmirror
