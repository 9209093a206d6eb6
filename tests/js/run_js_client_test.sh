#!/usr/bin/env bash
# End-to-end test with the real JS client (@huggingface/hub under node).
#
# Usage: run_js_client_test.sh HUBMIRROR_BIN FAKEHUB_BIN
#
# Three runs of download_through_mirror.mjs, each with a fresh client cache:
#   0. straight against the fake hub: a control showing that the fake hub
#      answers like huggingface.co as far as the real client is concerned,
#      so failures in the later runs are the mirror's (Xet announcements are
#      allowed here and ignored by the client; see the node script);
#   1. through the mirror, upstream up (pull-through, fills the store);
#   2. through the mirror after the fake hub is stopped: everything must now
#      come from the mirror's store alone.
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
run_client control "$fakehub_url" "$tmp/cache0" hub

start_mirror --store "$tmp/store" --upstream "$fakehub_url"
run_client online "$mirror_url" "$tmp/cache1" mirror

stop_fakehub
run_client offline "$mirror_url" "$tmp/cache2" mirror

finish
