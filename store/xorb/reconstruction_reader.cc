#include "store/xorb/reconstruction_reader.h"

#include <algorithm>

namespace hubmirror {

size_t FindTerm(const std::vector<FileTerm>& terms, uint64_t offset) {
  auto it = std::upper_bound(terms.begin(), terms.end(), offset,
                             [](uint64_t off, const FileTerm& t) { return off < t.file_offset; });
  if (it == terms.begin()) return terms.size();
  --it;
  if (offset >= it->file_offset + it->raw_size) return terms.size();
  return static_cast<size_t>(it - terms.begin());
}

namespace {

Status CheckTiling(const std::vector<FileTerm>& terms, uint64_t size) {
  uint64_t expected = 0;
  for (const FileTerm& t : terms) {
    if (t.file_offset != expected || t.raw_size == 0) {
      return Status::DataLoss("file terms do not tile the file");
    }
    expected += t.raw_size;
  }
  if (expected != size) {
    return Status::DataLoss("file terms add up to " + std::to_string(expected) +
                            " bytes; the file has " + std::to_string(size));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ObjectReader>> ReconstructionReader::Create(std::vector<FileTerm> terms,
                                                                   uint64_t size,
                                                                   XorbResolver resolver,
                                                                   TermsRefresher refresh) {
  HM_RETURN_IF_ERROR(CheckTiling(terms, size));
  std::unique_ptr<ReconstructionReader> reader(
      new ReconstructionReader(std::move(terms), size, std::move(resolver), std::move(refresh)));
  HM_RETURN_IF_ERROR(reader->ResolveAllIfFew());
  return std::unique_ptr<ObjectReader>(std::move(reader));
}

Status ReconstructionReader::ResolveAllIfFew() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> first_term_of_xorb;
  std::vector<int64_t> seen;
  for (size_t t = 0; t < terms_.size(); ++t) {
    if (std::find(seen.begin(), seen.end(), terms_[t].xorb_id) != seen.end()) continue;
    if (seen.size() == kMaxSources) return Status::Ok();  // many xorbs: on first use
    seen.push_back(terms_[t].xorb_id);
    first_term_of_xorb.push_back(t);
  }
  for (size_t t : first_term_of_xorb) {
    // A refresh (the file was compacted meanwhile) renumbers the terms:
    // then what is resolved so far is still right, and the rest on use.
    const bool refreshed_before = refreshed_;
    HM_RETURN_IF_ERROR(SourceLocked(t).status());
    if (refreshed_ != refreshed_before) break;
  }
  return Status::Ok();
}

Result<const XorbBytes*> ReconstructionReader::SourceLocked(size_t t) const {
  const int64_t xorb_id = terms_[t].xorb_id;
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].first == xorb_id) {
      // Most recently used at the back.
      std::rotate(sources_.begin() + i, sources_.begin() + i + 1, sources_.end());
      return sources_.back().second.get();
    }
  }
  Result<std::shared_ptr<const XorbBytes>> bytes = resolver_(xorb_id);
  if (bytes.status().IsNotFound() && refresh_ && !refreshed_) {
    // Compacted since the open: the same bytes live in another xorb now.
    refreshed_ = true;
    HM_ASSIGN_OR_RETURN(std::vector<FileTerm> fresh, refresh_());
    HM_RETURN_IF_ERROR(CheckTiling(fresh, size_));
    const uint64_t offset = terms_[t].file_offset;
    terms_ = std::move(fresh);
    const size_t now = FindTerm(terms_, offset);
    if (now >= terms_.size() || terms_[now].file_offset != offset) {
      return Status::DataLoss("a file's terms changed their offsets");
    }
    return SourceLocked(now);
  }
  HM_RETURN_IF_ERROR(bytes.status());
  if (sources_.size() == kMaxSources) {
    sources_.erase(sources_.begin());
    decoder_.Clear();  // its cached chunk may belong to the source dropped
  }
  sources_.emplace_back(xorb_id, std::move(bytes).value());
  return sources_.back().second.get();
}

Result<size_t> ReconstructionReader::ReadAt(uint64_t offset, char* buf, size_t n) const {
  if (offset >= size_) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  std::lock_guard<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < n) {
    size_t t = FindTerm(terms_, offset + done);
    if (t >= terms_.size()) return Status::DataLoss("file terms end before the file");
    HM_ASSIGN_OR_RETURN(const XorbBytes* source, SourceLocked(t));
    t = FindTerm(terms_, offset + done);  // the terms may have been refreshed
    const FileTerm term = terms_[t];
    const uint64_t within = offset + done - term.file_offset;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n - done, term.raw_size - within));
    HM_ASSIGN_OR_RETURN(size_t got, source->ReadRaw(term.chunk_start, term.chunk_end, within,
                                                    buf + done, want, &decoder_));
    if (got != want) {
      return Status::DataLoss("xorb " + std::to_string(term.xorb_id) +
                              " holds fewer bytes than the file's terms say");
    }
    done += got;
  }
  return done;
}

bool ReconstructionReader::GetRawSpan(uint64_t offset, RawFileSpan* span) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t t = FindTerm(terms_, offset);
  if (t >= terms_.size()) return false;
  auto source = SourceLocked(t);
  if (!source.ok()) return false;
  t = FindTerm(terms_, offset);
  const FileTerm& term = terms_[t];
  return (*source)->RawSpan(term.chunk_start, term.chunk_end, offset - term.file_offset, span);
}

}  // namespace hubmirror
