// The part of option resolution every command shares: built-in defaults,
// then the config file, then --store and --upstream, then HF_TOKEN from the
// environment. Each command applies its own flags on top and validates.
#pragma once

#include <string>
#include <vector>

#include "server/options.h"

namespace hubmirror {

// `upstreams` (the --upstream flags, in order), when not empty, replace the
// configured list: the first keeps the settings of the first configured
// upstream (timeouts, token), the others its timeouts but no token. HF_TOKEN
// is the first upstream's token.
Result<ServerOptions> LoadCommonOptions(const std::string& config_path, const std::string& store,
                                        const std::vector<std::string>& upstreams);

}  // namespace hubmirror
