// DownloadVerifiedFile: fetch one repo file to a local path, resumably, and
// put it in place only once its bytes match what the Hub promised.
//
// The bytes go to `partial_path` (appended; an existing partial is resumed
// from its size, with Range). When the transfer is complete the whole partial
// (earlier bytes included) must hash to the entry's identity: the LFS sha256
// for LFS files, the git blob sha1 ("blob <size>\0" + bytes) otherwise, and
// have the entry's size. Only then is it fsynced and renamed over
// `final_path`.
//
// Failure policy:
//  - a transfer error leaves the partial in place, so the next run resumes;
//  - a digest mismatch deletes the partial. If the partial had been resumed
//    from earlier bytes (which may be what was corrupt), the file is
//    downloaded once more from scratch; a mismatch of a fresh download is
//    DataLoss.
//
// Thread-safety: safe to call concurrently for different partial paths; the
// caller serializes callers of the same partial (e.g. with a FileLock).
#pragma once

#include <cstdint>
#include <string>

#include "fetcher/transfer_progress.h"
#include "fetcher/upstream.h"
#include "store/index/index.h"
#include "store/repo_key.h"
#include "store/status.h"

namespace hubmirror {

struct VerifiedDownloadOutcome {
  uint64_t resumed_bytes = 0;      // bytes of an existing partial that were reused
  bool discarded_partial = false;  // an existing partial failed verification and was replaced
};

// Downloads `entry` (a file of `repo` at `commit`; entry.path already
// validated) into `final_path` via `partial_path`. Reports the bytes that
// cross the network to progress->BytesTransferred(entry.path, n); it does not
// call FileStarted/FileFinished.
Result<VerifiedDownloadOutcome> DownloadVerifiedFile(Upstream* upstream, const RepoKey& repo,
                                                     const std::string& commit,
                                                     const EntryRecord& entry,
                                                     const std::string& partial_path,
                                                     const std::string& final_path,
                                                     TransferProgress* progress);

}  // namespace hubmirror
