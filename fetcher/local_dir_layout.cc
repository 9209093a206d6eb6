#include "fetcher/local_dir_layout.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "fetcher/local_files.h"
#include "store/repo_key.h"

namespace hubmirror {
namespace {

constexpr size_t kMaxMetadataBytes = 4096;
constexpr const char* kHuggingfaceDir = ".cache/huggingface";
constexpr const char* kDownloadDir = ".cache/huggingface/download";

// Splits off the next '\n'-terminated line (the last may lack the newline).
std::optional<std::string_view> NextLine(std::string_view* text) {
  if (text->empty()) return std::nullopt;
  size_t newline = text->find('\n');
  std::string_view line = text->substr(0, newline);
  text->remove_prefix(newline == std::string_view::npos ? text->size() : newline + 1);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  return line;
}

}  // namespace

std::string FormatLocalFileMetadata(const LocalFileMetadata& metadata) {
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%.6f", metadata.timestamp);
  return metadata.commit + "\n" + metadata.etag + "\n" + stamp + "\n";
}

std::optional<LocalFileMetadata> ParseLocalFileMetadata(std::string_view text) {
  std::optional<std::string_view> commit = NextLine(&text);
  std::optional<std::string_view> etag = NextLine(&text);
  std::optional<std::string_view> stamp = NextLine(&text);
  if (!commit || !etag || !stamp || etag->empty() || stamp->empty()) return std::nullopt;
  std::string stamp_text(*stamp);
  char* end = nullptr;
  double timestamp = std::strtod(stamp_text.c_str(), &end);
  if (end == stamp_text.c_str() || *end != '\0') return std::nullopt;
  return LocalFileMetadata{std::string(*commit), std::string(*etag), timestamp};
}

LocalDirLayout::LocalDirLayout(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string LocalDirLayout::DownloadDir() const { return JoinPath(dir_, kDownloadDir); }

std::string LocalDirLayout::FilePath(std::string_view repo_path) const {
  return JoinPath(dir_, repo_path);
}

std::string LocalDirLayout::MetadataPath(std::string_view repo_path) const {
  return JoinPath(DownloadDir(), repo_path) + ".metadata";
}

std::string LocalDirLayout::IncompletePath(std::string_view repo_path,
                                           std::string_view etag) const {
  return JoinPath(DownloadDir(), repo_path) + "." + std::string(etag) + ".incomplete";
}

std::string LocalDirLayout::LockPath(std::string_view repo_path) const {
  return JoinPath(DownloadDir(), repo_path) + ".lock";
}

Status LocalDirLayout::PrepareFor(std::string_view repo_path) const {
  HM_RETURN_IF_ERROR(ValidateRepoPath(repo_path));
  const std::string parent = ParentOf(repo_path);
  HM_RETURN_IF_ERROR(MakeDirsUnder(dir_, parent));
  HM_RETURN_IF_ERROR(MakeDirsUnder(dir_, JoinPath(kDownloadDir, parent)));
  const std::string gitignore = JoinPath(JoinPath(dir_, kHuggingfaceDir), ".gitignore");
  if (!IsRegularFile(gitignore)) HM_RETURN_IF_ERROR(WriteFileAtomically(gitignore, "*"));
  return Status::Ok();
}

bool LocalDirLayout::IsUpToDate(std::string_view repo_path, std::string_view etag) const {
  if (!ValidateRepoPath(repo_path).ok()) return false;
  Result<std::optional<std::string>> text = ReadSmallFile(MetadataPath(repo_path), kMaxMetadataBytes);
  if (!text.ok() || !text->has_value()) return false;
  std::optional<LocalFileMetadata> metadata = ParseLocalFileMetadata(**text);
  if (!metadata || metadata->etag != etag) return false;
  struct stat st;
  const std::string file = FilePath(repo_path);
  if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  double mtime = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
  return mtime - 1 <= metadata->timestamp;
}

Status LocalDirLayout::WriteMetadata(std::string_view repo_path, std::string_view commit,
                                     std::string_view etag, double now_seconds) const {
  HM_RETURN_IF_ERROR(ValidateRepoPath(repo_path));
  LocalFileMetadata metadata{std::string(commit), std::string(etag), now_seconds};
  return WriteFileAtomically(MetadataPath(repo_path), FormatLocalFileMetadata(metadata));
}

}  // namespace hubmirror
