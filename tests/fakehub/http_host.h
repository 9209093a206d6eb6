// One of the fake hub's two hosts: an httplib server listening on its own
// thread, recording every request (except /_fake/ ones) in a RequestLog and
// handing it to a single handler that routes on the raw target.
//
// RAII: the destructor stops the server and joins its thread.
#pragma once

#include <httplib.h>

#include <functional>
#include <optional>
#include <thread>

#include "tests/fakehub/options.h"
#include "tests/fakehub/request_log.h"

namespace fakehub {

class HttpHost {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit HttpHost(HostKind kind);
  ~HttpHost();
  HttpHost(const HttpHost&) = delete;
  HttpHost& operator=(const HttpHost&) = delete;

  // Binds the listening socket; returns the actual port (useful for port 0).
  std::optional<int> Bind(const HostPort& address);
  // Installs `handler` for every method and starts serving on a thread.
  // `log` must outlive this host.
  void Start(RequestLog* log, Handler handler);
  // Stops accepting and joins the thread. Idempotent.
  void Stop();

 private:
  HostKind kind_;
  httplib::Server server_;
  std::thread thread_;
};

}  // namespace fakehub
