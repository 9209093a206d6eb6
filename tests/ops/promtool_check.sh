#!/usr/bin/env bash
# `promtool check metrics` (Debian's prometheus package) accepts what the
# real binary serves at /metrics, after downloads (cold and warm), a miss and
# a HEAD have filled its counters and histograms.
# Usage: promtool_check.sh HUBMIRROR_BIN FAKEHUB_BIN
set -euo pipefail
hubmirror_bin=$(realpath "$1")
fakehub_bin=$(realpath "$2")
command -v promtool >/dev/null || { echo "FAIL: promtool not installed (apt-get install prometheus)" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/../js/harness.sh"

start_fakehub
start_mirror --store "$tmp/store" --upstream "$fakehub_url"
model=/acme/tiny-model/resolve/main/model.safetensors
curl -sS --max-time 30 -o /dev/null "$mirror_url$model"
# The last byte goes out once the bytes are verified, before the commit: wait
# (at most 10 s) for the object to be stored, so that the next GET is a hit.
for _ in $(seq 100); do
  curl -fsS --max-time 5 "$mirror_url/metrics" | grep -Eq '^hubmirror_store_objects [1-9]' && break
  sleep 0.1
done
for target in "$model" /acme/tiny-model/resolve/main/no-such-file; do
  curl -sS --max-time 30 -o /dev/null "$mirror_url$target"
done
curl -sS --max-time 30 -I -o /dev/null "$mirror_url/acme/tiny-model/resolve/main/config.json"
curl -fsS --max-time 30 -o "$tmp/metrics.txt" "$mirror_url/metrics"

# promtool prints lint findings and exits non-zero on any problem.
if ! promtool check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1; then
  echo "FAIL: promtool check metrics:" >&2
  cat "$tmp/promtool.out" >&2
  exit 1
fi
if [[ -s "$tmp/promtool.out" ]]; then
  echo "FAIL: promtool reported lint findings:" >&2
  cat "$tmp/promtool.out" >&2
  exit 1
fi
grep -q '^hubmirror_downloads_total{result="hit"} 1$' "$tmp/metrics.txt" ||
  { echo "FAIL: expected one hit in:" >&2; grep downloads "$tmp/metrics.txt" >&2; exit 1; }
echo "ok: promtool check metrics accepts $(grep -vc '^#' "$tmp/metrics.txt") samples"
