#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang 14, ASan+UBSan), replays the inputs of
# past crashes (fuzz/regressions/<target>/), then runs every target for SECONDS (default 30) on
# its seed corpus fuzz/corpus/<target minus "fuzz_">/ (with fuzz/dict/<same>.dict if there is
# one), at most nproc targets at a time so that each has a core for its whole budget. Prints how
# many inputs each target executed; exits non-zero if a regression input fails or a target
# crashed, hit a sanitizer report, a timeout or the memory limit (the input is kept in
# build/fuzz/artifacts/<target>/, the log in build/fuzz/logs/). New inputs found go to
# build/fuzz/corpus/, never into the committed seeds. docs/fuzzing.md has the details.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]   e.g. scripts/fuzz.sh 300 fuzz_node
#   scripts/fuzz.sh --regen-corpus          rewrites the generated seeds (fuzz/make_corpus.cc)
set -euo pipefail
cd "$(dirname "$0")/.."
all=(fuzz_frame_reader fuzz_messages fuzz_consumer_messages fuzz_node fuzz_control_request
  fuzz_control_response fuzz_config fuzz_lease fuzz_tcp_snapshot)
build=build/fuzz
# Every run: a bounded input size, and a slow input (10 s) or 2 GiB of memory is a failure.
common=(-timeout=10 -rss_limit_mb=2048 -max_len=16384)
# Per target: hasyncctl prints every answer it gets (libFuzzer still shows its own report).
declare -A extra=([fuzz_control_response]="-close_fd_mask=3")

cmake --preset fuzz >/dev/null
cmake --build "$build" --target "${all[@]}" fuzz_make_corpus -j"$(nproc)" >/dev/null

if [ "${1:-}" = "--regen-corpus" ]; then
  "$build/fuzz/fuzz_make_corpus" fuzz/corpus
  exit 0
fi
seconds="${1:-30}"
targets=("${all[@]}")
if [ $# -gt 1 ]; then targets=("${@:2}"); fi
mkdir -p "$build/logs"

failed=0
for t in "${targets[@]}"; do
  for input in fuzz/regressions/"$t"/*; do
    [ -f "$input" ] || continue
    log="$build/logs/$t.regression.$(basename "$input").log"
    # shellcheck disable=SC2086  # extra flags are words
    if ! "$build/fuzz/$t" "${common[@]}" ${extra[$t]:-} "$input" >"$log" 2>&1; then
      failed=1
      echo "$t: regression input $input fails; log: $log"
      grep -aE "^==[0-9]+==ERROR|runtime error|check failed" "$log" | head -3
    fi
  done
done

# Runs targets $@ side by side and reports each.
run_batch() {
  local pids=() i t name rc execs dict
  for t in "$@"; do
    name="${t#fuzz_}"
    mkdir -p "$build/corpus/$name" "$build/artifacts/$t"
    dict=()
    if [ -f "fuzz/dict/$name.dict" ]; then dict=(-dict="fuzz/dict/$name.dict"); fi
    # shellcheck disable=SC2086
    "$build/fuzz/$t" "${common[@]}" ${extra[$t]:-} "${dict[@]}" -max_total_time="$seconds" \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
      "$build/corpus/$name" "fuzz/corpus/$name" >"$build/logs/$t.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    t="${*:i+1:1}"
    rc=0
    wait "${pids[$i]}" || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -1)
    if [ "$rc" -ne 0 ]; then
      failed=1
      echo "$t: FAILED (exit $rc) after ${execs:-?} executions; log: $build/logs/$t.log"
      grep -aE "^==[0-9]+==ERROR|runtime error|check failed|deadly signal|Test unit written" \
        "$build/logs/$t.log" | head -5
    else
      echo "$t: ${execs:-?} executions in ${seconds}s, no crash"
    fi
  done
}

parallel=$(nproc)
for ((i = 0; i < ${#targets[@]}; i += parallel)); do
  run_batch "${targets[@]:i:parallel}"
done
exit "$failed"
