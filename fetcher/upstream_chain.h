// UpstreamChain: an ordered list of upstreams (the `upstreams` of the config)
// that answers as one Upstream.
//
// A call goes to the first member that is not held off. When that member
// cannot be reached (connection refused, timeout, 5xx, 429: a retryable()
// status, after the member's own retries), it is held off for its
// `hold_off_micros` and the call goes on to the next member. A Hub verdict
// (404 RepoNotFound, 401 GatedRepo, a malformed answer...) is the answer and
// is never asked again elsewhere: the members mirror one hub, so a second
// opinion would only hide a real "not found". When every member is held off,
// the one whose hold ends first is asked anyway, so a call is never refused
// without one real attempt.
//
// A download that breaks midway continues on the next member from the byte
// reached: the members serve the same commit, and the caller verifies the
// whole file against its hash anyway.
//
// Thread-safe if the members are. Owns its members.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fetcher/upstream.h"
#include "store/env.h"

namespace hubmirror {

class UpstreamChain final : public Upstream {
 public:
  struct Member {
    std::string name;  // for metrics and messages: the endpoint URL
    std::unique_ptr<Upstream> upstream;
    int64_t hold_off_micros = 30'000'000;
  };

  // What happened to one member call, for metrics.
  enum class Outcome {
    kAnswered,    // the member answered (success or a Hub verdict)
    kFailedOver,  // unreachable: held off, the call moved on
    kFailedLast,  // unreachable, and no member was left to ask
  };
  // Called after every member call, from the calling thread.
  using Observer = std::function<void(size_t member, Outcome outcome)>;

  // `members` must not be empty. `env` (the clock) must outlive the chain.
  UpstreamChain(std::vector<Member> members, Env* env);

  // Set before the first call.
  void set_observer(Observer observer) { observer_ = std::move(observer); }
  size_t size() const { return members_.size(); }
  const std::string& name(size_t member) const { return members_[member]->member.name; }
  // Whether `member` is held off now.
  bool held_off(size_t member) const;

  Result<RevisionInfo> GetRevision(const RepoKey& repo, const std::string& revision) override;
  Result<std::vector<EntryRecord>> ListTree(const RepoKey& repo,
                                            const std::string& commit) override;
  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey& repo, const std::string& commit,
                                             const std::vector<std::string>& paths,
                                             bool expand) override;
  Result<FileHead> HeadFile(const RepoKey& repo, const std::string& commit,
                            const std::string& path) override;
  Status Download(const RepoKey& repo, const std::string& commit, const std::string& path,
                  uint64_t offset, uint64_t expected_size, const ByteSink& sink) override;
  Result<std::vector<std::string>> ListRepos(RepoType type, const std::string& author) override;
  Result<ApiPage> GetApiPage(const std::string& path_and_query) override;

 private:
  struct MemberState {
    Member member;
    std::atomic<int64_t> held_until_micros{0};  // monotonic clock
  };
  // The order to ask the members in now: those not held off, in chain
  // order, or else the one whose hold ends first.
  std::vector<size_t> AskOrder() const;
  // Runs `call(upstream)` on the members in AskOrder() until one answers.
  // `call` returns a Status or Result.
  template <typename Call>
  auto Run(Call&& call) -> decltype(call(static_cast<Upstream*>(nullptr)));
  // Records the outcome of a member call whose result was `status`; true
  // when the chain should move on to the next member.
  bool Settle(size_t member, const Status& status, bool last);

  std::vector<std::unique_ptr<MemberState>> members_;
  Env* env_;
  Observer observer_;
};

}  // namespace hubmirror
