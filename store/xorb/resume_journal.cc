#include "store/xorb/resume_journal.h"

#include <cstring>

#include "store/temp_files.h"

namespace hubmirror {
namespace {

constexpr size_t kEntryBytes = 48;
// Entries are written in batches (a chunk is ~64 KiB: a batch covers ~4 MiB).
constexpr size_t kBatchEntries = 64;

void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string ResumeJournalName(const std::string& key) {
  return "resume-" + key + ".journal.partial";
}

std::string ResumeXorbName(const std::string& key, int64_t id) {
  return "resume-" + key + "." + std::to_string(id) + ".xorb.partial";
}

Result<std::unique_ptr<ResumeJournal>> ResumeJournal::Open(Env* env, std::string path) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->OpenAppendableFile(path));
  // Locked by another writer of the same object, or unlinked by a cleaner
  // between our open and our lock: not ours to continue.
  if (!TryLockTempFile(file->fd()) || !SameFile(path, file->fd())) {
    return Status::FailedPrecondition(path + " is in use");
  }
  return std::unique_ptr<ResumeJournal>(new ResumeJournal(env, std::move(path), std::move(file)));
}

ResumeJournal::ResumeJournal(Env* env, std::string path, std::unique_ptr<WritableFile> file)
    : env_(env), path_(std::move(path)), file_(std::move(file)) {}

ResumeJournal::~ResumeJournal() {
  if (!removed_) (void)Flush();
  (void)file_->Close();
}

Result<std::vector<JournalEntry>> ResumeJournal::ReadAll() const {
  std::vector<JournalEntry> out;
  char buf[kEntryBytes * 256];
  for (uint64_t offset = 0;;) {
    HM_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset, buf, sizeof(buf)));
    const size_t whole = got / kEntryBytes * kEntryBytes;
    for (size_t at = 0; at < whole; at += kEntryBytes) {
      JournalEntry e;
      std::memcpy(e.hash.bytes.data(), buf + at, 32);
      e.xorb_id = static_cast<int64_t>(GetU64(buf + at + 32));
      e.index = GetU32(buf + at + 40);
      e.raw_size = GetU32(buf + at + 44);
      out.push_back(e);
    }
    if (got < sizeof(buf)) break;
    offset += got;
  }
  return out;
}

Status ResumeJournal::Reset() {
  pending_.clear();
  return file_->Truncate(0);
}

void ResumeJournal::Add(const JournalEntry& entry) {
  char buf[kEntryBytes];
  std::memcpy(buf, entry.hash.bytes.data(), 32);
  PutU64(buf + 32, static_cast<uint64_t>(entry.xorb_id));
  PutU32(buf + 40, entry.index);
  PutU32(buf + 44, entry.raw_size);
  pending_.append(buf, sizeof(buf));
  if (pending_.size() >= kBatchEntries * kEntryBytes) (void)Flush();
}

Status ResumeJournal::Flush() {
  if (pending_.empty()) return Status::Ok();
  Status s = file_->Append(pending_.data(), pending_.size());
  pending_.clear();
  return s;
}

void ResumeJournal::Remove() {
  // Once only: by then another writer may own a journal under this name.
  if (removed_) return;
  pending_.clear();
  removed_ = true;
  (void)env_->RemoveFile(path_);
}

uint64_t ReplayJournal(
    const std::vector<JournalEntry>& entries,
    const std::function<Status(const JournalEntry& entry, std::string* out)>& read_chunk,
    const std::function<Status(const char* data, size_t n)>& consume) {
  uint64_t replayed = 0;
  std::string raw;
  for (const JournalEntry& e : entries) {
    if (!read_chunk(e, &raw).ok() || raw.size() != e.raw_size ||
        XetChunkHash(raw.data(), raw.size()) != e.hash) {
      break;
    }
    if (!consume(raw.data(), raw.size()).ok()) break;
    replayed += raw.size();
  }
  return replayed;
}

}  // namespace hubmirror
