# Shared by the JS client tests (source it): starting and stopping the fake hub
# and the mirror, running download_through_mirror.mjs, and adding up results.
# Expects: hubmirror_bin, fakehub_bin; sets js_dir, tmp, fakehub_url,
# mirror_url. Everything it starts is stopped on exit; KEEP_TMP=1 keeps $tmp.

js_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$js_dir/../lib/processes.sh"

command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

# A fresh clone has no node_modules; the lock file pins the exact client.
if [[ ! -d "$js_dir/node_modules/@huggingface/hub" ]]; then
  echo "== installing @huggingface/hub (npm ci)"
  npm ci --prefix "$js_dir" --no-audit --no-fund
fi

use_temp_dir js
total_passed=0
total_failed=0
runs_failed=0

# Starts the fake hub and saves its manifest (the ground truth of the node
# script) to $tmp/manifest.json. Small tree pages (the Hub's are 1000
# entries) so that clients and the mirror must follow Link: rel="next".
start_fakehub_with_manifest() {
  start_fakehub --page-size 3
  curl -fsS --max-time 10 -o "$tmp/manifest.json" "$fakehub_url/_fake/manifest"
}

stop_fakehub() {
  echo "== stopping the fake hub: the mirror must serve from its store alone"
  stop_server "$fakehub_pid"
  fakehub_pid=""
}

# run_client NAME HUB_URL CACHE_DIR HUB_KIND [ARGS...]: one run of the node
# script (ARGS passed on); its summary line is added to the totals.
run_client() {
  local name=$1 hub=$2 cache=$3 kind=$4 status=0 summary
  shift 4
  echo "== run '$name': @huggingface/hub against $hub ($kind)"
  node "$js_dir/download_through_mirror.mjs" --hub "$hub" --manifest "$tmp/manifest.json" \
    --cache-dir "$cache" --hub-kind "$kind" "$@" 2>&1 | tee "$tmp/$name.out" || status=$?
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
