#!/usr/bin/env bash
# Everything from a fresh Debian machine to a full test run: dependencies,
# build, the JS client's npm packages and the Python clients' venvs, then
# every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [ ! -d tests/js/node_modules/@huggingface/hub ]; then
  npm ci --prefix tests/js --no-audit --no-fund
fi
# The Python client tests' venvs (pinned huggingface_hub lines, from PyPI).
tests/py/setup_venvs.sh
# The web UI's browser test (playwright-core driving Debian's chromium).
if [ ! -d tests/ui/node_modules/playwright-core ]; then
  npm ci --prefix tests/ui --no-audit --no-fund
fi
ctest --test-dir build --output-on-failure -j2 --timeout 600 "$@"
