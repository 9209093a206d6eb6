#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan+UBSan) into ./build-fuzz and runs
# each for SECONDS (default 60), starting from the seed corpus in fuzz/corpus.
# Usage: scripts/fuzz.sh [SECONDS]. A crash stops the run and leaves the
# reproducer (crash-*) in build-fuzz/; rerun it with: build-fuzz/fuzz/NAME FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

if ! command -v clang++ >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-14-dev
fi

harnesses=(request_head hub_route byte_range repo_key upstream_json link_header xorb xet_plan bundle_manifest shard)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DHUBMIRROR_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${harnesses[@]/#/fuzz_}"

failed=0
for name in "${harnesses[@]}"; do
  mkdir -p "build-fuzz/corpus/$name"
  log=build-fuzz/fuzz_$name.log
  echo "== fuzz_$name for ${seconds}s"
  if (cd build-fuzz && "fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=5 \
      -rss_limit_mb=2048 -print_final_stats=1 "corpus/$name" "../fuzz/corpus/$name") >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units" "$log" || true
  else
    echo "fuzz_$name FOUND A PROBLEM (reproducer: build-fuzz/crash-*):"
    tail -n 40 "$log"
    failed=1
  fi
done
exit $failed
