#include "server/publish/commit_payload.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "store/repo_key.h"

namespace hubmirror {
namespace {

using json = nlohmann::json;

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The string member `key` of `value`; "" when absent and not `required`.
Result<std::string> StringField(const json& value, const char* key, bool required,
                                const std::string& where) {
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) {
    if (required) return Status::InvalidArgument(where + ": '" + key + "' is required");
    return std::string();
  }
  if (!it->is_string()) return Status::InvalidArgument(where + ": '" + key + "' must be a string");
  return it->get<std::string>();
}

Result<std::string> CheckedPath(const json& value, const std::string& where, bool folder) {
  HM_ASSIGN_OR_RETURN(std::string path, StringField(value, "path", true, where));
  if (folder) {
    while (!path.empty() && path.back() == '/') path.pop_back();
  }
  Status valid = ValidateRepoPath(path);
  if (!valid.ok()) return Status::InvalidArgument(where + ": " + valid.message());
  return path;
}

}  // namespace

Result<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t bits = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') {
        // Padding only at the very end, as its last one or two characters.
        if (i + 4 != text.size() || j < 2) return Status::InvalidArgument("misplaced base64 '='");
        ++pad;
        bits <<= 6;
        continue;
      }
      if (pad > 0) return Status::InvalidArgument("misplaced base64 '='");
      const size_t v = kBase64Alphabet.find(c);
      if (v == std::string_view::npos) return Status::InvalidArgument("invalid base64 character");
      bits = (bits << 6) | static_cast<uint32_t>(v);
    }
    // The bits under the padding must be zero: one encoding per content.
    if ((pad == 1 && (bits & 0xff) != 0) || (pad == 2 && (bits & 0xffff) != 0)) {
      return Status::InvalidArgument("non-canonical base64 (bits set under the padding)");
    }
    out.push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out.push_back(static_cast<char>((bits >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(bits & 0xff));
  }
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t bits = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) bits |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) bits |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64Alphabet[(bits >> 18) & 63]);
    out.push_back(kBase64Alphabet[(bits >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kBase64Alphabet[(bits >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kBase64Alphabet[bits & 63] : '=');
  }
  return out;
}

Result<CommitPayload> ParseCommitPayload(std::string_view ndjson) {
  CommitPayload payload;
  bool have_header = false;
  std::set<std::string> touched;
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < ndjson.size()) {
    size_t end = ndjson.find('\n', pos);
    if (end == std::string_view::npos) end = ndjson.size();
    std::string_view line = ndjson.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    const std::string where = "commit line " + std::to_string(line_number);
    json item = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!item.is_object() || !item.contains("key") || !item["key"].is_string() ||
        !item.contains("value") || !item["value"].is_object()) {
      return Status::InvalidArgument(where + " is not a {\"key\", \"value\"} JSON object");
    }
    const std::string key = item["key"].get<std::string>();
    const json& value = item["value"];
    if (key == "header") {
      if (have_header) return Status::InvalidArgument(where + ": a second header");
      have_header = true;
      HM_ASSIGN_OR_RETURN(payload.summary, StringField(value, "summary", false, where));
      HM_ASSIGN_OR_RETURN(payload.description, StringField(value, "description", false, where));
      HM_ASSIGN_OR_RETURN(std::string parent, StringField(value, "parentCommit", false, where));
      if (!parent.empty() && (parent.size() < 5 || parent.size() > 40 || !IsHex(parent))) {
        return Status::InvalidArgument(where + ": parentCommit must be 5 to 40 hex digits");
      }
      payload.parent_commit = Lower(parent);
      if (payload.summary.size() > kMaxCommitSummaryBytes ||
          payload.description.size() > kMaxCommitDescriptionBytes) {
        return Status::InvalidArgument(where + ": the commit message is too long");
      }
      continue;
    }
    if (!have_header) return Status::InvalidArgument(where + ": the header must come first");
    if (payload.operations.size() >= kMaxCommitOperations) {
      return Status::InvalidArgument("a commit carries at most " +
                                     std::to_string(kMaxCommitOperations) + " operations");
    }
    CommitOperation op;
    if (key == "file") {
      op.kind = CommitOperation::Kind::kFile;
      HM_ASSIGN_OR_RETURN(op.path, CheckedPath(value, where, false));
      HM_ASSIGN_OR_RETURN(std::string encoding, StringField(value, "encoding", false, where));
      if (encoding != "base64") {
        return Status::InvalidArgument(where + ": 'encoding' must be \"base64\"");
      }
      HM_ASSIGN_OR_RETURN(std::string content, StringField(value, "content", true, where));
      Result<std::string> decoded = DecodeBase64(content);
      if (!decoded.ok()) {
        return Status::InvalidArgument(where + " (" + op.path + "): " + decoded.status().message());
      }
      op.content = std::move(decoded).value();
    } else if (key == "lfsFile") {
      op.kind = CommitOperation::Kind::kLfsFile;
      HM_ASSIGN_OR_RETURN(op.path, CheckedPath(value, where, false));
      HM_ASSIGN_OR_RETURN(std::string algo, StringField(value, "algo", false, where));
      if (!algo.empty() && algo != "sha256") {
        return Status::InvalidArgument(where + ": 'algo' must be \"sha256\"");
      }
      HM_ASSIGN_OR_RETURN(std::string oid, StringField(value, "oid", true, where));
      oid = Lower(oid);
      if (oid.size() != 64 || !IsHex(oid)) {
        return Status::InvalidArgument(where + ": 'oid' must be a sha256 (64 hex digits)");
      }
      op.oid = oid;
      if (auto size = value.find("size"); size != value.end() && !size->is_null()) {
        if (!size->is_number_unsigned()) {
          return Status::InvalidArgument(where + ": 'size' must be a non-negative integer");
        }
        op.size = size->get<uint64_t>();
      }
    } else if (key == "deletedFile" || key == "deletedFolder") {
      const bool folder = key == "deletedFolder";
      op.kind = folder ? CommitOperation::Kind::kDeletedFolder : CommitOperation::Kind::kDeletedFile;
      HM_ASSIGN_OR_RETURN(op.path, CheckedPath(value, where, folder));
    } else {
      return Status::InvalidArgument(where + ": unknown key '" + key + "'");
    }
    if (!touched.insert(op.path).second) {
      return Status::InvalidArgument(where + ": '" + op.path + "' appears twice in one commit");
    }
    payload.operations.push_back(std::move(op));
  }
  if (!have_header) return Status::InvalidArgument("the commit has no header line");
  return payload;
}

}  // namespace hubmirror
