// Sockets of the connection layer: the listening socket and the text form of
// socket addresses.
#pragma once

#include <sys/socket.h>

#include <string>

#include "fetcher/local_files.h"
#include "store/status.h"

namespace hubmirror {

struct ListenSocket {
  UniqueFd fd;
  // The bound port (the chosen one when asked for port 0).
  int port = 0;
};

// A non-blocking listening TCP socket on `host` ("127.0.0.1", "::1",
// "0.0.0.0", a name) and `port` (0 = any free port).
Result<ListenSocket> OpenListenSocket(const std::string& host, int port, int backlog);

// "127.0.0.1" / "::1" and the port of a socket address (IPv4-mapped IPv6
// addresses in their IPv4 form).
std::string AddressText(const sockaddr* addr, int* port);

}  // namespace hubmirror
