// The exchange of one request on an EventServer connection: from the parsed
// head through the body (read whole or streamed to a sink) and the handler
// to the response and its body hops, then keep-alive.
#include <sys/epoll.h>

#include <algorithm>
#include <string>

#include "server/http/event_loop.h"
#include "server/http/response_head.h"

namespace hubmirror {

using namespace event_loop;  // NOLINT: this file is the loop

void EventServer::Loop::Advance(const std::shared_ptr<Connection>& c) {
  while (true) {
    if (c->state == Connection::State::kHead) {
      if (c->in.empty()) {
        MakeIdle(c.get());
        Arm(c.get(), EPOLLIN);
        break;
      }
      Result<size_t> end = FindHeadEnd(c->in, c->head_scanned, options_.limits);
      if (!end.ok()) return RefuseRequest(c, end.status());
      if (*end == 0) {
        c->head_scanned = c->in.size();
        Arm(c.get(), EPOLLIN);
        break;
      }
      // Body sizes are checked once it is known whether the body streams.
      Result<RequestHead> head =
          ParseRequestHead(std::string_view(c->in).substr(0, *end), parse_limits_);
      c->in.erase(0, *end);
      c->head_scanned = 0;
      if (!head.ok()) return RefuseRequest(c, head.status());
      c->head = std::move(head).value();
      HttpRequest& req = c->head->request;
      req.remote_addr = c->peer;
      req.remote_port = c->peer_port;
      req.local_addr = c->local;
      req.local_port = c->local_port;
      if (c->head->framing == BodyFraming::kNone) return Dispatch(c);
      if (server_->sinks_) c->sink = server_->sinks_(req);
      const uint64_t limit =
          c->sink ? options_.max_streamed_body_bytes : options_.limits.max_body_bytes;
      if (c->head->framing == BodyFraming::kChunked) {
        c->chunked.emplace(limit);
      } else if (c->head->content_length > limit) {
        return RefuseRequest(c, HttpStatusError(413, "the request body is larger than " +
                                                         std::to_string(limit) + " bytes"));
      } else if (!c->sink) {
        req.body.reserve(static_cast<size_t>(c->head->content_length));
      }
      c->state = Connection::State::kBody;
      c->deadline_ms = now_ms_ + options_.read_timeout_ms;
      if (c->sink) {
        c->continue_owed = c->head->expect_continue;
        return SinkJob(c, /*opening=*/true, {});
      }
      if (c->head->expect_continue && c->in.empty()) {
        c->out = "HTTP/1.1 100 Continue\r\n\r\n";
        c->continue_reading_body = true;
        return StartWrite(c);
      }
      continue;
    }
    // kBody
    if (c->sink) return AdvanceSink(c);
    std::string& body = c->head->request.body;
    if (c->chunked) {
      Result<size_t> used = c->chunked->Feed(c->in, &body);
      if (!used.ok()) return RefuseRequest(c, used.status());
      c->in.erase(0, *used);
      if (c->chunked->done()) return Dispatch(c);
    } else {
      const uint64_t missing = c->head->content_length - body.size();
      const size_t take = static_cast<size_t>(std::min<uint64_t>(missing, c->in.size()));
      body.append(c->in, 0, take);
      c->in.erase(0, take);
      if (body.size() == c->head->content_length) return Dispatch(c);
    }
    Arm(c.get(), EPOLLIN);
    break;
  }
  if (c->broken) Close(c.get());
}

void EventServer::Loop::AdvanceSink(const std::shared_ptr<Connection>& c) {
  if (c->chunked) {
    const size_t before = c->piece.size();
    // The decoded bytes are never more than those fed: a bounded feed
    // bounds the piece.
    Result<size_t> used =
        c->chunked->Feed(std::string_view(c->in).substr(0, kSinkPieceBytes - before), &c->piece);
    if (!used.ok()) return RefuseRequest(c, used.status());
    c->in.erase(0, *used);
    c->body_received += c->piece.size() - before;
    c->body_complete = c->chunked->done();
  } else {
    const uint64_t missing = c->head->content_length - c->body_received;
    const size_t take = static_cast<size_t>(
        std::min<uint64_t>({missing, c->in.size(), kSinkPieceBytes - c->piece.size()}));
    c->piece.append(c->in, 0, take);
    c->in.erase(0, take);
    c->body_received += take;
    c->body_complete = c->body_received == c->head->content_length;
  }
  if (c->body_complete || c->piece.size() >= kSinkPieceBytes) {
    std::string data = std::move(c->piece);
    c->piece.clear();
    return SinkJob(c, /*opening=*/false, std::move(data));
  }
  Arm(c.get(), EPOLLIN);
  if (c->broken) Close(c.get());
}

void EventServer::Loop::SinkJob(const std::shared_ptr<Connection>& c, bool opening,
                                std::string data) {
  c->state = Connection::State::kBusy;
  c->deadline_ms = 0;
  ++busy_;
  const bool stopping = stopping_;
  pool_.Submit([c, mailbox = mailbox_, server = server_, stopping, opening,
                data = std::move(data)]() mutable {
    c->FeedSink(
        opening, std::move(data), server->error_writer_,
        [server](HttpResponse* res) {
          res->status = 500;
          server->error_writer_(
              HttpStatusError(500, "the request failed inside the mirror (see its log)"), res);
        },
        server->options_.keep_alive_max_requests, stopping);
    mailbox->Post(EventServerMailbox::Item{c, {}, 0});
  });
}

void EventServer::Loop::RefuseRequest(const std::shared_ptr<Connection>& c,
                                      const Status& status) {
  stats_.bad_requests++;
  Unidle(c.get());
  c->res = HttpResponse{};
  c->res.status = status.http_status() > 0 ? status.http_status() : 400;
  server_->error_writer_(status, &c->res);
  c->close_after_write = true;
  c->out.clear();
  c->out_sent = 0;
  c->Frame(stopping_, options_.keep_alive_max_requests);
  c->body_total = 0;
  StartWrite(c);
}

void EventServer::Loop::StartWrite(const std::shared_ptr<Connection>& c) {
  c->state = Connection::State::kWrite;
  c->deadline_ms = now_ms_ + options_.write_timeout_ms;
  if (c->SendPending()) return Continue(c);
  if (c->broken) return Close(c.get());
  Arm(c.get(), EPOLLOUT);
  if (c->broken) Close(c.get());
}

void EventServer::Loop::Dispatch(const std::shared_ptr<Connection>& c) {
  c->state = Connection::State::kBusy;
  c->deadline_ms = 0;
  ++busy_;
  const bool stopping = stopping_;
  pool_.Submit([c, mailbox = mailbox_, server = server_, stopping] {
    const int max_requests = server->options_.keep_alive_max_requests;
    c->Respond(
        server->handler_,
        [server](HttpResponse* res) {
          res->status = 500;
          server->error_writer_(
              HttpStatusError(500, "the request failed inside the mirror (see its log)"), res);
        },
        max_requests, stopping);
    mailbox->Post(EventServerMailbox::Item{c, {}, 0});
  });
}

void EventServer::Loop::DrainMailbox() {
  for (EventServerMailbox::Item& item : mailbox_->Take()) {
    if (item.done) {
      --busy_;
      if (connections_.count(item.done->id) != 0) AfterJob(item.done);
      continue;
    }
    std::shared_ptr<Connection> c = item.woken.lock();
    if (c == nullptr || connections_.count(c->id) == 0) continue;
    if (c->state != Connection::State::kParked || c->park_generation != item.park_generation) {
      continue;
    }
    NextHop(c);
  }
}

void EventServer::Loop::AfterJob(const std::shared_ptr<Connection>& c) {
  if (stopping_ || c->broken) return Close(c.get());
  if (c->sink && !c->body_complete && !c->close_after_write) {
    // The sink took a piece (or opened): read on.
    c->state = Connection::State::kBody;
    c->deadline_ms = now_ms_ + options_.read_timeout_ms;
    if (c->continue_owed) {
      c->continue_owed = false;
      c->out = "HTTP/1.1 100 Continue\r\n\r\n";
      c->continue_reading_body = true;
      return StartWrite(c);
    }
    return Advance(c);
  }
  if (!c->out.empty()) {
    c->state = Connection::State::kWrite;
    c->deadline_ms = now_ms_ + options_.write_timeout_ms;
    Arm(c.get(), EPOLLOUT);
    if (c->broken) Close(c.get());
    return;
  }
  Continue(c);
}

void EventServer::Loop::Continue(const std::shared_ptr<Connection>& c) {
  if (c->continue_reading_body) {
    c->continue_reading_body = false;
    c->state = Connection::State::kBody;
    c->deadline_ms = now_ms_ + options_.read_timeout_ms;
    return Advance(c);
  }
  if (c->close_after_write) return Close(c.get());
  if (c->body_sent < c->body_total) return NextHop(c);
  Finish(c);
}

void EventServer::Loop::NextHop(const std::shared_ptr<Connection>& c) {
  if (c->res.readiness) {
    const uint64_t generation = ++c->park_generation;
    std::weak_ptr<Connection> weak = c;
    auto wake = [mailbox = mailbox_, weak, generation] {
      mailbox->Post(EventServerMailbox::Item{nullptr, weak, generation});
    };
    if (!c->res.readiness(c->body_sent, wake)) {
      c->state = Connection::State::kParked;
      c->deadline_ms = now_ms_ + options_.body_wait_timeout_ms;
      return;
    }
  }
  c->state = Connection::State::kBusy;
  c->deadline_ms = 0;
  ++busy_;
  pool_.Submit([c, mailbox = mailbox_] {
    c->ProduceHop();
    mailbox->Post(EventServerMailbox::Item{c, {}, 0});
  });
}

void EventServer::Loop::Finish(const std::shared_ptr<Connection>& c) {
  c->requests_done++;
  const bool keep_alive = c->keep_alive;
  c->EndExchange();
  if (!keep_alive || stopping_) return Close(c.get());
  c->state = Connection::State::kHead;
  c->head_deadline_ms = now_ms_ + options_.head_timeout_ms;
  c->deadline_ms = c->in.empty() ? now_ms_ + options_.keep_alive_timeout_ms
                                 : std::min(c->head_deadline_ms, now_ms_ + options_.read_timeout_ms);
  Advance(c);
}

}  // namespace hubmirror
