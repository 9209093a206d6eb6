#include "store/repo_key.h"

#include "store/hash.h"

namespace hubmirror {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// One component of a repo id: [A-Za-z0-9._-], not starting or ending with
// '.' or '-', no "..", no "--" (the Hub's own rules).
Status ValidateIdPart(std::string_view part, std::string_view whole) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid repo id '" + std::string(whole) + "': " + why);
  };
  if (part.empty()) return bad("empty namespace or name");
  if (part.size() > 96) return bad("a part is longer than 96 characters");
  for (char c : part) {
    if (!IsNameChar(c)) return bad("only letters, digits, '-', '_' and '.' are allowed");
  }
  if (part.front() == '.' || part.front() == '-' || part.back() == '.' || part.back() == '-') {
    return bad("a part cannot start or end with '.' or '-'");
  }
  if (part.find("..") != std::string_view::npos || part.find("--") != std::string_view::npos) {
    return bad("'..' and '--' are not allowed");
  }
  return Status::Ok();
}

bool HasControlByte(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Shared rules for revisions and paths: relative, '/'-separated, no empty,
// "." or ".." segment, no backslash, no control byte, valid UTF-8.
Status ValidateSlashPath(std::string_view s, const char* what, size_t max_len) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string("invalid ") + what + ": " + why);
  };
  if (s.empty()) return bad("empty");
  if (s.size() > max_len) return bad("longer than " + std::to_string(max_len) + " bytes");
  if (HasControlByte(s)) return bad("contains a control character or NUL");
  if (!IsValidUtf8(s)) return bad("not valid UTF-8");
  if (s.find('\\') != std::string_view::npos) return bad("contains a backslash");
  if (s.front() == '/') return bad("starts with '/'");
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view seg = s.substr(start, end - start);
    if (seg.empty()) return bad("contains an empty segment ('//' or a trailing '/')");
    if (seg == "." || seg == "..") return bad("contains a '.' or '..' segment");
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace

std::string RepoKey::ToString() const { return std::string(RepoTypePlural(type)) + "/" + id; }

std::string RepoKey::DisplayId() const { return std::string(RepoTypeUrlPrefix(type)) + id; }

const char* RepoTypeName(RepoType t) {
  switch (t) {
    case RepoType::kModel: return "model";
    case RepoType::kDataset: return "dataset";
    case RepoType::kSpace: return "space";
  }
  return "model";
}

RepoType RepoTypeFromName(std::string_view name) {
  if (name == "dataset") return RepoType::kDataset;
  if (name == "space") return RepoType::kSpace;
  return RepoType::kModel;
}

bool IsRepoTypeName(std::string_view name) {
  return name == "model" || name == "dataset" || name == "space";
}

const char* RepoTypePlural(RepoType t) {
  switch (t) {
    case RepoType::kModel: return "models";
    case RepoType::kDataset: return "datasets";
    case RepoType::kSpace: return "spaces";
  }
  return "models";
}

const char* RepoTypeUrlPrefix(RepoType t) {
  switch (t) {
    case RepoType::kModel: return "";
    case RepoType::kDataset: return "datasets/";
    case RepoType::kSpace: return "spaces/";
  }
  return "";
}

RepoType TakeRepoTypePrefix(std::string_view* text) {
  for (RepoType t : kAllRepoTypes) {
    const std::string prefix = std::string(RepoTypePlural(t)) + "/";
    if (text->substr(0, prefix.size()) == prefix) {
      text->remove_prefix(prefix.size());
      return t;
    }
  }
  return RepoType::kModel;
}

Status ValidateRepoId(std::string_view id) {
  if (id.size() > kMaxRepoIdLength) {
    return Status::InvalidArgument("invalid repo id: longer than " +
                                   std::to_string(kMaxRepoIdLength) + " characters");
  }
  size_t slash = id.find('/');
  if (slash == std::string_view::npos) return ValidateIdPart(id, id);
  if (id.find('/', slash + 1) != std::string_view::npos) {
    return Status::InvalidArgument("invalid repo id '" + std::string(id) +
                                   "': expected 'namespace/name'");
  }
  HM_RETURN_IF_ERROR(ValidateIdPart(id.substr(0, slash), id));
  return ValidateIdPart(id.substr(slash + 1), id);
}

Status ValidateRevision(std::string_view revision) {
  return ValidateSlashPath(revision, "revision", kMaxRevisionLength);
}

Status ValidateRepoPath(std::string_view path, bool allow_empty) {
  if (path.empty() && allow_empty) return Status::Ok();
  return ValidateSlashPath(path, "path", kMaxRepoPathLength);
}

bool IsCommitSha(std::string_view revision) { return IsLowerHex(revision, 40); }

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace hubmirror
