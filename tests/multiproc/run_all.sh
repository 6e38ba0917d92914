#!/usr/bin/env bash
# Runs every multi-process test (real hasyncd processes; network namespaces and nftables for the
# failure tests, so run it as root) against the binaries of one build directory.
#
#   tests/multiproc/run_all.sh BUILD_DIR [TEST_NAME ...]
#
# Prints one line per test (`PASS name (3.2 s)` / `FAIL name: reason`) with indented
# measurements above it, then `multiproc: N passed, M failed`. Exits non-zero on any failure.
# Logs of failed tests are kept in BUILD_DIR/multiproc-logs/.
#
# HASYNC_MP_TLS=cert (or psk) runs every cluster a test does not configure otherwise with its
# sync channel over TLS (test_hostile.py's tests choose their own mode). The hostile-input tests
# need BUILD_DIR/tests/multiproc/hasync_hostile_peer and the consumer tests
# BUILD_DIR/tests/multiproc/hasync_consumer_swarm (both built with the tests).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [TEST_NAME ...]" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
build="$1"
shift
for bin in hasyncd hasyncctl; do
  if [ ! -x "$build/src/$bin" ]; then
    echo "FAIL setup: $build/src/$bin not found; build it first"
    echo "multiproc: 0 passed, 1 failed"
    exit 1
  fi
done
# The suite takes about 1.5 min (release build); a hang is cut off rather than waited for.
exec timeout --signal=TERM --kill-after=30 "${HASYNC_MP_TIMEOUT:-600}" \
  python3 -u -B "$here/test_multiproc.py" "$build" "$@"
