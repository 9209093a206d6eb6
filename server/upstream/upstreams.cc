#include "server/upstream/upstreams.h"

#include <utility>
#include <vector>

namespace hubmirror {

std::unique_ptr<UpstreamChain> NewUpstreams(const ServerOptions& options, Env* env) {
  std::vector<UpstreamChain::Member> members;
  for (const UpstreamOptions& up : options.upstreams) {
    UpstreamChain::Member m;
    m.name = up.endpoint;
    m.upstream = NewCurlUpstream(up);
    m.hold_off_micros = up.hold_off_seconds * 1'000'000;
    members.push_back(std::move(m));
  }
  return std::make_unique<UpstreamChain>(std::move(members), env);
}

std::string DescribeUpstreams(const ServerOptions& options) {
  std::string out;
  for (const UpstreamOptions& up : options.upstreams) {
    if (!out.empty()) out += ", then ";
    out += up.endpoint;
  }
  return out;
}

}  // namespace hubmirror
