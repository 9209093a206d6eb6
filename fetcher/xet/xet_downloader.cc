#include "fetcher/xet/xet_downloader.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "fetcher/xet/xet_plan.h"
#include "store/xet/chunk_codec.h"
#include "store/xet/xet_hash.h"
#include "store/xet/xorb_format.h"

namespace hubmirror {
namespace {

// The decoded chunks of one fetched range, in one buffer (one allocation per
// range rather than one per chunk: a pull's memory goes back to the system
// when it is done).
struct FetchedChunks {
  std::string raw;                      // every chunk's raw bytes, back to back
  std::vector<size_t> offsets;          // of chunk i in `raw`
  std::vector<UpstreamXorbChunk> meta;  // chunk i's identity and record
  std::string_view Raw(size_t i) const { return {raw.data() + offsets[i], meta[i].raw_size}; }
};

// Chunks [first_index, last_index] of plan span `span`, fetched as bytes
// [byte_first, byte_last] of its xorb.
struct FetchJob {
  size_t span = 0;
  uint32_t first_index = 0;
  uint32_t last_index = 0;
  uint64_t byte_first = 0;
  uint64_t byte_last = 0;
  size_t first_use = 0;  // terms that need it
  size_t last_use = 0;
  uint64_t wire_bytes() const { return byte_last - byte_first + 1; }
  std::future<Result<FetchedChunks>> pending;
  std::optional<FetchedChunks> chunks;  // once fetched, until last_use
};

// Fetched ranges held at once (in flight or waiting for their terms),
// beyond the one the next term needs.
constexpr uint64_t kMaxBytesAhead = uint64_t{128} << 20;

// The records in `bytes` (which start at xorb offset `base`): exactly `count`
// chunks, each decoded and hashed.
Result<FetchedChunks> ParseRecords(const std::string& bytes, uint64_t base, uint32_t first_index,
                                   uint32_t count) {
  // Pass 1: the headers, their bounds, the raw total.
  std::vector<XetRecordHeader> headers;
  headers.reserve(count);
  uint64_t raw_total = 0;
  size_t at = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < kXetRecordHeaderBytes) {
      return Status::DataLoss("xorb range ends inside a chunk header");
    }
    HM_ASSIGN_OR_RETURN(XetRecordHeader header,
                        DecodeRecordHeader(reinterpret_cast<const uint8_t*>(bytes.data() + at)));
    const size_t record = kXetRecordHeaderBytes + header.stored_size;
    if (bytes.size() - at < record) return Status::DataLoss("xorb range ends inside a chunk");
    headers.push_back(header);
    raw_total += header.raw_size;
    at += record;
  }
  if (at != bytes.size()) return Status::DataLoss("xorb range holds more than its chunks");
  // Pass 2: decode into one buffer and name each chunk.
  XetChunkCodec codec;
  FetchedChunks out;
  out.raw.resize(raw_total);
  out.offsets.reserve(count);
  out.meta.reserve(count);
  at = 0;
  size_t raw_at = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const XetRecordHeader& header = headers[i];
    uint8_t* raw = reinterpret_cast<uint8_t*>(out.raw.data() + raw_at);
    HM_RETURN_IF_ERROR(codec.Decode(
        header.scheme, reinterpret_cast<const uint8_t*>(bytes.data() + at + kXetRecordHeaderBytes),
        header.stored_size, raw, header.raw_size));
    UpstreamXorbChunk meta;
    meta.index = first_index + i;
    meta.hash = XetChunkHash(raw, header.raw_size);
    meta.raw_size = header.raw_size;
    meta.record_offset = base + at;
    meta.record_size = static_cast<uint32_t>(kXetRecordHeaderBytes + header.stored_size);
    out.offsets.push_back(raw_at);
    out.meta.push_back(meta);
    raw_at += header.raw_size;
    at += meta.record_size;
  }
  return out;
}

}  // namespace

