// EventServer::Loop: the event loop behind EventServer, declared here so that
// its two halves can live in two files: connection handling (accepting,
// reading, deadlines, limits; event_server.cc) and the exchange of one
// request (head to handler to response, streamed bodies; event_exchange.cc).
// Internal to server/http; not thread-safe: every method runs on the loop
// thread (see event_server.h).
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "fetcher/local_files.h"
#include "server/http/connection.h"
#include "server/http/event_mailbox.h"
#include "server/http/event_server.h"
#include "server/http/response_head.h"
#include "server/http/work_pool.h"

namespace hubmirror {
namespace event_loop {

inline constexpr uint64_t kListenKey = 0;
inline constexpr uint64_t kWakeKey = 1;
inline constexpr uint64_t kFirstConnectionId = 2;
// Deadlines are checked this often.
inline constexpr int64_t kSweepIntervalMs = 250;
// Connections accepted per wake-up before other events get their turn.
inline constexpr int kAcceptBatch = 256;
// Reads per wake-up of one connection, so that one fast client cannot
// starve the others.
inline constexpr int kReadBatch = 4;
inline constexpr size_t kReadChunk = 64 * 1024;
// A streamed request body goes to its sink in pieces of about this size.
inline constexpr size_t kSinkPieceBytes = 1 << 20;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline Status HttpStatusError(int status, std::string message) {
  return Status::Unavailable(std::move(message)).WithHubError(HubError::kNone, status);
}

}  // namespace event_loop

class EventServer::Loop {
 public:
  Loop(EventServer* server, UniqueFd epoll_fd, std::shared_ptr<EventServerMailbox> mailbox);
  ~Loop() { mailbox_->Close(); }

  Status Run();

 private:
  bool Register(int fd, uint64_t key, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = key;
    return epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  }
  void Arm(Connection* c, uint32_t events) {
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.u64 = c->id;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c->fd.get(), &ev) != 0) c->broken = true;
  }

  void AcceptSome();
  void Refuse(UniqueFd fd);
  bool EvictOldestIdle(const std::string* peer);
  void OnEvent(const std::shared_ptr<Connection>& c);
  bool ReadInput(Connection* c);
  void Advance(const std::shared_ptr<Connection>& c);
  // Streamed bodies: gathers the next piece from `in`; hands it to the sink
  // when it is full or the body is complete.
  void AdvanceSink(const std::shared_ptr<Connection>& c);
  void SinkJob(const std::shared_ptr<Connection>& c, bool opening, std::string data);
  void RefuseRequest(const std::shared_ptr<Connection>& c, const Status& status);
  void Dispatch(const std::shared_ptr<Connection>& c);
  void DrainMailbox();
  void AfterJob(const std::shared_ptr<Connection>& c);
  void Continue(const std::shared_ptr<Connection>& c);
  void NextHop(const std::shared_ptr<Connection>& c);
  void Finish(const std::shared_ptr<Connection>& c);
  void StartWrite(const std::shared_ptr<Connection>& c);
  void MakeIdle(Connection* c);
  void Unidle(Connection* c);
  void Close(Connection* c);
  void Sweep();
  void BeginStop();

  EventServer* server_;
  const EventServerOptions& options_;
  ConnectionStats& stats_;
  UniqueFd epoll_;
  std::shared_ptr<EventServerMailbox> mailbox_;
  WorkPool pool_;
  // Kept open so that, out of descriptors, a connection can still be accepted
  // and closed (instead of the listen socket reporting it forever).
  UniqueFd reserve_fd_;
  std::string refusal_;
  RequestLimits parse_limits_ = options_.limits;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::string, size_t> per_client_;
  // Idle connections, oldest first.
  std::list<Connection*> idle_;
  uint64_t next_id_ = event_loop::kFirstConnectionId;
  int busy_ = 0;
  bool stopping_ = false;
  int64_t now_ms_ = event_loop::NowMs();
};

}  // namespace hubmirror
