#!/usr/bin/env bash
# From a fresh Debian machine to a running mirror on 127.0.0.1:8080
# (store under ./data, upstream https://huggingface.co; see configs/hubmirror.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/cli/hubmirror serve --config configs/hubmirror.toml "$@"
