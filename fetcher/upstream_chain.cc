#include "fetcher/upstream_chain.h"

#include <algorithm>
#include <utility>

namespace hubmirror {
namespace {

template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace

UpstreamChain::UpstreamChain(std::vector<Member> members, Env* env) : env_(env) {
  for (Member& m : members) {
    auto state = std::make_unique<MemberState>();
    state->member = std::move(m);
    members_.push_back(std::move(state));
  }
}

bool UpstreamChain::held_off(size_t member) const {
  return env_->MonotonicMicros() <
         members_[member]->held_until_micros.load(std::memory_order_relaxed);
}

std::vector<size_t> UpstreamChain::AskOrder() const {
  const int64_t now = env_->MonotonicMicros();
  std::vector<size_t> order;
  size_t soonest = 0;
  int64_t soonest_end = INT64_MAX;
  for (size_t i = 0; i < members_.size(); ++i) {
    const int64_t until = members_[i]->held_until_micros.load(std::memory_order_relaxed);
    if (now >= until) {
      order.push_back(i);
    } else if (until < soonest_end) {
      soonest_end = until;
      soonest = i;
    }
  }
  if (order.empty()) order.push_back(soonest);
  return order;
}

bool UpstreamChain::Settle(size_t member, const Status& status, bool last) {
  const bool unreachable = !status.ok() && status.retryable();
  if (unreachable) {
    MemberState& m = *members_[member];
    m.held_until_micros.store(env_->MonotonicMicros() + m.member.hold_off_micros,
                              std::memory_order_relaxed);
  } else {
    // It answered: whatever hold it had is over.
    members_[member]->held_until_micros.store(0, std::memory_order_relaxed);
  }
  if (observer_) {
    observer_(member, !unreachable ? Outcome::kAnswered
                                   : (last ? Outcome::kFailedLast : Outcome::kFailedOver));
  }
  return unreachable && !last;
}

template <typename Call>
auto UpstreamChain::Run(Call&& call) -> decltype(call(static_cast<Upstream*>(nullptr))) {
  const std::vector<size_t> order = AskOrder();
  for (size_t k = 0;; ++k) {
    const size_t member = order[k];
    auto result = call(members_[member]->member.upstream.get());
    if (!Settle(member, StatusOf(result), k + 1 == order.size())) return result;
  }
}

Result<RevisionInfo> UpstreamChain::GetRevision(const RepoKey& repo, const std::string& revision) {
  return Run([&](Upstream* u) { return u->GetRevision(repo, revision); });
}

Result<std::vector<EntryRecord>> UpstreamChain::ListTree(const RepoKey& repo,
                                                         const std::string& commit) {
  return Run([&](Upstream* u) { return u->ListTree(repo, commit); });
}

Result<std::vector<EntryRecord>> UpstreamChain::PathsInfo(const RepoKey& repo,
                                                          const std::string& commit,
                                                          const std::vector<std::string>& paths,
                                                          bool expand) {
  return Run([&](Upstream* u) { return u->PathsInfo(repo, commit, paths, expand); });
}

Result<FileHead> UpstreamChain::HeadFile(const RepoKey& repo, const std::string& commit,
                                         const std::string& path) {
  return Run([&](Upstream* u) { return u->HeadFile(repo, commit, path); });
}

Status UpstreamChain::Download(const RepoKey& repo, const std::string& commit,
                               const std::string& path, uint64_t offset, uint64_t expected_size,
                               const ByteSink& sink) {
  uint64_t delivered = offset;
  bool sink_failed = false;
  const ByteSink counting = [&](const char* data, size_t n) {
    Status st = sink(data, n);
    if (st.ok()) {
      delivered += n;
    } else {
      sink_failed = true;
    }
    return st;
  };
  const std::vector<size_t> order = AskOrder();
  for (size_t k = 0;; ++k) {
    const size_t member = order[k];
    Status st =
        members_[member]->member.upstream->Download(repo, commit, path, delivered, expected_size,
                                                    counting);
    // The caller's own sink refused the bytes: not the member's fault, and
    // no other member would help.
    if (sink_failed) return st;
    if (!Settle(member, st, k + 1 == order.size())) return st;
  }
}

Result<std::vector<std::string>> UpstreamChain::ListRepos(RepoType type,
                                                          const std::string& author) {
  return Run([&](Upstream* u) { return u->ListRepos(type, author); });
}

Result<ApiPage> UpstreamChain::GetApiPage(const std::string& path_and_query) {
  return Run([&](Upstream* u) { return u->GetApiPage(path_and_query); });
}

}  // namespace hubmirror
