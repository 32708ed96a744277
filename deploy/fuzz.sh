#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz into build-fuzz/ (clang 14,
# ASan/UBSan) and runs each for SECONDS (default 30), two at a time, each on a
# temporary copy of its seed corpus (nothing is written into the repository).
# Fails on any crash, leak, timeout or out-of-memory; the input that did it is
# kept in build-fuzz/artifacts/<target>/. Ends with a table of executions and
# coverage per target. docs/design/0040-fuzzing.md says how to run one by hand.
#   deploy/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(http_bodies sync_decode entry_parse bundle cccd_qr catalogue sync_client)
fi
cxx=${MOTCUA_FUZZ_CXX:-clang++-14}
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
echo "== fuzz targets (build-fuzz/)"
# Debug keeps assertions on (nlohmann's included), at -O1 for speed.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DMOTCUA_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzzers

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/motcua-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

run_one() {
  local t=$1 dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/tmp" "$dir/artifacts"
  cp "$root/tests/fuzz/corpus/$t/"* "$dir/corpus/" 2>/dev/null || true
  local rc=0
  # TMPDIR: the targets' scratch nodes, removed with $work even after a crash.
  # -timeout: one input running 10 s is a failure (e.g. runaway CPU on one body).
  (cd "$dir" && TMPDIR="$dir/tmp" timeout -k 10 $((seconds + 180)) "$root/build-fuzz/fuzz/fuzz_$t" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -dict="$root/tests/fuzz/dict/json.dict" -artifact_prefix="$dir/artifacts/" corpus >"$dir/log" 2>&1) || rc=$?
  echo "$rc" >"$dir/rc"
}

running=0
for t in "${targets[@]}"; do
  [ -x "build-fuzz/fuzz/fuzz_$t" ] || { echo "fuzz.sh: no target fuzz_$t" >&2; exit 1; }
  echo "-- fuzz_$t: ${seconds} s"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge 2 ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
printf '\n%-14s %12s %9s %8s %9s %8s  %s\n' target executions exec/s cov features rss_mb result
for t in "${targets[@]}"; do
  dir="$work/$t"
  rc=$(cat "$dir/rc" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" != 0 ]; then
    failed=1
    result="FAILED (exit $rc)"
    mkdir -p "build-fuzz/artifacts/$t"
    cp "$dir/artifacts/"* "build-fuzz/artifacts/$t/" 2>/dev/null || true
    cp "$dir/log" "build-fuzz/artifacts/$t/log"
  fi
  printf '%-14s %12s %9s %8s %9s %8s  %s\n' "fuzz_$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "${rss:-?}" "$result"
done
if [ "$failed" != 0 ]; then
  for t in "${targets[@]}"; do
    [ "$(cat "$work/$t/rc" 2>/dev/null || echo 99)" = 0 ] && continue
    echo
    echo "== fuzz_$t failed; the end of its log (whole log and input in build-fuzz/artifacts/$t/):"
    grep -v -E '^#[0-9]+|NEW_FUNC' "$work/$t/log" | tail -40
    echo "Replay: build-fuzz/fuzz/fuzz_$t build-fuzz/artifacts/$t/<crash-file>"
  done
  exit 1
fi
