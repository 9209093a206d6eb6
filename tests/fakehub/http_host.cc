#include "tests/fakehub/http_host.h"

#include <utility>

namespace fakehub {
namespace {

constexpr size_t kWorkerThreads = 64;
constexpr size_t kMaxRequestBodyBytes = 1 << 20;

bool IsControlTarget(const std::string& target) { return target.rfind("/_fake/", 0) == 0; }

bool HasBody(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  std::string length = req.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

}  // namespace

HttpHost::HttpHost(HostKind kind) : kind_(kind) {
  server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server_.set_payload_max_length(kMaxRequestBodyBytes);
  server_.set_read_timeout(10);
  server_.set_write_timeout(10);
}

HttpHost::~HttpHost() { Stop(); }

std::optional<int> HttpHost::Bind(const HostPort& address) {
  if (address.port == 0) {
    int port = server_.bind_to_any_port(address.host);
    return port > 0 ? std::optional<int>(port) : std::nullopt;
  }
  return server_.bind_to_port(address.host, address.port) ? std::optional<int>(address.port)
                                                          : std::nullopt;
}

void HttpHost::Start(RequestLog* log, Handler handler) {
  const HostKind kind = kind_;
  server_.set_pre_routing_handler([log, kind, handler](const httplib::Request& req,
                                                       httplib::Response& res) {
    // httplib would slice every response body (even 302 and 404 bodies) by
    // the Range header; ranged_body.cc interprets ranges instead. The
    // Request object is owned, non-const, by httplib's connection loop.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (!IsControlTarget(req.target)) {
      RequestRecord record{kind,
                           req.method,
                           req.target,
                           req.get_header_value("Range"),
                           req.has_header("Authorization"),
                           req.get_header_value("Accept")};
      bool is_resolve = kind == HostKind::kApi && req.target.find("/resolve/") != std::string::npos;
      log->Record(std::move(record), is_resolve);
    }
    // Requests with a body go through the routes below, which read it first.
    // Answering the others here also accepts a bodiless POST without
    // Content-Length, which httplib's routes would reject with 400.
    if (HasBody(req)) return httplib::Server::HandlerResponse::Unhandled;
    handler(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  server_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content("{\"error\":\"Internal error\"}", "application/json; charset=utf-8");
      });
  server_.Get(".*", handler);
  server_.Post(".*", handler);
  server_.Put(".*", handler);
  server_.Patch(".*", handler);
  server_.Delete(".*", handler);
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

void HttpHost::Stop() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace fakehub
