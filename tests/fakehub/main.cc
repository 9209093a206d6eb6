// hubmirror-fakehub: a deterministic fake of huggingface.co for tests.
// See README.md for the command line, the fixtures and the control API.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "tests/fakehub/api_routes.h"
#include "tests/fakehub/cdn_routes.h"
#include "tests/fakehub/extra_files.h"
#include "tests/fakehub/fixtures.h"
#include "tests/fakehub/http_host.h"
#include "tests/fakehub/options.h"
#include "tests/fakehub/server_state.h"

namespace fakehub {
namespace {

// Blocks SIGINT/SIGTERM in this thread (and the threads it starts later), so
// that WaitForStopSignal() can take them synchronously.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void WaitForStopSignal(const sigset_t& signals) {
  int signal = 0;
  while (sigwait(&signals, &signal) != 0) {
  }
}

std::string BaseUrl(const HostPort& address, int port) {
  return "http://" + address.host + ":" + std::to_string(port);
}

int Run(int argc, char** argv) {
  const sigset_t stop_signals = BlockStopSignals();
  std::string error;
  std::optional<Options> options = ParseOptions(argc, argv, &error);
  if (!options) {
    std::fprintf(stderr, "hubmirror-fakehub: %s\n%s\n", error.c_str(), UsageText());
    return 2;
  }

  HttpHost api(HostKind::kApi);
  HttpHost cdn(HostKind::kCdn);
  std::optional<int> api_port = api.Bind(options->listen);
  std::optional<int> cdn_port = cdn.Bind(options->cdn_listen);
  if (!api_port || !cdn_port) {
    std::fprintf(stderr, "hubmirror-fakehub: cannot bind %s\n",
                 !api_port ? "--listen" : "--cdn-listen");
    return 1;
  }
  std::string api_url = BaseUrl(options->listen, *api_port);
  std::string cdn_url = BaseUrl(options->cdn_listen, *cdn_port);
  // Created once the ports are known. The hosts are stopped explicitly below,
  // before `state` goes out of scope, so no handler can see it dangling.
  Hub hub = BuildFixtures();
  if (std::optional<std::string> extra_error = AddExtraFiles(options->extra_files, &hub)) {
    std::fprintf(stderr, "hubmirror-fakehub: %s\n", extra_error->c_str());
    return 2;
  }
  auto state = std::make_unique<ServerState>(*options, std::move(hub), api_url, cdn_url);

  api.Start(&state->log(), [&state](const httplib::Request& req, httplib::Response& res) {
    ServeApiHost(*state, req, res);
  });
  cdn.Start(&state->log(), [&state](const httplib::Request& req, httplib::Response& res) {
    ServeCdnHost(*state, req, res);
  });
  std::cout << "api " << api_url << "\ncdn " << cdn_url << "\nready" << std::endl;

  WaitForStopSignal(stop_signals);
  state->cdn().Shutdown();  // Wakes transfers held by the gate or the rate limit.
  api.Stop();
  cdn.Stop();
  return 0;
}

}  // namespace
}  // namespace fakehub

int main(int argc, char** argv) { return fakehub::Run(argc, argv); }
