// ResumeJournal: what a resumable writer (ObjectStore::NewResumableWriter:
// `hubmirror sync`) has ingested so far, so that a later process continues
// the object where a killed or failed one stopped, without a second copy of
// the bytes.
//
// tmp/resume-<key>.journal.partial holds one 48-byte entry per chunk, in
// object order: the chunk's hash, the xorb holding it (the writer's own
// xorb file tmp/resume-<key>.<id>.xorb.partial, or a committed xorb it
// deduplicated against), its index there and its raw size. Entries are
// written after their records, without fsync: a resume reads each chunk
// back and checks its hash, and stops at the first entry whose chunk is
// not there or not right (a torn tail costs only its bytes).
//
// The journal file is flock()ed by its writer: a second writer of the same
// object (another sync, a second file of the same revision with the same
// bytes) gets none and writes afresh. Not thread-safe: one writer's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/status.h"
#include "store/xet/xet_hash.h"

namespace hubmirror {

struct JournalEntry {
  XetHash hash;
  int64_t xorb_id = 0;
  uint32_t index = 0;
  uint32_t raw_size = 0;
};

class ResumeJournal {
 public:
  // Opens (creating) and locks `path`. FailedPrecondition when another
  // writer holds it, or the Env cannot reopen files.
  static Result<std::unique_ptr<ResumeJournal>> Open(Env* env, std::string path);
  ~ResumeJournal();
  ResumeJournal(const ResumeJournal&) = delete;
  ResumeJournal& operator=(const ResumeJournal&) = delete;

  // Every whole entry in the file.
  Result<std::vector<JournalEntry>> ReadAll() const;
  // Empties the file (a writer starting over).
  Status Reset();
  void Add(const JournalEntry& entry);
  Status Flush();
  // Deletes the file (the object committed, or its bytes were wrong).
  void Remove();

 private:
  ResumeJournal(Env* env, std::string path, std::unique_ptr<WritableFile> file);

  Env* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::string pending_;
  bool removed_ = false;
};

// The file names of a resumable writer, by the key of its object
// ("<sha256>" or "git-<sha1>").
std::string ResumeJournalName(const std::string& key);
std::string ResumeXorbName(const std::string& key, int64_t id);

// Reads back the raw bytes of `entries` in order, checking each chunk's
// hash, and hands them to `consume`; stops at the first chunk that cannot
// be read or does not match. `read_chunk` fetches the raw bytes of
// (xorb, index) into `out`. Returns the bytes handed over.
uint64_t ReplayJournal(
    const std::vector<JournalEntry>& entries,
    const std::function<Status(const JournalEntry& entry, std::string* out)>& read_chunk,
    const std::function<Status(const char* data, size_t n)>& consume);

}  // namespace hubmirror
