#!/usr/bin/env bash
# End-to-end test of mirror mode with the real JS client (@huggingface/hub).
#
# Usage: run_js_offline_test.sh HUBMIRROR_BIN FAKEHUB_BIN
#
#   1. `hubmirror sync` stores acme/tiny-model at main, v1 and refs/pr/1 and
#      datasets/acme/tiny-dataset from the fake hub (the manifest, the ground
#      truth for the node script, is fetched first);
#   2. the fake hub is stopped, `hubmirror serve --offline` serves the store;
#   3. download_through_mirror.mjs downloads every file of every target
#      through the offline mirror and checks it against the manifest: what a
#      sync stored must be enough for an unmodified client.
# Set KEEP_TMP=1 to keep the temporary directory (logs, store, caches).

set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 HUBMIRROR_BIN FAKEHUB_BIN" >&2
  exit 2
fi
hubmirror_bin=$1
fakehub_bin=$2
js_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly STARTUP_TIMEOUT_S=20

command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

# A fresh clone has no node_modules; the lock file pins the exact client.
if [[ ! -d "$js_dir/node_modules/@huggingface/hub" ]]; then
  echo "== installing @huggingface/hub (npm ci)"
  npm ci --prefix "$js_dir" --no-audit --no-fund
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hubmirror-js-offline.XXXXXX")
fakehub_pid=""
mirror_pid=""

stop_server() {  # pid: SIGTERM, then wait so no process outlives the test.
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_server "$mirror_pid"
  stop_server "$fakehub_pid"
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then
    echo "== kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# Prints a server's logs; called when something went wrong.
dump_logs() {
  local name
  for name in fakehub sync mirror; do
    [[ -f "$tmp/$name.err" ]] || continue
    echo "---- $name stderr (last 40 lines) ----"
    tail -n 40 "$tmp/$name.err"
  done
}

# wait_for_line FILE REGEX PID: prints the first line of FILE matching REGEX,
# failing if PID exits first or nothing matches within STARTUP_TIMEOUT_S.
wait_for_line() {
  local file=$1 regex=$2 pid=$3 line deadline=$((SECONDS + STARTUP_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if line=$(grep -m1 -E "$regex" "$file" 2>/dev/null); then
      echo "$line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "FAIL: process $pid exited before printing /$regex/" >&2; return 1; }
    sleep 0.1
  done
  echo "FAIL: no /$regex/ from process $pid within ${STARTUP_TIMEOUT_S}s" >&2
  return 1
}

total_passed=0
total_failed=0
runs_failed=0

# run_client NAME HUB_URL CACHE_DIR HUB_KIND: one run of the node script; its
# summary line is added to the totals.
run_client() {
  local name=$1 hub=$2 cache=$3 kind=$4 status=0 summary
  echo "== run '$name': @huggingface/hub against $hub ($kind)"
  node "$js_dir/download_through_mirror.mjs" --hub "$hub" --manifest "$tmp/manifest.json" \
    --cache-dir "$cache" --hub-kind "$kind" 2>&1 | tee "$tmp/$name.out" || status=$?
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/$name.out" | tail -n1 || true)
  if [[ -n "$summary" ]]; then
    total_passed=$((total_passed + ${summary%% passed*}))
    local rest=${summary#*, }
    total_failed=$((total_failed + ${rest%% failed}))
  else
    total_failed=$((total_failed + 1))  # Crashed before its summary.
  fi
  if ((status != 0)); then
    echo "== run '$name' FAILED (exit $status)"
    runs_failed=$((runs_failed + 1))
    dump_logs
  fi
}

echo "== starting fake hub: $fakehub_bin"
"$fakehub_bin" --listen 127.0.0.1:0 --cdn-listen 127.0.0.1:0 --page-size 3 \
  >"$tmp/fakehub.out" 2>"$tmp/fakehub.err" &
fakehub_pid=$!
wait_for_line "$tmp/fakehub.out" '^ready' "$fakehub_pid" >/dev/null || { dump_logs; exit 1; }
fakehub_url=$(grep -m1 -E '^api ' "$tmp/fakehub.out" | awk '{print $2}')
echo "== fake hub api at $fakehub_url"
curl -fsS --max-time 10 -o "$tmp/manifest.json" "$fakehub_url/_fake/manifest"

echo "== hubmirror sync"
if ! HF_TOKEN="" timeout 300 "$hubmirror_bin" sync --store "$tmp/store" --upstream "$fakehub_url" \
    acme/tiny-model@main acme/tiny-model@v1 acme/tiny-model@refs/pr/1 \
    datasets/acme/tiny-dataset@main >"$tmp/sync.out" 2>"$tmp/sync.err"; then
  echo "FAIL: hubmirror sync failed"
  cat "$tmp/sync.out"
  dump_logs
  exit 1
fi
cat "$tmp/sync.out"

echo "== stopping the fake hub: the mirror must serve from its store alone"
stop_server "$fakehub_pid"
fakehub_pid=""

echo "== starting offline mirror: $hubmirror_bin"
"$hubmirror_bin" serve --listen 127.0.0.1:0 --store "$tmp/store" --offline \
  >"$tmp/mirror.out" 2>"$tmp/mirror.err" &
mirror_pid=$!
line=$(wait_for_line "$tmp/mirror.out" 'listening on https?://' "$mirror_pid") || { dump_logs; exit 1; }
mirror_url=$(grep -oE 'https?://[^ ]+' <<<"$line" | head -n1)
echo "== mirror at $mirror_url"

run_client offline "$mirror_url" "$tmp/cache" mirror

if ! kill -0 "$mirror_pid" 2>/dev/null; then
  echo "FAIL: the mirror exited during the test"
  total_failed=$((total_failed + 1))
  runs_failed=$((runs_failed + 1))
  dump_logs
fi

echo "$total_passed passed, $total_failed failed"
((runs_failed == 0 && total_failed == 0))
