#!/usr/bin/env bash
# Installs what hubmirror needs to build and test on Debian 12 (bookworm).
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  g++ cmake make pkg-config git curl jq ca-certificates
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev libsqlite3-dev libpq-dev
  libxxhash-dev libzstd-dev liblz4-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  # BLAKE3: the official C sources (built by store/CMakeLists.txt); b3sum for tests.
  librust-blake3-dev b3sum
  libgtest-dev libgmock-dev
  # Operations tests: promtool checks /metrics, systemd-analyze the unit,
  # headless chromium drives the web UI.
  prometheus systemd chromium
  # The Python client tests make venvs (tests/py/setup_venvs.sh).
  python3 python3-venv
  # Scale-out tests: a PostgreSQL server and nginx as the nodes' balancer
  # (moto, the S3-compatible server, comes from PyPI into tests/py/.venv-s3).
  postgresql nginx
)
# The JS client test needs node and npm; keep an installed node (>= 20) as is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: warning: node $node_major found; the JS client test is written for node 20" >&2
fi
