// The built-in, deterministic repositories the fake hub serves.
//
// Same bytes, commit ids and oids on every run and every machine; the table
// in README.md describes them. Building takes well under a second and about
// 80 MiB of RAM (acme/big-model holds a 64 MiB file).
#pragma once

#include "tests/fakehub/hub_model.h"

namespace fakehub {

Hub BuildFixtures();

}  // namespace fakehub
