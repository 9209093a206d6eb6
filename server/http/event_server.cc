#include "server/http/event_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "server/http/event_loop.h"
#include "server/http/response_head.h"

namespace hubmirror {

using namespace event_loop;  // NOLINT: this file is the loop

EventServer::Loop::Loop(EventServer* server, UniqueFd epoll_fd, std::shared_ptr<EventServerMailbox> mailbox)
    : server_(server),
      options_(server->options_),
      stats_(server->stats_),
      epoll_(std::move(epoll_fd)),
      mailbox_(std::move(mailbox)),
      pool_(options_.worker_threads) {
  HttpResponse busy;
  busy.status = 503;
  server_->error_writer_(
      HttpStatusError(503, "the mirror has too many open connections; retry shortly"), &busy);
  busy.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
  refusal_ = SerializeResponseHead(busy, ResponseFraming{false, false}) + busy.body;
  reserve_fd_ = UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  parse_limits_.max_body_bytes =
      std::max(options_.limits.max_body_bytes, options_.max_streamed_body_bytes);
}

Status EventServer::Loop::Run() {
  if (!Register(server_->listen_.fd.get(), kListenKey, EPOLLIN) ||
      !Register(mailbox_->fd(), kWakeKey, EPOLLIN)) {
    return Status::Internal("epoll_ctl failed: " + std::string(strerror(errno)));
  }
  std::vector<epoll_event> events(512);
  int64_t next_sweep = NowMs() + kSweepIntervalMs;
  while (true) {
    if (server_->stop_requested_.load() && !stopping_) BeginStop();
    if (stopping_ && busy_ == 0) break;
    now_ms_ = NowMs();
    const int timeout = static_cast<int>(std::max<int64_t>(0, next_sweep - now_ms_));
    int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
      return Status::Internal("epoll_wait failed: " + std::string(strerror(errno)));
    }
    now_ms_ = NowMs();
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kListenKey) {
        if (!stopping_) AcceptSome();
      } else if (key == kWakeKey) {
        DrainMailbox();
      } else if (auto it = connections_.find(key); it != connections_.end()) {
        std::shared_ptr<Connection> c = it->second;
        OnEvent(c);
      }
    }
    if (now_ms_ >= next_sweep) {
      Sweep();
      next_sweep = now_ms_ + kSweepIntervalMs;
    }
  }
  std::vector<Connection*> all;
  for (auto& [id, c] : connections_) all.push_back(c.get());
  for (Connection* c : all) Close(c);
  return Status::Ok();
}

void EventServer::Loop::BeginStop() {
  stopping_ = true;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, server_->listen_.fd.get(), nullptr);
  std::vector<Connection*> idle_now;
  for (auto& [id, c] : connections_) {
    if (c->state != Connection::State::kBusy) idle_now.push_back(c.get());
  }
  for (Connection* c : idle_now) Close(c);
}

void EventServer::Loop::AcceptSome() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = accept4(server_->listen_.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        if (EvictOldestIdle(nullptr)) continue;
        // Nothing to give up: take one connection with the reserve
        // descriptor and refuse it, so the backlog does not spin the loop.
        reserve_fd_ = UniqueFd();
        UniqueFd shed(accept4(server_->listen_.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (shed.valid()) {
          stats_.refused_total_limit++;
          Refuse(std::move(shed));
        }
        reserve_fd_ = UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
      }
      return;
    }
    UniqueFd client(fd);
    auto c = std::make_shared<Connection>();
    c->peer = AddressText(reinterpret_cast<sockaddr*>(&addr), &c->peer_port);
    if (connections_.size() >= options_.max_connections && !EvictOldestIdle(nullptr)) {
      stats_.refused_total_limit++;
      Refuse(std::move(client));
      continue;
    }
    auto count = per_client_.find(c->peer);
    if (count != per_client_.end() && count->second >= options_.max_connections_per_client &&
        !EvictOldestIdle(&c->peer)) {
      stats_.refused_client_limit++;
      Refuse(std::move(client));
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
      c->local = AddressText(reinterpret_cast<sockaddr*>(&local), &c->local_port);
    }
    c->id = next_id_++;
    c->fd = std::move(client);
    c->head_deadline_ms = now_ms_ + options_.head_timeout_ms;
    c->deadline_ms = std::min(c->head_deadline_ms, now_ms_ + options_.read_timeout_ms);
    if (!Register(c->fd.get(), c->id, EPOLLIN | EPOLLONESHOT)) continue;
    connections_.emplace(c->id, c);
    per_client_[c->peer]++;
    stats_.open++;
    stats_.accepted++;
    MakeIdle(c.get());
  }
}

