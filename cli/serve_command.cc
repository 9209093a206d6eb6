#include "cli/serve_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "fetcher/upstream.h"
#include "server/hub_server.h"
#include "server/pull_through.h"
#include "server/repo_catalog.h"
#include "store/env.h"
#include "store/index.h"
#include "store/object_store.h"

namespace hubmirror {
namespace {

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "hubmirror: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

}  // namespace

int RunServe(const ServerOptions& options) {
  // Signals are taken synchronously by one thread; every other thread
  // (created below) inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Env> env = NewPosixEnv();
  if (Status s = env->CreateDirs(options.store_dir); !s.ok()) {
    return Fail("cannot create store directory " + options.store_dir, s);
  }
  Result<std::unique_ptr<ObjectStore>> store = NewFileObjectStore(env.get(), options.store_dir);
  if (!store.ok()) return Fail("cannot open store " + options.store_dir, store.status());
  if (Status s = (*store)->CleanTemporaryFiles(); !s.ok()) {
    return Fail("cannot clean temporary files in " + options.store_dir, s);
  }
  Result<std::unique_ptr<Index>> index = Index::Open(options.store_dir + "/index.sqlite");
  if (!index.ok()) return Fail("cannot open index in " + options.store_dir, index.status());

  std::unique_ptr<Upstream> upstream;
  std::unique_ptr<PullThrough> pull_through;
  if (!options.offline) {
    upstream = NewCurlUpstream(options.upstream);
    pull_through = std::make_unique<PullThrough>(options, index->get(), store->get(), upstream.get());
  }
  RepoCatalog catalog(options, env.get(), index->get(), upstream.get());
  HubServer server(options, &catalog, index->get(), store->get(), pull_through.get());
  if (Status s = server.Bind(); !s.ok()) return Fail("cannot listen", s);

  std::thread signal_waiter([&server, &stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.Stop();
  });

  const bool v6 = options.listen_host.find(':') != std::string::npos;
  std::printf("hubmirror listening on http://%s%s%s:%d (store %s, %s)\n", v6 ? "[" : "",
              options.listen_host.c_str(), v6 ? "]" : "", server.port(),
              options.store_dir.c_str(),
              options.offline ? "offline" : ("upstream " + options.upstream.endpoint).c_str());
  std::fflush(stdout);

  Status run = server.Run();
  // Wake the signal thread if the server stopped on its own.
  kill(getpid(), SIGTERM);
  signal_waiter.join();
  if (!run.ok()) return Fail("server stopped", run);
  std::fprintf(stderr, "hubmirror: stopped\n");
  return 0;
}

}  // namespace hubmirror