Status XetDownloader::Download(const std::string& file_hash, const std::string& token_url,
                               uint64_t offset, uint64_t size, const ByteSink& sink,
                               uint64_t* delivered) {
  if (offset >= size) return Status::Ok();
  HM_ASSIGN_OR_RETURN(XetAccess access, cas_.GetReadToken(token_url));
  HM_ASSIGN_OR_RETURN(std::string body,
                      cas_.GetReconstruction(access, file_hash, offset, size - 1));
  HM_ASSIGN_OR_RETURN(XetPlan plan, ParseXetPlan(body));

  // What the store holds of each span, and the one byte range to fetch for
  // the rest: from the first missing chunk to the last, between the known
  // neighbours' records.
  // Declared before the jobs: their fetch threads add to it, and a job's
  // destructor waits for its thread.
  std::atomic<uint64_t> fetched_total{0};
  uint64_t reused_total = 0;
  std::vector<std::map<uint32_t, UpstreamXorbChunk>> known(plan.spans.size());
  std::vector<long> job_of_span(plan.spans.size(), -1);
  std::vector<FetchJob> jobs;
  for (size_t i = 0; i < plan.spans.size(); ++i) {
    const XetFetchSpan& span = plan.spans[i];
    HM_ASSIGN_OR_RETURN(std::vector<UpstreamXorbChunk> held,
                        store_->KnownUpstreamChunks(span.xorb, span.chunk_start, span.chunk_end));
    for (const UpstreamXorbChunk& c : held) known[i].emplace(c.index, c);
    std::optional<uint32_t> first_missing;
    uint32_t last_missing = 0;
    for (uint32_t idx = span.chunk_start; idx < span.chunk_end; ++idx) {
      if (known[i].count(idx) != 0) continue;
      if (!first_missing) first_missing = idx;
      last_missing = idx;
    }
    if (!first_missing) continue;
    FetchJob job;
    job.span = i;
    job.first_index = *first_missing;
    job.last_index = last_missing;
    job.byte_first = span.byte_first;
    job.byte_last = span.byte_last;
    auto before = known[i].find(job.first_index - 1);
    auto after = known[i].find(job.last_index + 1);
    if (job.first_index > span.chunk_start && before != known[i].end()) {
      job.byte_first = before->second.record_offset + before->second.record_size;
    }
    if (job.last_index + 1 < span.chunk_end && after != known[i].end()) {
      job.byte_last = after->second.record_offset - 1;
    }
    if (job.byte_first < span.byte_first || job.byte_last > span.byte_last ||
        job.byte_first > job.byte_last) {
      // Remembered offsets that do not fit this answer: fetch it all.
      job.first_index = span.chunk_start;
      job.last_index = span.chunk_end - 1;
      job.byte_first = span.byte_first;
      job.byte_last = span.byte_last;
    }
    job_of_span[i] = static_cast<long>(jobs.size());
    jobs.push_back(std::move(job));
  }
  // Which terms need which job, and the order jobs are first needed in.
  std::vector<bool> used(jobs.size(), false);
  std::vector<size_t> launch_order;
  for (size_t t = 0; t < plan.terms.size(); ++t) {
    const XetPlanTerm& term = plan.terms[t];
    const long j = job_of_span[term.span];
    if (j < 0) continue;
    FetchJob& job = jobs[static_cast<size_t>(j)];
    if (term.chunk_end <= job.first_index || term.chunk_start > job.last_index) continue;
    if (!used[static_cast<size_t>(j)]) {
      used[static_cast<size_t>(j)] = true;
      job.first_use = t;
      launch_order.push_back(static_cast<size_t>(j));
    }
    job.last_use = t;
  }
  std::vector<size_t> rank(jobs.size(), 0);
  for (size_t r = 0; r < launch_order.size(); ++r) rank[launch_order[r]] = r;

  // A job's fetch, on its own thread; a 403 (expired URL) gets a fresh
  // reconstruction's URL for the same range, twice at most.
  auto fetch = [this, token_url, file_hash, offset, size, &fetched_total](
                   XetFetchSpan span, uint32_t first_index, uint32_t last_index,
                   uint64_t byte_first, uint64_t byte_last)
      -> Result<FetchedChunks> {
    for (int refresh = 0;; ++refresh) {
      std::string bytes;
      bytes.reserve(byte_last - byte_first + 1);
      Status st = cas_.FetchRange(span.url, byte_first, byte_last, &bytes);
      if (stats_ != nullptr) stats_->fetched_bytes += bytes.size();
      fetched_total += bytes.size();
      if (st.ok()) return ParseRecords(bytes, byte_first, first_index, last_index - first_index + 1);
      if (st.code() != StatusCode::kPermissionDenied || refresh >= 2) return st;
      HM_ASSIGN_OR_RETURN(XetAccess fresh, cas_.GetReadToken(token_url));
      HM_ASSIGN_OR_RETURN(std::string again,
                          cas_.GetReconstruction(fresh, file_hash, offset, size - 1));
      HM_ASSIGN_OR_RETURN(XetPlan replan, ParseXetPlan(again));
      bool found = false;
      for (const XetFetchSpan& s : replan.spans) {
        if (s.xorb == span.xorb && s.chunk_start <= first_index && last_index < s.chunk_end &&
            s.byte_first <= byte_first && byte_last <= s.byte_last) {
          span.url = s.url;
          found = true;
          break;
        }
      }
      if (!found) return Status::Unavailable("a fresh reconstruction no longer has the range");
    }
  };
  // Jobs are launched in the order terms need them: up to `parallel_` ahead
  // of the one needed now, while what is held stays under kMaxBytesAhead.
  size_t launched = 0;
  uint64_t held_bytes = 0;
  auto launch_through = [&](size_t needed_rank) {
    const size_t last_rank = needed_rank + static_cast<size_t>(parallel_) - 1;
    while (launched < launch_order.size() && launched <= last_rank) {
      FetchJob& job = jobs[launch_order[launched]];
      if (launched > needed_rank && held_bytes + job.wire_bytes() > kMaxBytesAhead) break;
      ++launched;
      held_bytes += job.wire_bytes();
      job.pending = std::async(std::launch::async, fetch, plan.spans[job.span], job.first_index,
                               job.last_index, job.byte_first, job.byte_last);
    }
  };
  auto chunks_of = [&](size_t j) -> Result<const FetchedChunks*> {
    FetchJob& job = jobs[j];
    if (!job.chunks) {
      launch_through(rank[j]);
      HM_ASSIGN_OR_RETURN(FetchedChunks got, job.pending.get());
      job.chunks = std::move(got);
    }
    return &*job.chunks;
  };
  if (!launch_order.empty()) launch_through(0);

  // The file, term by term, in order.
  std::map<XetHash, std::vector<UpstreamXorbChunk>> learned;
  std::vector<XetNode> nodes;
  uint64_t skip = plan.offset_into_first;
  uint64_t remaining = size - offset;
  std::string from_store;
  for (size_t t = 0; t < plan.terms.size(); ++t) {
    const XetPlanTerm& term = plan.terms[t];
    const long j = job_of_span[term.span];
    uint64_t term_bytes = 0;
    for (uint32_t idx = term.chunk_start; idx < term.chunk_end; ++idx) {
      std::string_view raw;
      XetHash hash;
      if (j >= 0 && idx >= jobs[static_cast<size_t>(j)].first_index &&
          idx <= jobs[static_cast<size_t>(j)].last_index) {
        HM_ASSIGN_OR_RETURN(const FetchedChunks* chunks, chunks_of(static_cast<size_t>(j)));
        const size_t i = idx - jobs[static_cast<size_t>(j)].first_index;
        raw = chunks->Raw(i);
        hash = chunks->meta[i].hash;
      } else {
        auto k = known[term.span].find(idx);
        if (k == known[term.span].end()) return Status::Internal("a chunk is neither known nor fetched");
        HM_ASSIGN_OR_RETURN(from_store, store_->ReadChunk(k->second.hash));
        if (from_store.size() != k->second.raw_size) {
          return Status::DataLoss("stored chunk " + k->second.hash.ToHex() + " has another size");
        }
        if (stats_ != nullptr) stats_->reused_bytes += from_store.size();
        reused_total += from_store.size();
        raw = from_store;
        hash = k->second.hash;
      }
      term_bytes += raw.size();
      nodes.push_back(XetNode{hash, raw.size()});
      const char* data = raw.data();
      uint64_t n = raw.size();
      const uint64_t skipped = std::min(skip, n);
      data += skipped;
      n -= skipped;
      skip -= skipped;
      n = std::min(n, remaining);
      if (n > 0) {
        HM_RETURN_IF_ERROR(sink(data, static_cast<size_t>(n)));
        *delivered += n;
        remaining -= n;
      }
    }
    if (term_bytes != term.unpacked) {
      return Status::DataLoss("a term of xorb " + term.xorb.ToHex() + " holds " +
                              std::to_string(term_bytes) + " bytes, the upstream said " +
                              std::to_string(term.unpacked));
    }
    // Jobs no later term needs are let go (their chunks' identities kept).
    for (FetchJob& job : jobs) {
      if (job.chunks && job.last_use == t) {
        std::vector<UpstreamXorbChunk>& list = learned[plan.spans[job.span].xorb];
        list.insert(list.end(), job.chunks->meta.begin(), job.chunks->meta.end());
        job.chunks.reset();
        held_bytes -= job.wire_bytes();
      }
    }
  }
  if (remaining != 0) {
    return Status::DataLoss("the upstream's reconstruction ends " + std::to_string(remaining) +
                            " bytes before the file does");
  }
  // The whole file: its chunks must hash to the Xet hash it was offered
  // under. (A ranged transfer cannot tell, and teaches nothing.)
  if (offset != 0) return Status::Ok();
  const std::string got = XetFileHash(std::move(nodes)).ToHex();
  if (got != file_hash) {
    return Status::DataLoss("Xet transfer hashes to " + got + ", not the offered " + file_hash);
  }
  for (const auto& [xorb, chunks] : learned) {
    HM_RETURN_IF_ERROR(store_->RememberUpstreamChunks(xorb, chunks));
  }
  if (stats_ != nullptr) stats_->files += 1;
  return store_->RecordXetPull(XetPullFigures{1, fetched_total.load(), reused_total});
}

}  // namespace hubmirror
