#include "fetcher/upstream_chain.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace hubmirror {
namespace {

// A member that answers, fails as unreachable, or gives a Hub verdict.
class Member : public Upstream {
 public:
  enum class Mode { kAnswer, kUnreachable, kNotFound };
  explicit Member(std::string commit) : commit_(std::move(commit)) {}

  std::atomic<Mode> mode{Mode::kAnswer};
  std::atomic<int> calls{0};
  std::string bytes = "0123456789";
  // Download delivers only this many bytes, then fails as unreachable.
  std::atomic<size_t> break_after{SIZE_MAX};
  std::vector<uint64_t> download_offsets;

  Result<RevisionInfo> GetRevision(const RepoKey&, const std::string&) override {
    ++calls;
    HM_RETURN_IF_ERROR(Fail());
    return RevisionInfo{commit_, "{}"};
  }
  Result<std::vector<EntryRecord>> ListTree(const RepoKey&, const std::string&) override {
    return std::vector<EntryRecord>{};
  }
  Result<std::vector<EntryRecord>> PathsInfo(const RepoKey&, const std::string&,
                                             const std::vector<std::string>&, bool) override {
    return std::vector<EntryRecord>{};
  }
  Result<FileHead> HeadFile(const RepoKey&, const std::string&, const std::string&) override {
    return FileHead{};
  }
  Status Download(const RepoKey&, const std::string&, const std::string&, uint64_t offset,
                  uint64_t expected_size, const ByteSink& sink) override {
    ++calls;
    download_offsets.push_back(offset);
    HM_RETURN_IF_ERROR(Fail());
    for (uint64_t i = offset; i < expected_size; ++i) {
      if (i >= break_after) return Status::Unavailable("connection reset");
      HM_RETURN_IF_ERROR(sink(&bytes[i], 1));
    }
    return Status::Ok();
  }
  Result<ApiPage> GetApiPage(const std::string& path) override {
    ++calls;
    HM_RETURN_IF_ERROR(Fail());
    return ApiPage{"[\"" + commit_ + "\"]", "", -1};
  }

 private:
  Status Fail() const {
    if (mode == Mode::kUnreachable) return Status::Unavailable("connection refused");
    if (mode == Mode::kNotFound) {
      return Status::NotFound("no such repo").WithHubError(HubError::kRepoNotFound, 404);
    }
    return Status::Ok();
  }
  std::string commit_;
};

class ClockEnv : public EnvWrapper {
 public:
  explicit ClockEnv(Env* target) : EnvWrapper(target) {}
  int64_t MonotonicMicros() override { return now_; }
  void AdvanceSeconds(int64_t s) { now_ += s * 1'000'000; }

 private:
  std::atomic<int64_t> now_{1'000'000};
};

class UpstreamChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = std::make_unique<Member>(std::string(40, 'a'));
    auto b = std::make_unique<Member>(std::string(40, 'b'));
    first_ = a.get();
    second_ = b.get();
    std::vector<UpstreamChain::Member> members;
    members.push_back({"http://first", std::move(a), 30'000'000});
    members.push_back({"http://second", std::move(b), 30'000'000});
    chain_ = std::make_unique<UpstreamChain>(std::move(members), &clock_);
    chain_->set_observer([this](size_t member, UpstreamChain::Outcome outcome) {
      events_.push_back(std::to_string(member) + ":" + std::to_string(static_cast<int>(outcome)));
    });
  }

  std::string Commit() {
    Result<RevisionInfo> info = chain_->GetRevision(repo_, "main");
    return info.ok() ? info->commit.substr(0, 1) : info.status().ToString();
  }

  std::unique_ptr<Env> posix_ = NewPosixEnv();
  ClockEnv clock_{posix_.get()};
  Member* first_ = nullptr;
  Member* second_ = nullptr;
  std::unique_ptr<UpstreamChain> chain_;
  std::vector<std::string> events_;
  RepoKey repo_{RepoType::kModel, "acme/tiny"};
};

TEST_F(UpstreamChainTest, FirstAnswersWhileItCan) {
  EXPECT_EQ(Commit(), "a");
  EXPECT_EQ(Commit(), "a");
  EXPECT_EQ(second_->calls, 0);
  EXPECT_EQ(events_, (std::vector<std::string>{"0:0", "0:0"}));
}

TEST_F(UpstreamChainTest, UnreachableFirstIsHeldOffAndTheNextAnswers) {
  first_->mode = Member::Mode::kUnreachable;
  EXPECT_EQ(Commit(), "b");
  EXPECT_TRUE(chain_->held_off(0));
  EXPECT_EQ(events_, (std::vector<std::string>{"0:1", "1:0"}));
  // Held off: not asked again (no second timeout) until the hold ends.
  first_->mode = Member::Mode::kAnswer;
  EXPECT_EQ(Commit(), "b");
  EXPECT_EQ(first_->calls, 1);
  clock_.AdvanceSeconds(31);
  EXPECT_FALSE(chain_->held_off(0));
  EXPECT_EQ(Commit(), "a");
}

TEST_F(UpstreamChainTest, AHubVerdictIsFinal) {
  first_->mode = Member::Mode::kNotFound;
  Result<RevisionInfo> info = chain_->GetRevision(repo_, "main");
  EXPECT_EQ(info.status().hub_error(), HubError::kRepoNotFound);
  EXPECT_EQ(second_->calls, 0) << "a 404 is the hub's answer, not an outage";
  EXPECT_FALSE(chain_->held_off(0));
}

TEST_F(UpstreamChainTest, EveryMemberDownStillMakesOneRealAttempt) {
  first_->mode = Member::Mode::kUnreachable;
  second_->mode = Member::Mode::kUnreachable;
  EXPECT_EQ(chain_->GetRevision(repo_, "main").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(events_, (std::vector<std::string>{"0:1", "1:2"}));
  // Both held off: the one whose hold ends first is asked, once.
  second_->mode = Member::Mode::kAnswer;
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(chain_->GetRevision(repo_, "main").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(first_->calls, 2);
  EXPECT_EQ(second_->calls, 1);
  clock_.AdvanceSeconds(31);
  EXPECT_EQ(Commit(), "b") << "the first is still down";
}

TEST_F(UpstreamChainTest, ABrokenDownloadContinuesOnTheNextFromTheByteReached) {
  first_->break_after = 4;
  std::string got;
  Status st = chain_->Download(repo_, std::string(40, 'a'), "f", 0, 10,
                               [&got](const char* data, size_t n) {
                                 got.append(data, n);
                                 return Status::Ok();
                               });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, "0123456789");
  EXPECT_EQ(second_->download_offsets, std::vector<uint64_t>{4});
}

TEST_F(UpstreamChainTest, ASinkThatRefusesIsNoReasonToFailOver) {
  Status st = chain_->Download(repo_, std::string(40, 'a'), "f", 0, 10,
                               [](const char*, size_t) { return Status::Unavailable("client gone"); });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(second_->calls, 0);
  EXPECT_FALSE(chain_->held_off(0));
}

TEST_F(UpstreamChainTest, ApiPagesFailOverToo) {
  first_->mode = Member::Mode::kUnreachable;
  Result<ApiPage> page = chain_->GetApiPage("/api/models");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->body, "[\"" + std::string(40, 'b') + "\"]");
}

}  // namespace
}  // namespace hubmirror
