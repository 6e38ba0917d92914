#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, and runs every test hasync has:
# unit tests, the deterministic simulation suite, the multi-process tests with real hasyncd
# processes, the whole unit and simulation suite again under ASan+UBSan (built with clang, so
# both compilers build warning-free with -Werror), the threaded embedding library's tests under
# TSan, and a short run of every fuzz target (scripts/fuzz.sh).
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    release build, unit and simulation tests only
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

step() { printf '\n==> %s\n' "$*"; }

# Tests that need root (TCP_REPAIR in a namespace of their own) skip when run without it; run
# as root, as CI is, they must not.
if [ "$(id -u)" = 0 ]; then export HASYNC_REQUIRE_PRIVILEGED=1; fi

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
# The failover tests again, every pair's sync channel over mutual TLS (certificates of a lab CA
# made by scripts/hasync-certs): a TLS pair must fail over as a plain one does.
mp_failover_tests=(
  bulk_sync_of_200k_while_writes_continue planned_switchover
  kill9_active_during_incremental_load_loses_no_replicated_write
  killed_node_restarts_as_standby_and_is_bulk_synced
  node_restarted_while_cut_off_never_wipes_the_survivor graceful_stop_hands_over
  switchover_during_rate_limited_bulk_sync_reconciles_the_rest
  switchovers_during_reconciliation_converge link_cut_during_reconciliation_loses_nothing
  split_brain_heals_to_the_merged_set
  consumers_converge_after_kill9_with_updates_in_flight
  consumers_resume_without_replay_after_switchover
)
if python3 -c 'import sys; sys.path.insert(0, "tests/multiproc")
from hasync_harness import tls_supported
sys.exit(0 if tls_supported("build/release/src/hasyncd") else 1)'; then
  step "multi-process failover tests over TLS"
  HASYNC_MP_TLS=cert tests/multiproc/run_all.sh build/release "${mp_failover_tests[@]}"
else
  echo "NOTE: this hasyncd has no [tls] section: the failover tests over TLS did not run"
fi

step "ASan + UBSan build (clang 14) and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
ctest --test-dir build/asan --output-on-failure -j"$jobs" -LE sim_ci

step "TSan build (clang 14) and the net tests"
# hasyncd is single-threaded, but hasync::Replica runs its event loop on a thread of its own and
# is called from the application's threads: its tests (and the links under them) run under TSan.
# ctest adds the tls_certs fixture they need.
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target net_tests -j"$jobs"
suites=$(build/tsan/tests/net_tests --gtest_list_tests | sed -n 's/^\([A-Za-z0-9_]*\)\.$/\1/p' |
  paste -sd'|')
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build/tsan -R "^($suites)\\." --output-on-failure -j"$jobs"

step "fuzz targets (short run)"
scripts/fuzz.sh "${HASYNC_FUZZ_SECONDS:-20}"

step "all tests passed"
