// The configured upstreams ([upstream] or [[upstreams]]) as the one Upstream
// the catalog, the pull-through and sync talk to.
#pragma once

#include <memory>
#include <string>

#include "fetcher/upstream_chain.h"
#include "server/options.h"
#include "store/env.h"

namespace hubmirror {

// An UpstreamChain of a curl upstream per entry of options.upstreams, in
// order, each held off for its hold_off_seconds after a failure. `env` must
// outlive the chain.
std::unique_ptr<UpstreamChain> NewUpstreams(const ServerOptions& options, Env* env);

// "URL", or "URL, then URL2, ..." for several: for start-up lines and messages.
std::string DescribeUpstreams(const ServerOptions& options);

}  // namespace hubmirror
