#!/usr/bin/env bash
# Publishing with the real JS client (@huggingface/hub under node): a mirror
# that owns the namespace acme-internal, a token that may write it, and
# upload_to_mirror.mjs pushing and reading back (issue 15).
#
# Usage: run_js_upload_test.sh HUBMIRROR_BIN FAKEHUB_BIN
# Set KEEP_TMP=1 to keep the temporary directory (logs, store).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 HUBMIRROR_BIN FAKEHUB_BIN" >&2
  exit 2
fi
hubmirror_bin=$1
fakehub_bin=$2
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

token=hf_js_publisher_secret
start_fakehub --page-size 3
cat >"$tmp/hubmirror.toml" <<TOML
[upstream]
url = "$fakehub_url"
[publish]
namespaces = ["acme-internal"]
lfs_part_bytes = 5242880
[access]
audit_log = "$tmp/audit.jsonl"
[[access.tokens]]
name = "js-publisher"
token = "$token"
repos = ["*"]
write = ["acme-internal/*", "datasets/acme-internal/*"]
TOML
start_mirror --store "$tmp/store" --config "$tmp/hubmirror.toml"

status=0
echo "== upload_to_mirror.mjs against $mirror_url"
node "$js_dir/upload_to_mirror.mjs" --hub "$mirror_url" --token "$token" 2>&1 \
  | tee "$tmp/upload.out" || status=$?
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/upload.out" | tail -n1 || true)
if [[ -n "$summary" ]]; then
  total_passed=${summary%% passed*}
  rest=${summary#*, }
  total_failed=${rest%% failed}
else
  total_failed=1
fi
if ((status != 0)); then
  runs_failed=1
  dump_logs
fi
# The multipart path was taken: a completed multipart upload is audited as
# one lfs-upload of the whole file.
if ! grep -q '"action":"lfs-upload"' "$tmp/audit.jsonl"; then
  echo "FAIL: no LFS upload in the audit log"
  total_failed=$((total_failed + 1))
fi
finish
