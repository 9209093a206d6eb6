#!/usr/bin/env bash
# The shipped systemd unit (configs/hubmirror.service) is valid and starts a
# working server: `systemd-analyze verify` accepts it (with ExecStart pointed
# at the built binary), and its ExecStart command line, run from the unit's
# WorkingDirectory layout with the shipped config, serves and creates its
# store under that directory, then stops cleanly on the unit's KillSignal
# within TimeoutStopSec.
# Usage: systemd_unit_test.sh HUBMIRROR_BIN
set -euo pipefail
hubmirror_bin=$(realpath "$1")
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unit="$source_dir/configs/hubmirror.service"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hubmirror-unit.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/server.err" ]] && tail -n 20 "$tmp/server.err" >&2; exit 1; }
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }

exec_start=$(unit_value ExecStart)
[[ "$exec_start" == /usr/local/bin/hubmirror\ serve\ * ]] || fail "unexpected ExecStart: $exec_start"
config_path=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<<"$exec_start")
[[ "$config_path" == /etc/hubmirror/hubmirror.toml ]] || fail "ExecStart names config $config_path"

if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/hubmirror|$hubmirror_bin|" "$unit" >"$tmp/hubmirror.service"
  systemd-analyze verify "$tmp/hubmirror.service" || fail "systemd-analyze verify rejected the unit"
  echo "ok: systemd-analyze verify"
else
  echo "note: systemd-analyze not installed; unit syntax not verified"
fi

# WorkingDirectory=/var/lib/hubmirror stands in as $tmp/state; the shipped
# config stands in for /etc/hubmirror/hubmirror.toml. Only the listen port
# differs (port 0: a free one), so tests never collide.
state_dir="$tmp/state"
mkdir -p "$state_dir"
[[ "$(unit_value WorkingDirectory)" == /var/lib/hubmirror ]] || fail "WorkingDirectory changed"
read -r -a argv <<<"${exec_start#/usr/local/bin/hubmirror }"
argv=("${argv[@]/#\/etc\/hubmirror\/hubmirror.toml/$source_dir/configs/hubmirror.toml}")
(cd "$state_dir" && exec "$hubmirror_bin" "${argv[@]}" --listen 127.0.0.1:0 --offline \
  >"$tmp/server.out" 2>"$tmp/server.err") &
server_pid=$!

url=""
for _ in $(seq 1 100); do
  url=$(grep -o -m1 'http://127.0.0.1:[0-9]*' "$tmp/server.out" 2>/dev/null || true)
  [[ -n "$url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "server exited at start-up"
  sleep 0.1
done
[[ -n "$url" ]] || fail "server did not report its address within 10 s"
curl -fsS --max-time 10 "$url/api/status" >/dev/null || fail "GET /api/status failed"
[[ -f "$state_dir/data/index.sqlite" ]] || fail "store not created under WorkingDirectory/data"
echo "ok: ExecStart serves $url with its store in WorkingDirectory/data"

stop_timeout=$(unit_value TimeoutStopSec)
signal=$(unit_value KillSignal)
kill "-${signal#SIG}" "$server_pid"
for _ in $(seq 1 $((stop_timeout * 10))); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "server still running ${stop_timeout}s after $signal"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[[ $rc -eq 0 ]] || fail "server exited with $rc after $signal"
echo "ok: stopped cleanly on $signal"
