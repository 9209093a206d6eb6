#include "cli/common_options.h"

#include <cstdlib>

namespace hubmirror {

Result<ServerOptions> LoadCommonOptions(const std::string& config_path, const std::string& store,
                                        const std::vector<std::string>& upstreams) {
  ServerOptions options;
  if (!config_path.empty()) HM_RETURN_IF_ERROR(LoadConfigFile(config_path, &options));
  if (!store.empty()) options.store_dir = store;
  if (!upstreams.empty()) {
    const UpstreamOptions first = options.upstreams.front();
    options.upstreams.clear();
    for (const std::string& url : upstreams) {
      UpstreamOptions up = first;
      if (!options.upstreams.empty()) up.token.clear();
      up.endpoint = url;
      while (!up.endpoint.empty() && up.endpoint.back() == '/') up.endpoint.pop_back();
      options.upstreams.push_back(std::move(up));
    }
  }
  if (const char* token = std::getenv("HF_TOKEN"); token != nullptr && *token != '\0') {
    options.upstreams.front().token = token;
  }
  return options;
}

}  // namespace hubmirror
