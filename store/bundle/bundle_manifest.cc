// The bundle manifest as JSON, and the byte helpers of bundle_format.h.
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "store/bundle/bundle_format.h"
#include "store/hash.h"
#include "store/repo_key.h"

namespace hubmirror {
namespace {

using nlohmann::json;

constexpr const char* kFormatName = "hubmirror-bundle";


// Typed field access that never throws: a missing or mistyped field is an
// InvalidArgument naming `where` and the key.
Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument("bundle manifest: " + where + ": " + what);
}

Status GetString(const json& obj, const char* key, const std::string& where, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return Bad(where, std::string("'") + key + "' missing or not a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status GetUint(const json& obj, const char* key, const std::string& where, uint64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) {
    return Bad(where, std::string("'") + key + "' missing or not an unsigned integer");
  }
  *out = it->get<uint64_t>();
  return Status::Ok();
}

Status GetArray(const json& obj, const char* key, const std::string& where, const json** out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return Bad(where, std::string("'") + key + "' missing or not an array");
  *out = &*it;
  return Status::Ok();
}

json EncodeEntry(const EntryRecord& e) {
  json j = {{"path", e.path},
            {"type", e.is_directory ? "directory" : "file"},
            {"size", e.size},
            {"oid", e.oid},
            {"last_commit_json", e.last_commit_json}};
  if (e.is_lfs) j["lfs"] = {{"sha256", e.lfs_sha256}, {"pointer_size", e.lfs_pointer_size}};
  return j;
}

Status DecodeEntry(const json& j, const std::string& where, EntryRecord* e) {
  if (!j.is_object()) return Bad(where, "entry is not an object");
  HM_RETURN_IF_ERROR(GetString(j, "path", where, &e->path));
  const std::string at = where + " path '" + e->path + "'";
  if (Status s = ValidateRepoPath(e->path); !s.ok()) return Bad(at, s.message());
  std::string type;
  HM_RETURN_IF_ERROR(GetString(j, "type", at, &type));
  if (type != "file" && type != "directory") return Bad(at, "type must be file or directory");
  e->is_directory = type == "directory";
  HM_RETURN_IF_ERROR(GetUint(j, "size", at, &e->size));
  HM_RETURN_IF_ERROR(GetString(j, "oid", at, &e->oid));
  if (!IsLowerHex(e->oid, 40)) return Bad(at, "oid is not 40 lower-case hex");
  HM_RETURN_IF_ERROR(GetString(j, "last_commit_json", at, &e->last_commit_json));
  auto lfs = j.find("lfs");
  e->is_lfs = lfs != j.end();
  if (e->is_lfs) {
    if (e->is_directory || !lfs->is_object()) return Bad(at, "'lfs' only belongs on files, as an object");
    HM_RETURN_IF_ERROR(GetString(*lfs, "sha256", at, &e->lfs_sha256));
    if (!IsLowerHex(e->lfs_sha256, 64)) return Bad(at, "lfs sha256 is not 64 lower-case hex");
    HM_RETURN_IF_ERROR(GetUint(*lfs, "pointer_size", at, &e->lfs_pointer_size));
  }
  return Status::Ok();
}

// Objects by sha256 and by git sha1, for the entry -> object invariant.
struct ObjectLookup {
  std::unordered_map<std::string, const BundleObject*> by_sha256;
  std::unordered_map<std::string, const BundleObject*> by_git_sha1;
};

// `left_out`: the bundle deliberately carries no object for this file; one
// listed anyway (shared with a carried file) must still agree in size.
Status CheckEntryHasObject(const ObjectLookup& lookup, const EntryRecord& e, bool left_out,
                           const std::string& where) {
  if (e.is_directory) return Status::Ok();
  const BundleObject* object = nullptr;
  if (e.is_lfs) {
    auto it = lookup.by_sha256.find(e.lfs_sha256);
    if (it != lookup.by_sha256.end()) object = it->second;
  } else {
    auto it = lookup.by_git_sha1.find(e.oid);
    if (it != lookup.by_git_sha1.end()) object = it->second;
  }
  if (object == nullptr) {
    if (left_out) return Status::Ok();
    return Bad(where + " path '" + e.path + "'",
               "no object listed for this file, and it is not in the commit's files_left_out");
  }
  if (object->size != e.size) {
    return Bad(where + " path '" + e.path + "'", "size " + std::to_string(e.size) +
                                                    " differs from its object's size " +
                                                    std::to_string(object->size));
  }
  return Status::Ok();
}

Status DecodeXorbs(const json& array, std::vector<BundleXorb>* out) {
  std::set<std::string> seen;
  for (const json& j : array) {
    BundleXorb x;
    const std::string where = "xorb #" + std::to_string(out->size());
    if (!j.is_object()) return Bad(where, "not an object");
    HM_RETURN_IF_ERROR(GetString(j, "hash", where, &x.hash));
    if (!IsLowerHex(x.hash, 64)) return Bad(where, "hash is not 64 lower-case hex");
    const std::string at = "xorb " + x.hash;
    HM_RETURN_IF_ERROR(GetUint(j, "size", at, &x.size));
    if (x.size == 0 || x.size > kMaxBundleXorbBytes) return Bad(at, "size out of range");
    auto included = j.find("included");
    if (included == j.end() || !included->is_boolean()) return Bad(at, "'included' missing or not a boolean");
    x.included = included->get<bool>();
    if (!seen.insert(x.hash).second) return Bad(at, "listed twice");
    out->push_back(std::move(x));
  }
  return Status::Ok();
}

// The reconstruction of an included object (framing 2).
Status DecodeTerms(const json& j, size_t xorb_count, const std::string& at, BundleObject* o) {
  HM_RETURN_IF_ERROR(GetString(j, "xet_hash", at, &o->xet_hash));
  if (!IsLowerHex(o->xet_hash, 64)) return Bad(at, "xet_hash is not 64 lower-case hex");
  const json* terms = nullptr;
  HM_RETURN_IF_ERROR(GetArray(j, "terms", at, &terms));
  uint64_t total = 0;
  for (const json& t : *terms) {
    if (!t.is_array() || t.size() != 4) return Bad(at, "a term is not [xorb, start, end, bytes]");
    for (const json& v : t) {
      if (!v.is_number_unsigned()) return Bad(at, "a term holds a non-integer");
    }
    BundleTerm term;
    const uint64_t xorb = t[0].get<uint64_t>(), start = t[1].get<uint64_t>(),
                   end = t[2].get<uint64_t>(), raw = t[3].get<uint64_t>();
    if (xorb >= xorb_count) return Bad(at, "a term names xorb #" + std::to_string(xorb) + ", not listed");
    if (start >= end || end > 8192 || raw == 0) return Bad(at, "a term's chunk range is invalid");
    term.xorb = static_cast<uint32_t>(xorb);
    term.chunk_start = static_cast<uint32_t>(start);
    term.chunk_end = static_cast<uint32_t>(end);
    term.raw_size = raw;
    total += raw;
    o->terms.push_back(term);
  }
  if (total != o->size) {
    return Bad(at, "terms add up to " + std::to_string(total) + " bytes, the object has " +
                       std::to_string(o->size));
  }
  return Status::Ok();
}

Status DecodeObjects(const json& array, bool with_terms, size_t xorb_count,
                     std::vector<BundleObject>* out) {
  std::set<std::string> seen;
  for (const json& j : array) {
    BundleObject o;
    const std::string where = "object #" + std::to_string(out->size());
    if (!j.is_object()) return Bad(where, "not an object");
    HM_RETURN_IF_ERROR(GetString(j, "sha256", where, &o.sha256));
    if (!IsLowerHex(o.sha256, 64)) return Bad(where, "sha256 is not 64 lower-case hex");
    const std::string at = "object " + o.sha256;
    HM_RETURN_IF_ERROR(GetString(j, "git_sha1", at, &o.git_sha1));
    if (!o.git_sha1.empty() && !IsLowerHex(o.git_sha1, 40)) return Bad(at, "git_sha1 is not 40 lower-case hex");
    HM_RETURN_IF_ERROR(GetUint(j, "size", at, &o.size));
    auto included = j.find("included");
    if (included == j.end() || !included->is_boolean()) return Bad(at, "'included' missing or not a boolean");
    o.included = included->get<bool>();
    if (with_terms && o.included) HM_RETURN_IF_ERROR(DecodeTerms(j, xorb_count, at, &o));
    if (!seen.insert(o.sha256).second) return Bad(at, "listed twice");
    out->push_back(std::move(o));
  }
  return Status::Ok();
}

// The optional "files_left_out" of a commit (manifest version 2): unique,
// valid paths; that each is a file entry is checked once the entries are read.
Status DecodeLeftOut(const json& c, uint64_t version, const std::string& at,
                     std::set<std::string>* out) {
  auto it = c.find("files_left_out");
  if (it == c.end()) return Status::Ok();
  if (version < static_cast<uint64_t>(kBundleFormatVersionWithLeftOut)) {
    return Bad(at, "'files_left_out' needs manifest version " +
                       std::to_string(kBundleFormatVersionWithLeftOut));
  }
  if (!it->is_array()) return Bad(at, "'files_left_out' is not an array");
  for (const json& p : *it) {
    if (!p.is_string()) return Bad(at, "'files_left_out' holds a non-string");
    const std::string path = p.get<std::string>();
    if (Status s = ValidateRepoPath(path); !s.ok()) {
      return Bad(at + " left-out path '" + path + "'", s.message());
    }
    if (!out->insert(path).second) return Bad(at, "left-out path '" + path + "' listed twice");
  }
  return Status::Ok();
}

Status DecodeRepo(const json& j, const ObjectLookup& lookup, uint64_t version,
                  RepoSnapshot* repo, BundleFilesLeftOut* files_left_out) {
  if (!j.is_object()) return Bad("repo", "not an object");
  std::string type;
  HM_RETURN_IF_ERROR(GetString(j, "type", "repo", &type));
  HM_RETURN_IF_ERROR(GetString(j, "id", "repo", &repo->repo.id));
  if (!IsRepoTypeName(type)) return Bad("repo " + repo->repo.id, "type must be model, dataset or space");
  repo->repo.type = RepoTypeFromName(type);
  const std::string where = repo->repo.ToString();
  if (Status s = ValidateRepoId(repo->repo.id); !s.ok()) return Bad(where, s.message());

  const json* commits = nullptr;
  HM_RETURN_IF_ERROR(GetArray(j, "commits", where, &commits));
  std::set<std::string> commit_ids;
  for (const json& c : *commits) {
    CommitSnapshot commit;
    if (!c.is_object()) return Bad(where, "commit is not an object");
    HM_RETURN_IF_ERROR(GetString(c, "commit", where, &commit.commit));
    const std::string at = where + " commit " + commit.commit;
    if (!IsCommitSha(commit.commit)) return Bad(at, "commit id is not 40 lower-case hex");
    if (!commit_ids.insert(commit.commit).second) return Bad(at, "listed twice");
    HM_RETURN_IF_ERROR(GetString(c, "info_json", at, &commit.record.info_json));
    commit.record.tree_complete = true;
    std::set<std::string> left_out;
    HM_RETURN_IF_ERROR(DecodeLeftOut(c, version, at, &left_out));
    const json* entries = nullptr;
    HM_RETURN_IF_ERROR(GetArray(c, "entries", at, &entries));
    std::set<std::string> paths;
    size_t left_out_files = 0;
    for (const json& e : *entries) {
      EntryRecord entry;
      HM_RETURN_IF_ERROR(DecodeEntry(e, at, &entry));
      if (!paths.insert(entry.path).second) return Bad(at, "path '" + entry.path + "' listed twice");
      const bool is_left_out = left_out.count(entry.path) != 0;
      if (is_left_out && entry.is_directory) {
        return Bad(at, "left-out path '" + entry.path + "' is a directory, not a file");
      }
      left_out_files += is_left_out ? 1 : 0;
      HM_RETURN_IF_ERROR(CheckEntryHasObject(lookup, entry, is_left_out, at));
      commit.entries.push_back(std::move(entry));
    }
    if (left_out_files != left_out.size()) {
      for (const std::string& path : left_out) {
        if (paths.count(path) == 0) {
          return Bad(at, "left-out path '" + path + "' is not a file of this commit");
        }
      }
    }
    if (!left_out.empty()) {
      (*files_left_out)[{repo->repo.ToString(), commit.commit}] = std::move(left_out);
    }
    repo->commits.push_back(std::move(commit));
  }

  const json* refs = nullptr;
  HM_RETURN_IF_ERROR(GetArray(j, "refs", where, &refs));
  for (const json& r : *refs) {
    NamedRef ref;
    if (!r.is_object()) return Bad(where, "ref is not an object");
    HM_RETURN_IF_ERROR(GetString(r, "name", where, &ref.name));
    const std::string at = where + " ref '" + ref.name + "'";
    if (Status s = ValidateRevision(ref.name); !s.ok()) return Bad(at, s.message());
    HM_RETURN_IF_ERROR(GetString(r, "commit", at, &ref.record.commit));
    if (commit_ids.count(ref.record.commit) == 0) return Bad(at, "names a commit the bundle does not carry");
    uint64_t resolved_at = 0;
    HM_RETURN_IF_ERROR(GetUint(r, "resolved_at_micros", at, &resolved_at));
    ref.record.resolved_at_micros = static_cast<int64_t>(resolved_at);
    repo->refs.push_back(std::move(ref));
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeBundleManifest(const BundleManifest& manifest) {
  json repos = json::array();
  for (const RepoSnapshot& repo : manifest.repos) {
    json refs = json::array();
    for (const NamedRef& ref : repo.refs) {
      refs.push_back({{"name", ref.name},
                      {"commit", ref.record.commit},
                      {"resolved_at_micros", static_cast<uint64_t>(std::max<int64_t>(0, ref.record.resolved_at_micros))}});
    }
    json commits = json::array();
    for (const CommitSnapshot& commit : repo.commits) {
      json entries = json::array();
      for (const EntryRecord& e : commit.entries) entries.push_back(EncodeEntry(e));
      json c = {{"commit", commit.commit},
                {"info_json", commit.record.info_json},
                {"entries", std::move(entries)}};
      auto left_out = manifest.files_left_out.find({repo.repo.ToString(), commit.commit});
      if (left_out != manifest.files_left_out.end() && !left_out->second.empty()) {
        c["files_left_out"] = left_out->second;  // a std::set: sorted, deterministic
      }
      commits.push_back(std::move(c));
    }
    repos.push_back({{"type", RepoTypeName(repo.repo.type)},
                     {"id", repo.repo.id},
                     {"refs", std::move(refs)},
                     {"commits", std::move(commits)}});
  }
  json objects = json::array();
  for (const BundleObject& o : manifest.objects) {
    json j = {{"sha256", o.sha256}, {"git_sha1", o.git_sha1}, {"size", o.size},
              {"included", o.included}};
    if (manifest.carries_xorbs && o.included) {
      json terms = json::array();
      for (const BundleTerm& t : o.terms) {
        terms.push_back({t.xorb, t.chunk_start, t.chunk_end, t.raw_size});
      }
      j["xet_hash"] = o.xet_hash;
      j["terms"] = std::move(terms);
    }
    objects.push_back(std::move(j));
  }
  // Framing 1: version 1 whenever it suffices, so older importers still
  // read the bundle.
  const int version = manifest.carries_xorbs            ? kBundleFormatVersionXorbs
                      : manifest.CountLeftOut() > 0     ? kBundleFormatVersionWithLeftOut
                                                        : kBundleFormatVersionWithoutLeftOut;
  json doc = {{"format", kFormatName},
              {"version", version},
              {"repos", std::move(repos)},
              {"objects", std::move(objects)}};
  if (manifest.carries_xorbs) {
    json xorbs = json::array();
    for (const BundleXorb& x : manifest.xorbs) {
      xorbs.push_back({{"hash", x.hash}, {"size", x.size}, {"included", x.included}});
    }
    doc["xorbs"] = std::move(xorbs);
  }
  // Every string came out of the index, where it arrived as valid UTF-8 JSON
  // text or a validated path, so `replace` never actually replaces.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<BundleManifest> DecodeBundleManifest(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("bundle manifest: not valid JSON");
  }
  std::string format;
  HM_RETURN_IF_ERROR(GetString(doc, "format", "header", &format));
  uint64_t version = 0;
  HM_RETURN_IF_ERROR(GetUint(doc, "version", "header", &version));
  if (format != kFormatName || version < kBundleFormatVersionWithoutLeftOut ||
      version > kBundleFormatVersionXorbs) {
    return Bad("header", "format '" + format + "' version " + std::to_string(version) +
                             " is not supported (expected " + kFormatName + " version " +
                             std::to_string(kBundleFormatVersionWithoutLeftOut) + " to " +
                             std::to_string(kBundleFormatVersionXorbs) +
                             "; a newer hubmirror may have written it)");
  }
  BundleManifest manifest;
  manifest.carries_xorbs = version == kBundleFormatVersionXorbs;
  if (manifest.carries_xorbs) {
    const json* xorbs = nullptr;
    HM_RETURN_IF_ERROR(GetArray(doc, "xorbs", "header", &xorbs));
    HM_RETURN_IF_ERROR(DecodeXorbs(*xorbs, &manifest.xorbs));
  }
  const json* objects = nullptr;
  HM_RETURN_IF_ERROR(GetArray(doc, "objects", "header", &objects));
  HM_RETURN_IF_ERROR(DecodeObjects(*objects, manifest.carries_xorbs, manifest.xorbs.size(),
                                   &manifest.objects));
  ObjectLookup lookup;
  for (const BundleObject& o : manifest.objects) {
    lookup.by_sha256[o.sha256] = &o;
    if (!o.git_sha1.empty()) lookup.by_git_sha1.emplace(o.git_sha1, &o);
  }
  const json* repos = nullptr;
  HM_RETURN_IF_ERROR(GetArray(doc, "repos", "header", &repos));
  std::set<std::string> repo_names;
  for (const json& r : *repos) {
    RepoSnapshot repo;
    HM_RETURN_IF_ERROR(DecodeRepo(r, lookup, version, &repo, &manifest.files_left_out));
    if (!repo_names.insert(repo.repo.ToString()).second) {
      return Bad(repo.repo.ToString(), "listed twice");
    }
    manifest.repos.push_back(std::move(repo));
  }
  return manifest;
}

bool BundleManifest::IsLeftOut(const RepoKey& repo, const std::string& commit,
                               const std::string& path) const {
  auto it = files_left_out.find({repo.ToString(), commit});
  return it != files_left_out.end() && it->second.count(path) != 0;
}

uint64_t BundleManifest::CountLeftOut() const {
  uint64_t n = 0;
  for (const auto& [key, paths] : files_left_out) n += paths.size();
  return n;
}

void AppendLittleEndian(uint64_t value, size_t bytes, std::string* out) {
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadLittleEndian(const char* data, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  }
  return value;
}

std::string DigestToHex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (char c : raw) {
    hex.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xf]);
    hex.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  }
  return hex;
}

std::string HexToDigest(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string raw;
  raw.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return raw;
}

}  // namespace hubmirror
