// The part of option resolution every command shares: built-in defaults,
// then the config file, then --store and --upstream, then HF_TOKEN from the
// environment. Each command applies its own flags on top and validates.
#pragma once

#include <string>

#include "server/options.h"

namespace hubmirror {

Result<ServerOptions> LoadCommonOptions(const std::string& config_path, const std::string& store,
                                        const std::string& upstream);

}  // namespace hubmirror
