#include "server/http/connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "server/http/response_head.h"

namespace hubmirror {
namespace {

// Body bytes that are queued behind the head (or earlier small pieces) and
// sent together rather than in a send each.
constexpr size_t kCoalesceBytes = 64 * 1024;

// Sends [data, data + *n) until the socket is full; advances data and *n.
// False on a send error (the client is gone).
bool SendSome(int fd, const char** data, size_t* n) {
  while (*n > 0) {
    ssize_t sent = send(fd, *data, *n, MSG_NOSIGNAL);
    if (sent > 0) {
      *data += sent;
      *n -= static_cast<size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  return true;
}

}  // namespace

bool Connection::SendPending() {
  const char* data = out.data() + out_sent;
  size_t n = out.size() - out_sent;
  if (!SendSome(fd.get(), &data, &n)) broken = true;
  out_sent = out.size() - n;
  if (out_sent < out.size()) return false;
  out.clear();
  out_sent = 0;
  return true;
}

void Connection::ProduceHop() {
  // The producer learns what is left of the response (sources rely on it)
  // and writes a bounded piece of it per call.
  const uint64_t want = body_total - body_sent;
  uint64_t produced = 0;
  BodyWriter write = [this, want, &produced](const char* data, size_t n) {
    if (broken) return false;
    // Never more than asked for: Content-Length is a promise.
    if (n > want - produced) {
      broken = true;
      return false;
    }
    produced += n;
    // Small pieces join what is queued (a response head, say) and leave in
    // one send after the producer returns.
    if (out.size() - out_sent + n <= kCoalesceBytes) {
      out.append(data, n);
      return true;
    }
    if (out_sent < out.size() && !SendPending()) {
      if (broken) return false;
      out.append(data, n);
      return true;
    }
    if (!SendSome(fd.get(), &data, &n)) {
      broken = true;
      return false;
    }
    out.append(data, n);  // what the socket did not take
    return true;
  };
  bool ok = false;
  try {
    ok = res.producer(body_sent, want, write);
  } catch (const std::exception&) {
    ok = false;
  }
  body_sent += produced;
  if (!broken) SendPending();
  // A producer that ends early or makes no progress ends the response: the
  // client sees a short body, never a stuck or wrong one.
  if (!ok || produced == 0) broken = true;
}

void Connection::Frame(bool stopping, int keep_alive_max_requests) {
  const bool http10 = head && head->request.version == "HTTP/1.0";
  keep_alive = keep_alive && !close_after_write && head && head->keep_alive && !stopping &&
               requests_done + 1 < keep_alive_max_requests;
  if (res.status < 100 || res.status > 999) res.status = 500;
  head_only = head && head->request.method == "HEAD";
  out += SerializeResponseHead(res, ResponseFraming{http10, keep_alive});
  body_sent = 0;
  body_total = 0;
  if (head_only || !StatusHasBody(res.status)) return;
  if (res.producer) {
    body_total = res.content_length;
  } else {
    out += res.body;
  }
}

void Connection::Respond(const std::function<void(const HttpRequest&, HttpResponse&)>& handler,
                         const std::function<void(HttpResponse*)>& internal_error,
                         int keep_alive_max_requests, bool stopping) {
  res = HttpResponse{};
  try {
    handler(head->request, res);
  } catch (const std::exception&) {
    res = HttpResponse{};
    internal_error(&res);
  }
  Frame(stopping, keep_alive_max_requests);
  // The head stays queued: a small body joins it in one send.
  if (body_sent < body_total && (!res.readiness || res.readiness(body_sent, nullptr))) {
    ProduceHop();
  } else {
    SendPending();
  }
}

void Connection::FeedSink(bool opening, std::string data,
                          const std::function<void(const Status&, HttpResponse*)>& error,
                          const std::function<void(HttpResponse*)>& internal_error,
                          int keep_alive_max_requests, bool stopping) {
  Status status;
  try {
    if (opening) {
      status = sink->Open(head->request);
    } else if (!data.empty()) {
      status = sink->Write(data);
    }
  } catch (const std::exception& e) {
    status = Status::Internal(std::string("the upload failed inside the mirror: ") + e.what());
  }
  if (!status.ok()) {
    res = HttpResponse{};
    res.status = status.http_status() > 0 ? status.http_status() : 400;
    error(status, &res);
    close_after_write = true;
    Frame(stopping, keep_alive_max_requests);
    SendPending();
    return;
  }
  if (!body_complete) return;
  RequestBodySink* finishing = sink.get();
  Respond([finishing](const HttpRequest& req, HttpResponse& r) { finishing->Finish(req, r); },
          internal_error, keep_alive_max_requests, stopping);
}

void Connection::EndExchange() {
  head.reset();
  chunked.reset();
  sink.reset();
  piece.clear();
  body_received = 0;
  body_complete = false;
  continue_owed = false;
  res = HttpResponse{};
  head_only = false;
  continue_reading_body = false;
  body_sent = 0;
  body_total = 0;
}

}  // namespace hubmirror
