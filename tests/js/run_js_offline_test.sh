#!/usr/bin/env bash
# End-to-end test of mirror mode with the real JS client (@huggingface/hub).
#
# Usage: run_js_offline_test.sh HUBMIRROR_BIN FAKEHUB_BIN
#
#   1. `hubmirror sync` stores acme/tiny-model at main, v1 and refs/pr/1,
#      acme/tiny-model-ft, datasets/acme/tiny-dataset and spaces/acme/tiny-space
#      from the fake hub
#      (the manifest, the ground truth for the node script, is fetched first);
#   2. the fake hub is stopped, `hubmirror serve --offline` serves the store;
#   3. download_through_mirror.mjs downloads every file of every target
#      through the offline mirror and checks it against the manifest: what a
#      sync stored must be enough for an unmodified client; its listings hold
#      what the store holds.
# Set KEEP_TMP=1 to keep the temporary directory (logs, store, caches).

set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 HUBMIRROR_BIN FAKEHUB_BIN" >&2
  exit 2
fi
hubmirror_bin=$1
fakehub_bin=$2
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

start_fakehub_with_manifest

echo "== hubmirror sync"
if ! HF_TOKEN="" timeout 300 "$hubmirror_bin" sync --store "$tmp/store" --upstream "$fakehub_url" \
    acme/tiny-model@main acme/tiny-model@v1 acme/tiny-model@refs/pr/1 acme/tiny-model-ft \
    datasets/acme/tiny-dataset@main spaces/acme/tiny-space >"$tmp/sync.out" 2>"$tmp/sync.err"; then
  echo "FAIL: hubmirror sync failed"
  cat "$tmp/sync.out"
  dump_logs
  exit 1
fi
cat "$tmp/sync.out"

stop_fakehub
start_mirror --store "$tmp/store" --offline
run_client offline "$mirror_url" "$tmp/cache" mirror --listings-from-store --expect-xet

finish
