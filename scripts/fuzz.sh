#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang 14, ASan+UBSan) and runs every target
# for SECONDS (default 30), all at once, each on its seed corpus fuzz/corpus/<target minus
# "fuzz_">/. Prints how many inputs each target executed; exits non-zero if any target crashed,
# hit a sanitizer report or a timeout (the input is kept in build/fuzz/artifacts/<target>/).
# New inputs found go to build/fuzz/corpus/, never into the committed seeds.
#
#   scripts/fuzz.sh [SECONDS]
#   scripts/fuzz.sh --regen-corpus     rewrites the seed corpora (fuzz/make_corpus.cc)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(fuzz_frame_reader fuzz_messages fuzz_control_request fuzz_config)
build=build/fuzz

cmake --preset fuzz >/dev/null
cmake --build "$build" --target "${targets[@]}" fuzz_make_corpus >/dev/null

if [ "${1:-}" = "--regen-corpus" ]; then
  "$build/fuzz/fuzz_make_corpus" fuzz/corpus
  exit 0
fi
seconds="${1:-30}"

pids=()
for t in "${targets[@]}"; do
  name="${t#fuzz_}"
  mkdir -p "$build/corpus/$name" "$build/artifacts/$t" "$build/logs"
  "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -max_len=16384 \
    -artifact_prefix="$build/artifacts/$t/" "$build/corpus/$name" "fuzz/corpus/$name" \
    >"$build/logs/$t.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  rc=0
  wait "${pids[$i]}" || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "$t: FAILED (exit $rc) after ${execs:-?} executions; log: $build/logs/$t.log"
    grep -E "^==[0-9]+==ERROR|runtime error|deadly signal|Test unit written" "$build/logs/$t.log" | head -5
  else
    echo "$t: ${execs:-?} executions in ${seconds}s, no crash"
  fi
done
exit "$failed"
