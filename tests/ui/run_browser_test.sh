#!/usr/bin/env bash
# Browser test of the web UI: Debian's headless Chromium, driven by
# playwright-core, browsing a real `hubmirror serve` in front of the fake hub.
#
# Usage: run_browser_test.sh HUBMIRROR_BIN FAKEHUB_BIN [OUT_DIR]
#
# Downloads a few files through the mirror (one of them named with a
# <script> element), then runs browse.mjs, which opens /, clicks through to a
# repo, filters for a file, checks its row and that the hostile name is shown
# as text, and saves OUT_DIR/ui-screenshot.png (default: the current folder).
# UPDATE_SCREENSHOT=1 also copies it to docs/ui-screenshot.png.
# KEEP_TMP=1 keeps the temporary directory (logs, store).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 HUBMIRROR_BIN FAKEHUB_BIN [OUT_DIR]" >&2
  exit 2
fi
hubmirror_bin=$1
fakehub_bin=$2
out_dir=${3:-$PWD}
ui_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$ui_dir/../.." && pwd)
readonly SCRIPT_PATH='evil/<script>alert(1)</script>.txt'
readonly SCRIPT_PATH_ENCODED='evil/%3Cscript%3Ealert%281%29%3C/script%3E.txt'

command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }
[[ -x /usr/bin/chromium ]] || { echo "FAIL: /usr/bin/chromium is not installed (apt-get install chromium)" >&2; exit 1; }
# A fresh clone has no node_modules; the lock file pins the exact version.
if [[ ! -d "$ui_dir/node_modules/playwright-core" ]]; then
  echo "== installing playwright-core (npm ci)"
  npm ci --prefix "$ui_dir" --no-audit --no-fund
fi

source "$ui_dir/../lib/processes.sh"
use_temp_dir ui

printf 'bytes behind a hostile name\n' >"$tmp/evil.txt"
start_fakehub --extra-file "acme/ui-demo:$SCRIPT_PATH:$tmp/evil.txt"
start_mirror --store "$tmp/store" --upstream "$fakehub_url"

for target in acme/tiny-model/resolve/main/config.json \
              acme/tiny-model/resolve/main/model.safetensors \
              acme/tiny-model/resolve/main/tokenizer/tokenizer.json \
              acme/tiny-model/resolve/v1/README.md \
              datasets/acme/tiny-dataset/resolve/main/data/train.jsonl \
              "acme/ui-demo/resolve/main/$SCRIPT_PATH_ENCODED"; do
  curl -fsS --max-time 60 -o "$tmp/download" "$mirror_url/$target" || { echo "FAIL: GET /$target"; dump_logs; exit 1; }
  if [[ $target == */model.safetensors ]]; then
    weights_sha=$(sha256sum "$tmp/download" | awk '{print $1}')
  fi
done

# The full file list of main, as a client listing the repo would ask for it:
# the repo page then shows stored files next to ones not downloaded yet.
curl -fsS --max-time 60 -o /dev/null "$mirror_url/api/models/acme/tiny-model/tree/main?recursive=true" \
  || { echo "FAIL: tree listing"; dump_logs; exit 1; }

mkdir -p "$out_dir"
status=0
node "$ui_dir/browse.mjs" --url "$mirror_url" --screenshot "$out_dir/ui-screenshot.png" \
  --weights-sha256 "$weights_sha" --hostile-path "$SCRIPT_PATH" || status=$?
if ((status != 0)); then
  dump_logs
  exit "$status"
fi
kill -0 "$mirror_pid" 2>/dev/null || { echo "FAIL: the mirror exited during the test"; dump_logs; exit 1; }
if [[ "${UPDATE_SCREENSHOT:-0}" == 1 ]]; then
  cp "$out_dir/ui-screenshot.png" "$repo_root/docs/ui-screenshot.png"
  echo "== updated docs/ui-screenshot.png"
fi
echo "PASS: browser test ($out_dir/ui-screenshot.png)"
