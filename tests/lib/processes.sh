# Shared by the shell tests that start the real binaries (source it):
# a temporary directory removed on exit, stopping what was started, waiting
# for a start-up line, and showing logs on failure.
#
# Sets tmp (prefix from $1 of use_temp_dir), fakehub_pid and mirror_pid
# (start them into these and they are stopped on exit). KEEP_TMP=1 keeps $tmp.

readonly STARTUP_TIMEOUT_S=20
fakehub_pid=""
mirror_pid=""

stop_server() {  # pid: SIGTERM, then wait so no process outlives the test.
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# use_temp_dir NAME: a fresh $tmp, and on exit the mirror and fake hub are
# stopped and $tmp removed.
use_temp_dir() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/hubmirror-$1.XXXXXX")
  trap cleanup EXIT
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

# Prints the end of every *.err log in $tmp; called when something went wrong.
dump_logs() {
  local file
  for file in "$tmp"/*.err; do
    [[ -f "$file" ]] || continue
    echo "---- $(basename "$file" .err) stderr (last 40 lines) ----"
    tail -n 40 "$file"
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

# start_fakehub ARGS...: the fake hub on free ports; sets fakehub_url.
start_fakehub() {
  echo "== starting fake hub: $fakehub_bin $*"
  "$fakehub_bin" --listen 127.0.0.1:0 --cdn-listen 127.0.0.1:0 "$@" \
    >"$tmp/fakehub.out" 2>"$tmp/fakehub.err" &
  fakehub_pid=$!
  wait_for_line "$tmp/fakehub.out" '^ready' "$fakehub_pid" >/dev/null || { dump_logs; exit 1; }
  fakehub_url=$(grep -m1 -E '^api ' "$tmp/fakehub.out" | awk '{print $2}')
  echo "== fake hub api at $fakehub_url"
}

# start_mirror ARGS...: `hubmirror serve` on a free port with ARGS; sets mirror_url.
start_mirror() {
  echo "== starting mirror: $hubmirror_bin serve $*"
  "$hubmirror_bin" serve --listen 127.0.0.1:0 "$@" >"$tmp/mirror.out" 2>"$tmp/mirror.err" &
  mirror_pid=$!
  local line
  line=$(wait_for_line "$tmp/mirror.out" 'listening on https?://' "$mirror_pid") || { dump_logs; exit 1; }
  mirror_url=$(grep -oE 'https?://[^ ]+' <<<"$line" | head -n1)
  echo "== mirror at $mirror_url"
}
