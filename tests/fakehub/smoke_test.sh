#!/usr/bin/env bash
# Smoke test of hubmirror-fakehub: starts it on free ports and checks every
# route with curl. Usage: smoke_test.sh /path/to/hubmirror-fakehub
set -euo pipefail

BIN=${1:?usage: smoke_test.sh /path/to/hubmirror-fakehub}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok   $*"; }
CURL=(curl -sS --max-time 10)

# start_hub NAME ARGS...: starts the binary, waits for "ready", sets
# NAME_API, NAME_CDN and NAME_PID.
start_hub() {
  local name=$1; shift
  local out="$WORK/$name.out"
  "$BIN" --listen 127.0.0.1:0 --cdn-listen 127.0.0.1:0 "$@" >"$out" 2>"$WORK/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do
    grep -q '^ready$' "$out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q '^ready$' "$out" || fail "$name did not print ready"
  printf -v "${name}_API" '%s' "$(sed -n 's/^api //p' "$out")"
  printf -v "${name}_CDN" '%s' "$(sed -n 's/^cdn //p' "$out")"
  printf -v "${name}_PID" '%s' "$pid"
}

# fetch URL [curl args...]: body -> $WORK/body, headers -> $WORK/headers,
# status -> $STATUS.
fetch() {
  local url=$1; shift
  STATUS=$("${CURL[@]}" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" "$url") || true
}
header() {  # header NAME: value of a response header of the last fetch.
  { grep -i "^$1:" "$WORK/headers" || true; } | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}
expect_status() { [[ "$STATUS" == "$1" ]] || fail "$2: status $STATUS, want $1"; }
expect_header() {
  local value; value=$(header "$1")
  [[ "$value" == "$2" ]] || fail "$3: header $1 is '$value', want '$2'"
}
expect_jq() {  # expect_jq FILTER WANT WHAT: jq FILTER on the last body.
  local value; value=$(jq -c "$1" "$WORK/body")
  [[ "$value" == "$2" ]] || fail "$3: $1 is $value, want $2"
}

start_hub HUB --page-size 2
API=$HUB_API
CDN=$HUB_CDN
fetch "$API/_fake/manifest"
cp "$WORK/body" "$WORK/manifest.json"
manifest() {  # manifest REPO REF PATH FIELD
  jq -r --arg repo "$1" --arg ref "$2" --arg path "$3" --arg field "$4" \
    '.repos[] | select(.id == $repo) | .refs[$ref] as $c | .commits[] | select(.id == $c)
     | .files[] | select(.path == $path) | .[$field]' "$WORK/manifest.json"
}
MAIN=$(jq -r '.repos[] | select(.id == "acme/tiny-model") | .refs.main' "$WORK/manifest.json")
V1=$(jq -r '.repos[] | select(.id == "acme/tiny-model") | .refs.v1' "$WORK/manifest.json")
PR1=$(jq -r '.repos[] | select(.id == "acme/tiny-model") | .refs["refs/pr/1"]' "$WORK/manifest.json")
[[ ${#MAIN} == 40 && ${#V1} == 40 && ${#PR1} == 40 && $MAIN != "$V1" ]] || fail "manifest refs"
pass "manifest"

# --- Repo info --------------------------------------------------------------
fetch "$API/api/models/acme/tiny-model"
expect_status 200 "model info"
expect_jq '[.id, .modelId, .sha, .private, .gated, .xetEnabled]' \
  "[\"acme/tiny-model\",\"acme/tiny-model\",\"$MAIN\",false,false,true]" "model info"
expect_jq '.siblings | length' 6 "model info siblings"
fetch "$API/api/models/acme/tiny-model/revision/v1?blobs=True"
expect_jq '.sha' "\"$V1\"" "info at v1"
expect_jq '.siblings[] | select(.rfilename == "model.safetensors") | .lfs.sha256' \
  "\"$(manifest acme/tiny-model v1 model.safetensors sha256)\"" "blobs=True lfs.sha256"
fetch "$API/api/models/acme/tiny-model/revision/refs%2Fpr%2F1?expand=sha&expand=private"
expect_jq '[keys, .sha]' "[[\"_id\",\"id\",\"private\",\"sha\"],\"$PR1\"]" "expand filter"
fetch "$API/api/models/acme/tiny-model/revision/HEAD"
expect_jq '.sha' "\"$MAIN\"" "HEAD revision"
fetch "$API/api/models/acme/tiny-model/revision/$V1"
expect_jq '.sha' "\"$V1\"" "commit id revision"
fetch "$API/api/datasets/acme/tiny-dataset"
expect_jq '[.id, has("modelId")]' '["acme/tiny-dataset",false]' "dataset info"
fetch "$API/api/models/gpt-mini"
expect_jq '.id' '"gpt-mini"' "legacy id"
pass "repo info"

# --- Errors -----------------------------------------------------------------
fetch "$API/api/models/acme/missing"
expect_status 401 "unknown repo, anonymous"
expect_header X-Error-Code RepoNotFound "unknown repo"
fetch "$API/api/models/acme/missing" -H "Authorization: Bearer hf_x"
expect_status 404 "unknown repo, with token"
fetch "$API/api/models/acme/tiny-model/revision/nope"
expect_status 404 "unknown revision"
expect_header X-Error-Code RevisionNotFound "unknown revision"
expect_header X-Error-Message "Invalid rev id: nope" "unknown revision"
fetch "$API/api/models/acme/gated-model"
expect_status 401 "gated, anonymous"
expect_header X-Error-Code GatedRepo "gated"
expect_jq '.error | startswith("Access to model acme/gated-model is restricted")' true "gated body"
fetch "$API/acme/gated-model/resolve/main/config.json" -H "Authorization: Bearer wrong"
expect_status 401 "gated resolve, wrong token"
fetch "$API/acme/gated-model/resolve/main/config.json" -H "Authorization: Bearer hf_fake_gated_token"
expect_status 200 "gated resolve, right token"
fetch "$API/api/models/acme/gated-model" -H "Authorization: Bearer hf_fake_gated_token"
expect_jq '.gated' '"manual"' "gated info"
fetch "$API/api/whoami-v2"
expect_status 401 "whoami anonymous"
fetch "$API/api/whoami-v2" -H "Authorization: Bearer hf_x"
expect_jq '[.name, .auth.accessToken.role]' '["fake-user","read"]' "whoami"
pass "errors, gating, whoami"

# --- Repo listing by author (hubmirror sync org/*) ---------------------------
url="$API/api/models?author=acme" pages=0
: >"$WORK/ids"
while [[ -n "$url" && $pages -lt 10 ]]; do  # 7 repos, 2 per page
  fetch "$url"
  expect_status 200 "models of acme, page $pages"
  jq -r '.[].id' "$WORK/body" >>"$WORK/ids"
  url=$(header Link | sed -n 's/^<\(http[^>]*\)>; rel="next"$/\1/p')
  pages=$((pages + 1))
done
[[ $pages == 4 ]] || fail "models of acme: $pages pages, want 4"
[[ "$(sort "$WORK/ids" | tr '\n' ' ')" == "acme/big-model acme/eight-base acme/eight-finetune acme/gated-model acme/tiny-bert acme/tiny-model acme/tiny-model-ft " ]] ||
  fail "models of acme: $(tr '\n' ' ' <"$WORK/ids")"
fetch "$API/api/datasets?author=acme"
expect_jq '[.[].id]' '["acme/tiny-dataset"]' "datasets of acme"
fetch "$API/api/models?author=nobody"
expect_jq 'length' '0' "models of nobody"
fetch "$API/api/models?search=TINY&sort=downloads&limit=10"
expect_jq '[.[].id]' '["acme/tiny-model","acme/tiny-bert","acme/tiny-model-ft"]' "search, sort"
fetch "$API/api/models?search=tiny&sort=downloads&direction=1&limit=10&filter=transformers"
expect_jq '[.[].id]' '["acme/tiny-model-ft","acme/tiny-bert","acme/tiny-model"]' "ascending, filter"
fetch "$API/api/models?filter=fill-mask&expand=downloads"
expect_jq '[.[] | keys, .id, .downloads]' '[["_id","downloads","id"],"acme/tiny-bert",77]' "expand"
fetch "$API/api/models?author=gpt-mini&full=true"
expect_jq '.[0].siblings | length' '2' "full listing"
fetch "$API/api/spaces"
expect_jq '[.[].id, .[].sdk]' '["acme/tiny-space","gradio"]' "spaces"
fetch "$API/api/models?sort=likes&direction=2"
expect_status 400 "bad direction"
pass "repo listing"

# --- Refs and commits ---------------------------------------------------------
fetch "$API/api/models/acme/tiny-model/refs"
expect_jq '[.branches[].ref, .tags[].ref, (.converts | length), has("pullRequests")]' \
  '["refs/heads/main","refs/tags/v1",0,false]' "refs"
fetch "$API/api/models/acme/tiny-model/refs?include_prs=1"
expect_jq '[.pullRequests[].ref]' '["refs/pr/1"]' "refs with PRs"
fetch "$API/api/datasets/acme/tiny-dataset/refs"
expect_jq '[.converts[] | [.name, .ref]]' '[["parquet","refs/convert/parquet"]]' "converts"
fetch "$API/api/models/acme/tiny-model/commits/refs%2Fpr%2F1?limit=2"
expect_jq '[.[].title, .[0].authors[0].user]' '["Add notes","Update weights","bob"]' "commits"
expect_header X-Total-Count 3 "commit count"
next=$(header Link | sed -n 's/^<\(http[^>]*\)>; rel="next"$/\1/p')
[[ -n "$next" ]] || fail "commits: no next page"
fetch "$next"
expect_jq '[.[].title]' '["Initial commit"]' "commits page 2"
[[ -z "$(header Link)" ]] || fail "commits: a page after the last"
fetch "$API/api/models/acme/tiny-model/commits/main?expand%5B%5D=formatted"
expect_jq '[.[].formatted.title]' '["<p>Update weights</p>","<p>Initial commit</p>"]' "formatted"
fetch "$API/api/models/acme/tiny-model/commits/nope"
expect_header X-Error-Code RevisionNotFound "commits of an unknown revision"
fetch "$API/spaces/acme/tiny-space/resolve/main/app.py"
expect_status 200 "space file"
pass "refs, commits, spaces"

# --- Tree, pagination, paths-info -------------------------------------------
collect_tree() {  # collect_tree URL: follows Link rel="next", prints paths.
  local url=$1 pages=0
  : >"$WORK/tree"
  while [[ -n "$url" && $pages -lt 50 ]]; do
    fetch "$url"
    expect_status 200 "tree page $url"
    jq -r '.[] | "\(.type) \(.path)"' "$WORK/body" >>"$WORK/tree"
    url=$(header Link | sed -n 's/^<\(http[^>]*\)>; rel="next"$/\1/p')
    pages=$((pages + 1))
  done
}
collect_tree "$API/api/models/acme/tiny-model/tree/main?recursive=true&expand=false"
WANT="directory tokenizer
directory weights
file README.md
file config.json
file model.safetensors
file tokenizer/tokenizer.json
file tokenizer/vocab.txt
file weights/part-00001.bin"
[[ "$(cat "$WORK/tree")" == "$WANT" ]] || fail "recursive paginated tree: $(cat "$WORK/tree")"
fetch "$API/api/models/acme/tiny-model/tree/main"
[[ "$(header Link)" == "<$API/api/models/acme/tiny-model/tree/main?cursor="*'>; rel="next"' ]] ||
  fail "Link header: $(header Link)"
collect_tree "$API/api/models/acme/tiny-model/tree/refs/pr/1/tokenizer"
[[ "$(cat "$WORK/tree")" == $'file tokenizer/tokenizer.json\nfile tokenizer/vocab.txt' ]] ||
  fail "raw refs/pr/1 subfolder tree"
fetch "$API/api/models/acme/tiny-model/tree/refs%2Fpr%2F1/tokenizer?expand=true"
expect_jq '.[0].lastCommit.id' "\"$PR1\"" "tree expand"
fetch "$API/api/models/acme/tiny-model/tree/main/weights"
expect_jq '.[0] | [.path, .lfs.size, (.xetHash | length), .size]' \
  '["weights/part-00001.bin",1572864,64,1572864]' "lfs tree entry"
fetch "$API/api/models/acme/tiny-model/tree/main/nope"
expect_status 404 "tree unknown folder"
expect_header X-Error-Code EntryNotFound "tree unknown folder"
fetch "$API/api/models/acme/tiny-model/paths-info/v1" \
  --data 'paths=config.json&paths=tokenizer&paths=missing&expand=false'
expect_jq '[.[] | [.type, .path]]' '[["file","config.json"],["directory","tokenizer"]]' \
  "paths-info form"
fetch "$API/api/datasets/acme/tiny-dataset/paths-info/main" \
  -H 'Content-Type: application/json' --data '{"paths":["data/train-00000-of-00001.parquet"],"expand":true}'
PARQUET_SHA=$(manifest acme/tiny-dataset main data/train-00000-of-00001.parquet sha256)
expect_jq '.[0] | [.lfs.oid, .size, has("lastCommit")]' "[\"$PARQUET_SHA\",2097152,true]" \
  "paths-info json"
pass "tree, pagination, paths-info"

# --- Resolve ----------------------------------------------------------------
fetch "$API/acme/tiny-model/resolve/main/config.json"
expect_status 200 "regular resolve"
expect_header ETag "\"$(manifest acme/tiny-model main config.json git_oid)\"" "regular etag"
expect_header X-Repo-Commit "$MAIN" "regular commit"
expect_header Content-Length "$(manifest acme/tiny-model main config.json size)" "regular size"
fetch "$API/acme/tiny-model/resolve/v1/config.json" -I
expect_status 200 "regular HEAD"
expect_header Content-Length "$(manifest acme/tiny-model v1 config.json size)" "HEAD size"
fetch "$API/acme/tiny-model/resolve/main/config.json" -H 'Range: bytes=0-0'
expect_status 206 "regular range"
expect_header Content-Range "bytes 0-0/$(manifest acme/tiny-model main config.json size)" "range"
fetch "$API/acme/tiny-model/resolve/main/config.json" -H 'Range: bytes=100000-'
expect_status 416 "regular unsatisfiable"
expect_header Content-Range "bytes */$(manifest acme/tiny-model main config.json size)" "416"
fetch "$API/acme/tiny-model/resolve/refs%2Fpr%2F1/notes.txt"
expect_status 200 "encoded pr revision"
fetch "$API/acme/tiny-model/resolve/refs/pr/1/notes.txt"
expect_status 200 "raw pr revision"
fetch "$API/datasets/acme/tiny-dataset/resolve/main/data%2Ftrain.jsonl"
expect_status 200 "dataset resolve, encoded path"
fetch "$API/acme/tiny-model/resolve/main/missing.txt"
expect_status 404 "missing file"
expect_header X-Error-Code EntryNotFound "missing file"
expect_header X-Repo-Commit "$MAIN" "missing file commit"

SHA=$(manifest acme/tiny-model main model.safetensors sha256)
fetch "$API/acme/tiny-model/resolve/main/model.safetensors" -I
expect_status 302 "lfs HEAD"
expect_header X-Linked-Etag "\"$SHA\"" "lfs linked etag"
expect_header X-Linked-Size 3145728 "lfs linked size"
expect_header X-Repo-Commit "$MAIN" "lfs commit"
[[ "$(header ETag)" == "\"$(manifest acme/tiny-model main model.safetensors git_oid)\"" ]] ||
  fail "lfs ETag is the pointer oid"
[[ "$(header X-Xet-Hash)" =~ ^[0-9a-f]{64}$ ]] || fail "X-Xet-Hash"
[[ "$(header Link)" == *'rel="xet-auth"'* ]] || fail "xet-auth Link"
LOCATION=$(header Location)
[[ "$LOCATION" == "$CDN/lfs/$SHA?expires="*"&sig="* ]] || fail "Location $LOCATION"
fetch "$API/acme/tiny-model/resolve/main/model.safetensors" \
  -H 'Accept: application/vnd.xet-fileinfo+json, */*' -H 'Range: bytes=0-0'
expect_status 200 "xet file info"
expect_header Content-Type application/vnd.xet-fileinfo+json "xet file info"
expect_jq '[(.hash | length), (.casUrl | endswith("/cas"))]' '[64,true]' "xet file info body"
pass "resolve"

# --- CDN --------------------------------------------------------------------
fetch "$LOCATION"
expect_status 200 "cdn get"
expect_header ETag "\"$SHA\"" "cdn etag"
expect_header Content-Type application/octet-stream "cdn type"
[[ "$(sha256sum <"$WORK/body" | cut -d' ' -f1)" == "$SHA" ]] || fail "cdn bytes"
fetch "$LOCATION" -H 'Authorization: Bearer hf_x'
expect_status 400 "cdn with Authorization"
grep -q "Only one auth mechanism allowed" "$WORK/body" || fail "cdn 400 body"
fetch "$LOCATION" -H 'Range: bytes=-10'
expect_status 206 "cdn suffix range"
expect_header Content-Range "bytes 3145718-3145727/3145728" "cdn suffix range"
fetch "$LOCATION" -H 'Range: bytes=3145728-'
expect_status 416 "cdn unsatisfiable"
expect_header Content-Range "bytes */3145728" "cdn 416"
fetch "${LOCATION%&sig=*}&sig=00"
expect_status 403 "cdn bad signature"
fetch "$CDN/lfs/$SHA"
expect_status 403 "cdn unsigned"
pass "cdn"

# --- Control endpoints ------------------------------------------------------
"${CURL[@]}" -X POST "$API/_fake/reset-stats" >/dev/null
fetch "$API/acme/tiny-model/resolve/main/config.json"
fetch "$LOCATION" -H 'Range: bytes=0-99'
fetch "$API/_fake/stats"
expect_jq '[.api_requests, .resolve_requests, .cdn_requests, .cdn_bytes, (.requests | length)]' \
  '[1,1,1,100,2]' "stats"
expect_jq '.requests[1] | [.host, .range, .authorization]' '["cdn","bytes=0-99",false]' "stats log"

BIG=$(manifest acme/big-model main model.safetensors sha256)
BIG_URL=$("${CURL[@]}" -o /dev/null -w '%{redirect_url}' "$API/acme/big-model/resolve/main/model.safetensors")
"${CURL[@]}" -X POST "$API/_fake/reset-stats" >/dev/null
"${CURL[@]}" -X POST "$API/_fake/cdn-gate?pause_after=1000" >/dev/null
"${CURL[@]}" -o "$WORK/big" "$BIG_URL" &
CURL_PID=$!
for _ in $(seq 50); do
  [[ "$("${CURL[@]}" "$API/_fake/stats" | jq .cdn_bytes)" == 1000 ]] && break
  sleep 0.1
done
sleep 0.3
[[ "$("${CURL[@]}" "$API/_fake/stats" | jq .cdn_bytes)" == 1000 ]] || fail "gate holds at 1000"
"${CURL[@]}" -X POST "$API/_fake/cdn-gate?open=1" >/dev/null
wait "$CURL_PID" || fail "gated download"
[[ "$(sha256sum <"$WORK/big" | cut -d' ' -f1)" == "$BIG" ]] || fail "big bytes after gate"
pass "cdn gate"

"${CURL[@]}" -X POST "$API/_fake/drop-connection?after=100&count=1" >/dev/null
"${CURL[@]}" -o "$WORK/part" "$BIG_URL" && fail "dropped transfer succeeded"
[[ $(stat -c %s "$WORK/part") == 100 ]] || fail "drop after 100 bytes"
fetch "$BIG_URL" -H 'Range: bytes=100-'
expect_status 206 "resume"
cat "$WORK/body" >>"$WORK/part"
[[ "$(sha256sum <"$WORK/part" | cut -d' ' -f1)" == "$BIG" ]] || fail "resumed bytes"
pass "drop-connection + resume"

"${CURL[@]}" -X POST "$API/_fake/cdn-rate?bytes_per_sec=1000000" >/dev/null
SECONDS_TAKEN=$("${CURL[@]}" -o /dev/null -w '%{time_total}' -H 'Range: bytes=0-499999' "$BIG_URL")
"${CURL[@]}" -X POST "$API/_fake/cdn-rate?bytes_per_sec=0" >/dev/null
awk -v t="$SECONDS_TAKEN" 'BEGIN { exit !(t >= 0.4) }' || fail "rate limit: took ${SECONDS_TAKEN}s"
pass "cdn rate"

# --- Expired URLs (second instance, zero TTL) --------------------------------
start_hub SHORT --cdn-url-ttl 0
SHORT_URL=$("${CURL[@]}" -o /dev/null -w '%{redirect_url}' "$SHORT_API/gpt-mini/resolve/main/pytorch_model.bin")
sleep 1.2
fetch "$SHORT_URL"
expect_status 403 "expired url"
grep -q "Request has expired" "$WORK/body" || fail "expired body"
pass "expiry"

# --- Extra files (third instance, a local file as an LFS file) ---------------
head -c 300000 /dev/urandom >"$WORK/extra.bin"
start_hub EXTRA --extra-file "bench/extra:weights/model.safetensors:$WORK/extra.bin"
EXTRA_SHA=$(sha256sum "$WORK/extra.bin" | cut -d' ' -f1)
fetch "$EXTRA_API/bench/extra/resolve/main/weights/model.safetensors" -L
expect_status 200 "extra file"
[[ $(sha256sum "$WORK/body" | cut -d' ' -f1) == "$EXTRA_SHA" ]] || fail "extra file bytes"
fetch "$EXTRA_API/bench/extra/resolve/main/weights/model.safetensors" -L -H 'Range: bytes=1000-1999'
expect_status 206 "extra file range"
cmp -s "$WORK/body" <(tail -c +1001 "$WORK/extra.bin" | head -c 1000) || fail "extra file range bytes"
fetch "$EXTRA_API/api/models/bench/extra/tree/main/weights"
jq -e --arg sha "$EXTRA_SHA" '.[0].lfs.oid == $sha and .[0].size == 300000' "$WORK/body" >/dev/null ||
  fail "extra file tree entry"
"$BIN" --listen 127.0.0.1:0 --cdn-listen 127.0.0.1:0 --extra-file "bench/x:a.bin:$WORK/missing" \
  >/dev/null 2>&1 && fail "missing extra file accepted"
pass "extra files"

# --- Clean shutdown on SIGTERM ----------------------------------------------
kill -TERM "$HUB_PID"
for _ in $(seq 100); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$HUB_PID" 2>/dev/null && fail "still running 10 s after SIGTERM"
wait "$HUB_PID" || fail "exit status $? after SIGTERM"
pass "SIGTERM"
echo "fakehub smoke test passed"
