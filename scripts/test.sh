#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, and runs every test hasync has:
# unit tests, the deterministic simulation suite, the multi-process tests with real hasyncd
# processes, the whole unit and simulation suite again under ASan+UBSan (built with clang, so
# both compilers build warning-free with -Werror), and a short run of every fuzz target.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    release build, unit and simulation tests only
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

step() { printf '\n==> %s\n' "$*"; }

step "installing Debian packages"
scripts/install-deps.sh

step "release build (g++)"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"

step "unit and simulation tests"
ctest --test-dir build/release --output-on-failure -j"$jobs"
# The simulator's summaries (seeds, steps, faults, failures) for its smoke and CI runs, which
# ctest keeps quiet. (The sim_break_* runs fail seeds on purpose; they are left out here.)
awk '/^[0-9]+\/[0-9]+ Test: / { test = $3 }
     /^sim: [0-9]+ seeds/ && (test == "sim_smoke" || test == "sim_ci") { print test ": " $0 }' \
  build/release/Testing/Temporary/LastTest.log

[ "$quick" = 1 ] && exit 0

step "multi-process tests (real hasyncd processes)"
tests/multiproc/run_all.sh build/release

step "ASan + UBSan build (clang 14) and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
ctest --test-dir build/asan --output-on-failure -j"$jobs" -LE sim_ci

step "fuzz targets (short run)"
scripts/fuzz.sh "${HASYNC_FUZZ_SECONDS:-20}"

step "all tests passed"
