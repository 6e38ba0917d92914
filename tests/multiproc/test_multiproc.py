#!/usr/bin/env python3
"""Multi-process tests: real hasyncd processes, real sockets, real partitions.

    python3 tests/multiproc/test_multiproc.py BUILD_DIR [TEST_NAME ...]

Each test is a function named after the behaviour it checks. The runner prints indented
measurements while a test runs, then one line per test (`PASS name (3.2 s)` or
`FAIL name: reason`), and finally `multiproc: N passed, M failed`; it exits 1 on any failure.
The logs of a failed test are kept under BUILD_DIR/multiproc-logs/<test>/.

Nothing is skipped: the namespace tests fail with the reason when they cannot run (not root, no
`ip netns`, no nft). No test fails on a timing; timings are measured and printed. The waits
below are generous limits that only stop a test that would otherwise hang.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hasync_harness import Cluster, HarnessError, Writer  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def info(msg: str) -> None:
    print(f"    {msg}", flush=True)


def expect(cond, msg: str) -> None:
    if not cond:
        raise HarnessError(msg)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def expect_same_data(a, b, what: str) -> tuple[dict, dict]:
    """Both nodes quiet and equal: same record count and digest. Returns their statuses."""
    sa, sb = a.status(), b.status()
    info(f"{what}: node{a.node_id} records={sa['records']} digest={sa['digest']} | "
         f"node{b.node_id} records={sb['records']} digest={sb['digest']}")
    expect(sa["records"] == sb["records"],
           f"{what}: record counts differ: node{a.node_id} {sa['records']}, "
           f"node{b.node_id} {sb['records']}")
    expect(sa["digest"] == sb["digest"],
           f"{what}: digests differ: node{a.node_id} {sa['digest']}, "
           f"node{b.node_id} {sb['digest']}")
    return sa, sb


def check_present(node, table: str, expected: dict[str, str], what: str,
                  use_dump: bool = False) -> None:
    """Every key of `expected` is on `node` with its value.

    use_dump: one `dump` instead of one `get` per key; only for a node without a connected
    peer (a dump of a large table blocks the daemon long enough to miss heartbeats).
    """
    if use_dump:
        have = node.dump(table)
    else:
        have = {}
        for k in expected:
            r = node.get(table, k)
            if r.rc == 0:
                have[k] = r.out.rstrip("\n")
    missing = [k for k in expected if k not in have]
    wrong = [k for k in expected if k in have and have[k] != expected[k]]
    expect(not missing, f"{what}: {len(missing)} of {len(expected)} keys missing on "
                        f"node{node.node_id}, e.g. {missing[:5]}")
    expect(not wrong, f"{what}: {len(wrong)} keys have the wrong value on node{node.node_id}, "
                      f"e.g. {wrong[0]!r}: {have[wrong[0]]!r} != {expected[wrong[0]]!r}"
           if wrong else "")


def check_absent(node, table: str, keys: list[str], what: str) -> None:
    back = [k for k in keys if node.get(table, k).rc == 0]
    expect(not back, f"{what}: {len(back)} deleted keys are on node{node.node_id}, "
                     f"e.g. {back[:3]}")


class Loader:
    """Background `load` calls of a few records each, with fresh prefixes, until stopped."""

    def __init__(self, node, table: str, prefix: str, count: int = 1000, value_size: int = 64,
                 pause: float = 0.02):
        self.node, self.table, self.prefix = node, table, prefix
        self.count, self.value_size, self.pause = count, value_size, pause
        self.loaded = 0
        self.batches_ok = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        i = 0
        while not self._stop.is_set():
            r = self.node.ctl("load", self.table, "--count", str(self.count), "--value-size",
                              str(self.value_size), "--prefix", f"{self.prefix}{i}-")
            i += 1
            if r.rc == 0:
                self.loaded += self.count
                self.batches_ok += 1
            elif len(self.errors) < 3:
                self.errors.append(f"rc={r.rc} {r.message[:200]}")
            self._stop.wait(self.pause)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=120)
        return self


def start_pair(a, b, records: int = 0, value_size: int = 100) -> None:
    """a becomes active (alone), optionally loaded, then b joins and is brought in sync."""
    a.start()
    a.wait_role("active")
    if records:
        a.load("sessions", records, value_size, prefix="base-")
    b.start()
    b.wait_role("standby")
    a.wait_peer_in_sync()


# --------------------------------------------------------------------------------------------


@test
def bulk_sync_of_200k_while_writes_continue(build):
    with Cluster(build, "bulk") as c:
        # 100k records/s: the bulk sync of 200k lasts about 2 s, so the writes below overlap it
        # whatever the speed of the machine.
        a, b = c.loopback_pair(bulk_rate=100000)
        a.start()
        a.wait_role("active")
        t = time.monotonic()
        a.load("sessions", 200000, 200, prefix="s-")
        info(f"loaded 200000 records (200-byte values) on the active in {ms(time.monotonic() - t)}")
        expect(a.status()["records"] == 200000, "the active does not hold the 200000 loaded records")

        writer = Writer(a, "sessions", "live-", replicated=False).start()
        churn: dict[str, str | None] = {}  # key -> value, or None once deleted
        churn_stop = threading.Event()

        def churner_run():  # inserts, overwrites and deletes, also of records being bulk-sent
            i = 0
            while not churn_stop.is_set():
                k = f"s-{random.randrange(200000)}" if i % 2 else f"churn-{i}"
                if a.put("sessions", k, f"updated-{i}").rc == 0:
                    churn[k] = f"updated-{i}"
                if i % 3 == 0:
                    live = [x for x, v in churn.items() if v is not None]
                    victim = random.choice(live) if live else f"s-{random.randrange(200000)}"
                    if a.ctl("del", "sessions", victim).rc == 0:
                        churn[victim] = None
                i += 1

        churner = threading.Thread(target=churner_run, daemon=True)
        churner.start()
        loader = Loader(a, "sessions", "burst", count=500, value_size=64, pause=0.1).start()
        time.sleep(0.2)

        t_join = time.monotonic()
        b.start()
        writes_during_bulk = None
        seen_receiving = False
        last_print = 0.0
        deadline = time.monotonic() + 120
        while True:
            sb = b.status()
            now = time.monotonic()
            receiving = sb.get("sync") == "bulk_receiving"
            if receiving and not seen_receiving:
                seen_receiving, first_writes = True, len(writer.acked) + loader.loaded
            if receiving:
                writes_during_bulk = len(writer.acked) + loader.loaded - first_writes
            if now - last_print > 0.5:
                p = sb.get("sync_progress") or {}
                info(f"standby t+{now - t_join:4.1f}s role={sb.get('role')} sync={sb.get('sync')} "
                     f"progress={p.get('done')}/{p.get('total')} records={sb.get('records')}")
                last_print = now
            sa = a.status()
            if seen_receiving and sb.get("sync") == "idle" and sa["peer"].get("in_sync"):
                break
            expect(now < deadline, f"standby not in sync 120 s after joining: {sb}")
            time.sleep(0.05)
        info(f"bulk sync done {ms(time.monotonic() - t_join)} after the standby started; "
             f"{writes_during_bulk} writes acknowledged while it was receiving")
        expect(writes_during_bulk and writes_during_bulk > 0,
               "no write overlapped the bulk sync: the test did not test what it claims")
        time.sleep(0.3)  # writes keep going a little after the bulk sync, as incremental updates
        loader.stop()
        churn_stop.set()
        churner.join(timeout=60)
        writer.stop()
        expect(not writer.failed, f"{writer.failed} async puts to the active failed: "
                                  f"{writer.errors}")
        expect(not loader.errors, f"loads on the active failed: {loader.errors}")
        dels = [k for k, v in churn.items() if v is None]
        info(f"writes during the test: {len(writer.acked)} puts, {loader.loaded} loaded, "
             f"{len(churn)} keys inserted/overwritten/deleted ({len(dels)} deleted)")

        a.wait_peer_in_sync()
        sa, _ = expect_same_data(a, b, "after the bulk sync")
        for n in (a, b):
            lost = n.counter("hasync_channels_lost_total")
            expect(lost == 0, f"node{n.node_id} lost the sync channel {lost} times during the test")
        bulks = a.counter("hasync_bulk_syncs_started_total")
        expect(bulks == 1, f"the active ran {bulks} bulk syncs; one was enough")
        churn_new = sum(1 for k, v in churn.items() if k.startswith("churn-") and v is not None)
        base_gone = sum(1 for k, v in churn.items() if k.startswith("s-") and v is None)
        expected = 200000 + len(writer.acked) + loader.loaded + churn_new - base_gone
        expect(sa["records"] == expected,
               f"the active holds {sa['records']} records, expected {expected} (200000 + "
               f"{len(writer.acked)} puts + {loader.loaded} loaded + {churn_new} inserted - "
               f"{base_gone} deleted)")
        sample = dict(random.sample(sorted(writer.acked.items()), min(200, len(writer.acked))))
        sample.update({k: v for k, v in churn.items() if v is not None})
        check_present(b, "sessions", sample, "writes made during the bulk sync")
        check_absent(b, "sessions", dels, "deletes made during the bulk sync")


@test
def planned_switchover(build):
    with Cluster(build, "switchover") as c:
        a, b = c.loopback_pair()
        start_pair(a, b, records=20000)
        d0 = a.digest()
        t = time.monotonic()
        r = a.ctl("switchover")
        expect(r.rc == 0, f"switchover refused (rc={r.rc}): {r.message}")
        _, tb = b.wait_role("active")
        _, ta = a.wait_role("standby")
        info(f"switchover: node2 active {ms(tb - t)} after the request, node1 standby after "
             f"{ms(ta - t)}")
        expect(b.digest() == d0, "the new active's digest differs from the old active's")
        expect(a.status()["role"] == "standby" and b.status()["role"] == "active",
               "roles changed again after the switchover")

        acked = {}
        for i in range(50):
            k, v = f"after-{i}", f"value-{i}"
            b.put("sessions", k, v, replicated=True).ok()
            acked[k] = v
        b.load("sessions", 5000, 100, prefix="post-")
        r = a.put("sessions", "to-old-active", "x")
        expect(r.rc == 1, f"a put to the old active (now standby) returned {r.rc}: {r.message}")
        b.wait_peer_in_sync()
        expect_same_data(a, b, "after the switchover")
        expect(b.status()["records"] == 20000 + 50 + 5000, "the new active's record count is off")
        check_present(a, "sessions", acked, "replicated writes to the new active")


@test
def kill9_active_during_incremental_load_loses_no_replicated_write(build):
    with Cluster(build, "kill9", netns=True) as c:
        a, b = c.netns_pair()  # defaults: heartbeat 50 ms, dead after 3 missed
        start_pair(a, b, records=20000)
        writers = [Writer(a, "sessions", f"w{i}-", replicated=True).start() for i in range(2)]
        loader = Loader(a, "sessions", "inc", count=500, value_size=200).start()
        time.sleep(1.5)
        acked_before_cut = sum(len(w.acked) for w in writers)
        expect(acked_before_cut > 0, f"no replicated put succeeded before the cut: "
                                     f"{[w.errors for w in writers]}")
        c.net.cut("a")          # the host dies: its kernel says nothing more on the wire
        t_kill = a.kill9()
        _, t_active = b.wait_role("active", timeout=30, poll=0.005)
        for w in writers:
            w.stop()
        loader.stop()
        acked = {}
        for w in writers:
            acked.update(w.acked)
        info(f"failover: kill -9 -> standby active in {ms(t_active - t_kill)} "
             f"(peer dead after 3 x 50 ms heartbeats; status polled every ~5 ms)")
        info(f"survivor's log: {b.last_log_line('-> active')}")
        expect(b.counter("hasync_peer_timeouts_total") == 1,
               "the survivor did not detect the failure by heartbeat timeout: the cut did not "
               "keep the dead node's kernel from closing the connection")
        info(f"replicated puts acknowledged: {len(acked)} ({acked_before_cut} before the cut); "
             f"failed or cut off: {sum(w.failed for w in writers)}; "
             f"async records loaded meanwhile: {loader.loaded}")
        check_present(b, "sessions", acked, "acknowledged replicated writes", use_dump=True)
        sb = b.status()
        expect(sb["peer"]["state"] == "down", f"the survivor still sees its peer up: {sb['peer']}")
        # The survivor serves writes at once.
        b.put("sessions", "after-failover", "ok", replicated=False).ok()
        info(f"survivor holds {sb['records']} records; all {len(acked)} acknowledged keys present")


@test
def killed_node_restarts_as_standby_and_is_bulk_synced(build):
    with Cluster(build, "restart", netns=True) as c:
        # node1 outranks node2: after its restart it must still join as standby (no preemption).
        a, b = c.netns_pair()
        start_pair(a, b, records=50000)
        pre = {f"pre-{i}": f"v{i}" for i in range(60)}
        for k, v in pre.items():
            a.put("sessions", k, v, replicated=True).ok()
        c.net.cut("a")
        t_kill = a.kill9()
        _, t_active = b.wait_role("active", timeout=30, poll=0.005)
        info(f"failover: kill -9 -> standby active in {ms(t_active - t_kill)}")
        expect(b.counter("hasync_peer_timeouts_total") == 1,
               "the survivor did not detect the failure by heartbeat timeout")

        # The survivor moves on: new records, overwrites and deletes the dead node never saw.
        b.load("sessions", 30000, 150, prefix="after-")
        deleted = [f"pre-{i}" for i in range(0, 60, 2)]
        for k in deleted:
            b.ctl("del", "sessions", k).ok()
        changed = {f"pre-{i}": f"changed-{i}" for i in range(1, 60, 4)}
        for k, v in changed.items():
            b.put("sessions", k, v).ok()

        c.net.restore("a")
        t_restart = time.monotonic()
        a.start()
        roles, progress = [], []
        deadline = time.monotonic() + 120
        while True:
            sa, sb = a.status(), b.status()
            if not roles or roles[-1] != sa["role"]:
                roles.append(sa["role"])
            p = sa.get("sync_progress") or {}
            if sa.get("sync") == "bulk_receiving" and len(progress) < 6:
                progress.append(f"{p.get('done')}/{p.get('total')}")
            expect(sb["role"] == "active", f"the survivor lost the active role: {sb}")
            expect(sa["role"] != "active", f"the restarted node became active (roles {roles})")
            if (sa["role"] == "standby" and sb["peer"].get("in_sync") and sb["sync"] == "idle"
                    and sa["sync"] == "idle"):
                break
            expect(time.monotonic() < deadline, f"restarted node not in sync after 120 s: {sa}")
            time.sleep(0.02)
        info(f"restarted node: roles {' -> '.join(roles)}, in sync "
             f"{ms(time.monotonic() - t_restart)} after restart; bulk progress seen: "
             f"{', '.join(progress) or '(finished between two polls)'}")
        b.wait_peer_in_sync()
        sa, sb = expect_same_data(a, b, "after the restart")
        expect(sa["records"] == 50000 + 60 + 30000 - len(deleted),
               f"record count {sa['records']}, expected {50000 + 60 + 30000 - len(deleted)}")
        check_absent(a, "sessions", deleted, "deleted while node1 was dead")
        check_present(a, "sessions", changed, "overwrites made while node1 was dead")


@test
def node_restarted_while_cut_off_never_wipes_the_survivor(build):
    # Regression: the killed node outranks the survivor and restarts while its link is still
    # cut, so it becomes active alone with an empty store. When the link returns, two actives
    # meet; the survivor holds the pair's history (higher GVN) and must keep the active role.
    with Cluster(build, "rewipe", netns=True) as c:
        a, b = c.netns_pair()
        start_pair(a, b, records=1000)
        acked = {f"acked-{i}": f"v{i}" for i in range(40)}
        for k, v in acked.items():
            a.put("sessions", k, v, replicated=True).ok()
        c.net.cut("a")
        a.kill9()
        b.wait_role("active", timeout=30, poll=0.005)
        b.load("sessions", 500, 100, prefix="after-")
        a.start()
        a.wait_role("active", timeout=30)
        expect(a.status()["records"] == 0, "the restarted node should start empty")
        c.net.restore("a")
        deadline = time.monotonic() + 60
        while True:
            sa, sb = a.status(), b.status()
            expect(sb["role"] == "active" or sb["peer"].get("state") != "up",
                   f"the survivor gave up the active role to the empty node: {sb}")
            if sa["role"] == "standby" and sb["peer"].get("in_sync") and sa["sync"] == "idle":
                break
            expect(time.monotonic() < deadline, f"no resolution after 60 s: {sa} / {sb}")
            time.sleep(0.02)
        sa, sb = expect_same_data(a, b, "after the link returned")
        expect(sb["records"] == 1000 + 40 + 500, f"survivor holds {sb['records']} records")
        check_present(a, "sessions", acked, "acknowledged replicated writes")
        info(f"two actives met; survivor (gvn {sb['gvn']}) kept the role, "
             f"{sb['records']} records on both")


@test
def write_to_standby_refused_naming_active(build):
    with Cluster(build, "refuse") as c:
        a, b = c.loopback_pair(ids=(7, 9), priorities=(200, 100))
        start_pair(a, b, records=100)
        for args in (["put", "sessions", "k", "v"], ["put", "sessions", "k", "v", "--replicated"],
                     ["del", "sessions", "base-1"]):
            r = b.ctl(*args)
            info(f"standby `{' '.join(args)}` -> exit {r.rc}: {r.message}")
            expect(r.rc == 1, f"`{' '.join(args)}` on the standby exited {r.rc}, expected 1")
            expect(re.search(r"\b7\b", r.message) and "active" in r.message.lower(),
                   f"the refusal does not name the active node 7: {r.message!r}")
        expect(a.get("sessions", "k").rc != 0, "the refused put reached the active")
        expect(b.get("sessions", "k").rc != 0, "the refused put is on the standby")
        expect(b.get("sessions", "base-1").rc == 0, "the refused delete removed the record")
        expect_same_data(a, b, "after the refused writes")


@test
def dump_of_200k_on_standby_keeps_the_pair_connected(build):
    # Regression: `dump` once copied and wrote a whole table in one turn of the daemon's event
    # loop; with 200k records that stalled heartbeats past the dead-peer timeout, so the active
    # dropped the standby, the standby promoted itself, and the pair re-ran a full bulk sync.
    with Cluster(build, "dump") as c:
        a, b = c.loopback_pair()
        start_pair(a, b, records=200000, value_size=200)
        for n in (b, a):
            t = time.monotonic()
            have = n.dump("sessions")
            info(f"dump of node{n.node_id}: {len(have)} records in {ms(time.monotonic() - t)}")
            expect(len(have) == 200000, f"the dump of node{n.node_id} has {len(have)} records")
        time.sleep(0.3)  # a dead-peer timeout (150 ms) caused by the dump would show by now
        for n in (a, b):
            lost = n.counter("hasync_channels_lost_total")
            expect(lost == 0, f"node{n.node_id} lost the sync channel {lost} times during dumps")
        expect(b.status()["role"] == "standby", "the standby changed role during the dumps")
        expect(a.counter("hasync_bulk_syncs_started_total") == 1, "the dumps caused a resync")


@test
def graceful_stop_hands_over(build):
    with Cluster(build, "graceful") as c:
        # A dead-peer timeout of 200 ms x 100 = 20 s: a takeover well before that came from the
        # hand-over, not from missed heartbeats.
        a, b = c.loopback_pair(heartbeat_interval_ms=200, dead_after_missed=100)
        start_pair(a, b, records=10000)
        acked = {}
        for i in range(30):
            a.put("sessions", f"r-{i}", f"v{i}", replicated=True).ok()
            acked[f"r-{i}"] = f"v{i}"
        a.wait_peer_in_sync()
        d0 = a.digest()
        t_term, rc = a.terminate()
        info(f"SIGTERM: node1 exited with {rc} after {ms(time.monotonic() - t_term)}")
        _, t_active = b.wait_role("active", timeout=15, poll=0.005)
        info(f"hand-over: SIGTERM -> standby active in {ms(t_active - t_term)} "
             f"(dead-peer timeout would be 20 s)")
        info(f"survivor's log: {b.last_log_line('-> active')}")
        expect(rc == 0, f"the active exited with {rc} on SIGTERM, expected 0; "
                        f"log: {a.log_tail(4)}")
        expect(b.digest() == d0, "the new active's digest differs from the stopped active's")
        check_present(b, "sessions", acked, "replicated writes before the stop")
        b.put("sessions", "after-stop", "ok").ok()


# --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    build = os.path.abspath(argv[1])
    wanted = argv[2:]
    unknown = [w for w in wanted if w not in {t.__name__ for t in TESTS}]
    if unknown:
        print(f"unknown test(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    passed = failed = 0
    for fn in TESTS:
        if wanted and fn.__name__ not in wanted:
            continue
        name = fn.__name__
        logs = os.path.join(build, "multiproc-logs", name)
        shutil.rmtree(logs, ignore_errors=True)
        Cluster.failure_log_dir = logs
        t = time.monotonic()
        try:
            fn(build)
        except (KeyboardInterrupt, SystemExit):  # interrupted (signal, run_all.sh timeout)
            failed += 1
            print(f"FAIL {name}: interrupted", flush=True)
            print(f"multiproc: {passed} passed, {failed} failed", flush=True)
            raise
        except Exception as e:  # noqa: BLE001 - any failure of a test is reported, not raised
            failed += 1
            reason = str(e) if isinstance(e, HarnessError) else \
                f"{type(e).__name__}: {e} at {traceback.extract_tb(e.__traceback__)[-1].lineno}"
            if os.path.isdir(logs):
                reason += f" (logs: {logs})"
            print(f"FAIL {name}: {reason}", flush=True)
            if os.environ.get("HASYNC_MP_TRACE"):
                traceback.print_exc()
        else:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t:.1f} s)", flush=True)
    print(f"multiproc: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