void EventServer::Loop::Refuse(UniqueFd fd) {
  // What the client sent so far is read first: closing a socket with unread
  // bytes resets it, and the reset can overtake the answer.
  char discard[4096];
  for (int i = 0; i < 4 && recv(fd.get(), discard, sizeof(discard), MSG_DONTWAIT) > 0; ++i) {
  }
  ssize_t ignored = send(fd.get(), refusal_.data(), refusal_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  shutdown(fd.get(), SHUT_WR);
}

bool EventServer::Loop::EvictOldestIdle(const std::string* peer) {
  for (Connection* c : idle_) {
    if (peer != nullptr && c->peer != *peer) continue;
    // A request already sent but not read yet (the loop has not seen the
    // event) makes the connection not idle: closing it would lose that
    // request.
    char byte;
    if (recv(c->fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0) continue;
    stats_.evicted_idle++;
    Close(c);
    return true;
  }
  return false;
}

void EventServer::Loop::MakeIdle(Connection* c) {
  if (c->idle_listed) return;
  idle_.push_back(c);
  c->idle_pos = std::prev(idle_.end());
  c->idle_listed = true;
  stats_.idle++;
}

void EventServer::Loop::Unidle(Connection* c) {
  if (!c->idle_listed) return;
  idle_.erase(c->idle_pos);
  c->idle_listed = false;
  stats_.idle--;
}

void EventServer::Loop::Close(Connection* c) {
  Unidle(c);
  if (auto it = per_client_.find(c->peer); it != per_client_.end() && --it->second == 0) {
    per_client_.erase(it);
  }
  stats_.open--;
  // Closing the descriptor also takes it out of the epoll set. Erasing may
  // destroy the connection (and the producer it holds): last.
  c->fd = UniqueFd();
  connections_.erase(c->id);
}

void EventServer::Loop::OnEvent(const std::shared_ptr<Connection>& c) {
  switch (c->state) {
    case Connection::State::kHead:
    case Connection::State::kBody:
      if (ReadInput(c.get())) Advance(c);
      return;
    case Connection::State::kWrite:
      if (c->SendPending()) {
        Continue(c);
      } else if (c->broken) {
        Close(c.get());
      } else {
        Arm(c.get(), EPOLLOUT);
        c->deadline_ms = now_ms_ + options_.write_timeout_ms;
      }
      return;
    case Connection::State::kBusy:
    case Connection::State::kParked:
      return;  // not armed; a stale event
  }
}

bool EventServer::Loop::ReadInput(Connection* c) {
  char buf[kReadChunk];
  bool got = false;
  for (int i = 0; i < kReadBatch; ++i) {
    ssize_t n = recv(c->fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      c->in.append(buf, static_cast<size_t>(n));
      got = true;
      if (static_cast<size_t>(n) < sizeof(buf)) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(c);  // the client closed (n == 0) or the connection failed
    return false;
  }
  if (got) {
    if (c->idle_listed) {
      Unidle(c);
      // A keep-alive connection starts a new head: the whole head has its
      // own deadline from its first byte.
      if (c->requests_done > 0) c->head_deadline_ms = now_ms_ + options_.head_timeout_ms;
    }
    // Any progress earns read_timeout more, within the head's deadline.
    c->deadline_ms = now_ms_ + options_.read_timeout_ms;
    if (c->state == Connection::State::kHead) {
      c->deadline_ms = std::min(c->deadline_ms, c->head_deadline_ms);
    }
  }
  return true;
}

void EventServer::Loop::Sweep() {
  std::vector<Connection*> expired;
  for (auto& [id, c] : connections_) {
    if (c->deadline_ms == 0 || now_ms_ < c->deadline_ms) continue;
    switch (c->state) {
      case Connection::State::kHead:
        if (c->idle_listed && c->requests_done > 0) {
          stats_.idle_timeouts++;
        } else {
          stats_.head_timeouts++;
        }
        break;
      case Connection::State::kBusy:
        continue;
      default:
        stats_.io_timeouts++;
    }
    expired.push_back(c.get());
  }
  for (Connection* c : expired) Close(c);
}

EventServer::EventServer(EventServerOptions options, Handler handler, ErrorWriter error_writer,
                         BodySinkFactory sinks)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      error_writer_(std::move(error_writer)),
      sinks_(std::move(sinks)) {}

EventServer::~EventServer() = default;

Status EventServer::Bind() {
  HM_ASSIGN_OR_RETURN(listen_, OpenListenSocket(options_.host, options_.port, 4096));
  port_ = listen_.port;
  UniqueFd epoll_fd(epoll_create1(EPOLL_CLOEXEC));
  UniqueFd event_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epoll_fd.valid() || !event_fd.valid()) {
    return Status::Internal("cannot create epoll/eventfd: " + std::string(strerror(errno)));
  }
  mailbox_ = std::make_shared<EventServerMailbox>(std::move(event_fd));
  loop_ = std::make_unique<Loop>(this, std::move(epoll_fd), mailbox_);
  return Status::Ok();
}

Status EventServer::Run() {
  if (loop_ == nullptr) return Status::Internal("EventServer::Run before Bind");
  Status status = loop_->Run();
  loop_.reset();  // joins the pool; every handler has returned
  listen_.fd = UniqueFd();
  return status;
}

void EventServer::Stop() {
  stop_requested_ = true;
  if (mailbox_ != nullptr) mailbox_->Wake();
}

}  // namespace hubmirror
