// `hubmirror serve`: runs the mirror until SIGINT/SIGTERM.
#pragma once

#include "server/options.h"

namespace hubmirror {

// Opens the store, starts the server and blocks until a stop signal.
// Returns the process exit code.
int RunServe(const ServerOptions& options);

}  // namespace hubmirror
