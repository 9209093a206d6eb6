# Shared by the JS client tests (source it): starting and stopping the fake hub
# and the mirror, running download_through_mirror.mjs, and adding up results.
# Expects: hubmirror_bin, fakehub_bin; sets js_dir, tmp, fakehub_url,
# mirror_url. Everything it starts is stopped on exit; KEEP_TMP=1 keeps $tmp.

js_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly STARTUP_TIMEOUT_S=20

command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

# A fresh clone has no node_modules; the lock file pins the exact client.
if [[ ! -d "$js_dir/node_modules/@huggingface/hub" ]]; then
  echo "== installing @huggingface/hub (npm ci)"
  npm ci --prefix "$js_dir" --no-audit --no-fund
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hubmirror-js.XXXXXX")
fakehub_pid=""
mirror_pid=""
total_passed=0
total_failed=0
runs_failed=0

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

# Prints the logs of whatever ran; called when something went wrong.
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

# Starts the fake hub and saves its manifest (the ground truth of the node
# script) to $tmp/manifest.json. Small tree pages (the Hub's are 1000
# entries) so that clients and the mirror must follow Link: rel="next".
start_fakehub() {
  echo "== starting fake hub: $fakehub_bin"
  "$fakehub_bin" --listen 127.0.0.1:0 --cdn-listen 127.0.0.1:0 --page-size 3 \
    >"$tmp/fakehub.out" 2>"$tmp/fakehub.err" &
  fakehub_pid=$!
  wait_for_line "$tmp/fakehub.out" '^ready' "$fakehub_pid" >/dev/null || { dump_logs; exit 1; }
  fakehub_url=$(grep -m1 -E '^api ' "$tmp/fakehub.out" | awk '{print $2}')
  echo "== fake hub api at $fakehub_url"
  curl -fsS --max-time 10 -o "$tmp/manifest.json" "$fakehub_url/_fake/manifest"
}

stop_fakehub() {
  echo "== stopping the fake hub: the mirror must serve from its store alone"
  stop_server "$fakehub_pid"
  fakehub_pid=""
}

# start_mirror ARGS...: `hubmirror serve` on a free port with ARGS.
start_mirror() {
  echo "== starting mirror: $hubmirror_bin serve $*"
  "$hubmirror_bin" serve --listen 127.0.0.1:0 "$@" >"$tmp/mirror.out" 2>"$tmp/mirror.err" &
  mirror_pid=$!
  local line
  line=$(wait_for_line "$tmp/mirror.out" 'listening on https?://' "$mirror_pid") || { dump_logs; exit 1; }
  mirror_url=$(grep -oE 'https?://[^ ]+' <<<"$line" | head -n1)
  echo "== mirror at $mirror_url"
}

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

# Checks the mirror survived, prints the summary line, exits with the verdict.
finish() {
  if ! kill -0 "$mirror_pid" 2>/dev/null; then
    echo "FAIL: the mirror exited during the test"
    total_failed=$((total_failed + 1))
    runs_failed=$((runs_failed + 1))
    dump_logs
  fi
  echo "$total_passed passed, $total_failed failed"
  ((runs_failed == 0 && total_failed == 0))
}
