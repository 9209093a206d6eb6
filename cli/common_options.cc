#include "cli/common_options.h"

#include <cstdlib>

namespace hubmirror {

Result<ServerOptions> LoadCommonOptions(const std::string& config_path, const std::string& store,
                                        const std::string& upstream) {
  ServerOptions options;
  if (!config_path.empty()) HM_RETURN_IF_ERROR(LoadConfigFile(config_path, &options));
  if (!store.empty()) options.store_dir = store;
  if (!upstream.empty()) options.upstream.endpoint = upstream;
  while (!options.upstream.endpoint.empty() && options.upstream.endpoint.back() == '/') {
    options.upstream.endpoint.pop_back();
  }
  if (const char* token = std::getenv("HF_TOKEN"); token != nullptr && *token != '\0') {
    options.upstream.token = token;
  }
  return options;
}

}  // namespace hubmirror
