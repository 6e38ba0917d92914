#!/usr/bin/env python3
"""Multi-process tests: real hasyncd processes, real sockets, real partitions.

    python3 tests/multiproc/test_multiproc.py BUILD_DIR [TEST_NAME ...]

Each test is a function named after the behaviour it checks. The runner prints indented
measurements while a test runs, then one line per test (`PASS name (3.2 s)` or
`FAIL name: reason`), and finally `multiproc: N passed, M failed`; it exits 1 on any failure.
The logs of a failed test are kept under BUILD_DIR/multiproc-logs/<test>/.

The hostile-input tests (issue 4) live in test_hostile.py, the address-pool tests (issue 5) in
test_pools.py and the consumer tests (issue 6) in test_consumers.py; they run here after the
others.
HASYNC_MP_TLS=cert|psk runs the pairs of the tests below over TLS (see hasync_harness.Cluster).

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
from hasync_harness import (Cluster, Control, HarnessError, Writer, cli_has_option,  # noqa: E402
                            expect, hasyncd_accepts, info)

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


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
    # meet: a split-brain. By the rule (priority first) the restarted node keeps the active
    # role, and the survivor yields: it reconciles every record it holds into the restarted
    # node, which then bulk-syncs back. Nothing the survivor held may be lost.
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
        d_survivor = b.digest()
        a.start()
        a.wait_role("active", timeout=30)
        expect(a.status()["records"] == 0, "the restarted node should start empty")
        c.net.restore("a")
        wait_converged(a, b, "after the link returned", timeout=60)
        sa, sb = expect_same_data(a, b, "after the link returned")
        expect(sa["records"] == 1000 + 40 + 500, f"the pair holds {sa['records']} records, "
                                                 f"expected the survivor's {1000 + 40 + 500}")
        expect(sa["digest"] == d_survivor, f"digest {sa['digest']} is not the survivor's "
                                           f"{d_survivor}: its records were not kept as they were")
        check_present(a, "sessions", acked, "acknowledged replicated writes")
        expect_roles_stay(a, b, "after the link returned")
        info(f"two actives met; the survivor (gvn {sb['gvn']}) reconciled into node1 (priority "
             f"200), {sb['records']} records on both: "
             f"{reconcile_log_lines(a)[-1:]}")


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


# --- reconciliation (issue 3): switchover during a sync, flips during reconciliation, split-brain


def sync_progress(st: dict) -> tuple[int, int]:
    p = st.get("sync_progress") or {}
    return int(p.get("done") or 0), int(p.get("total") or 0)


class Watch:
    """A background thread polling the status of some nodes, recording each change of
    (role, sync, peer state) with its time, to show what the pair went through."""

    def __init__(self, *nodes, poll: float = 0.02):
        self.nodes, self.poll = nodes, poll
        self.t0 = time.monotonic()
        self.changes: dict[int, list[str]] = {n.node_id: [] for n in nodes}
        self.seen: dict[int, set[str]] = {n.node_id: set() for n in nodes}
        self.max_progress: dict[int, tuple[int, int]] = {}
        self._last: dict[int, tuple] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Watch":
        self._thread.start()
        return self

    def _run(self) -> None:
        conns = {n.node_id: Control(n.control, timeout=10) for n in self.nodes}
        while not self._stop.is_set():
            self._poll(conns)
            self._stop.wait(self.poll)
        self._poll(conns)  # the state the pair was left in
        for c in conns.values():
            c.close()

    def _poll(self, conns) -> None:
        for n in self.nodes:
            if not n.running():
                continue
            try:
                st = conns[n.node_id].call("status")
            except HarnessError:
                continue
            key = (st.get("role"), st.get("sync"), (st.get("peer") or {}).get("state"))
            self.seen[n.node_id].add(f"{key[0]}/{key[1]}")
            if st.get("sync") == "reconciling":
                done, total = sync_progress(st)
                old = self.max_progress.get(n.node_id, (0, 0))
                self.max_progress[n.node_id] = (max(done, old[0]), max(total, old[1]))
            if self._last.get(n.node_id) != key:
                self._last[n.node_id] = key
                done, total = sync_progress(st)
                prog = f" {done}/{total}" if key[1] != "idle" else ""
                self.changes[n.node_id].append(
                    f"+{time.monotonic() - self.t0:.2f}s {key[0]}/{key[1]}{prog} peer={key[2]}")

    def saw(self, node, role_sync: str) -> bool:
        return role_sync in self.seen[node.node_id]

    def stop(self) -> "Watch":
        self._stop.set()
        self._thread.join(timeout=30)
        return self

    def report(self) -> None:
        for node_id, changes in self.changes.items():
            info(f"node{node_id} went through: " + " -> ".join(changes[:14])
                 + (" ..." if len(changes) > 14 else ""))


def wait_bulk_fraction(active, lo: float, hi: float, timeout: float = 60) -> tuple[int, int]:
    """Polls the active until its bulk sync has sent at least `lo` of its records; fails if the
    first reading at or past `lo` is already past `hi` (the window was missed)."""
    deadline = time.monotonic() + timeout
    while True:
        st = active.status()
        done, total = sync_progress(st)
        if st.get("sync") == "bulk_sending" and total > 0 and done >= lo * total:
            expect(done < hi * total, f"missed the window: the bulk sync was already at "
                                      f"{done}/{total} when first seen past {lo:.0%}")
            return done, total
        expect(time.monotonic() < deadline, f"node{active.node_id}'s bulk sync did not reach "
                                            f"{lo:.0%} within {timeout} s: {st}")
        time.sleep(0.01)


def switch_over(old, new, what: str) -> None:
    """`hasyncctl switchover` on `old` (active); waits until `new` is active and `old` standby."""
    t = time.monotonic()
    r = old.ctl("switchover", timeout=60)
    expect(r.rc == 0, f"{what}: switchover on node{old.node_id} refused (rc={r.rc}): "
                      f"{r.message}")
    _, tn = new.wait_role("active", timeout=30)
    _, to = old.wait_role("standby", timeout=30)
    info(f"{what}: node{new.node_id} active {ms(tn - t)}, node{old.node_id} standby "
         f"{ms(to - t)} after the request")


def wait_converged(active, standby, what: str, timeout: float = 120) -> None:
    """Until `active` is active with its peer up, in sync, nothing unacknowledged and no sync
    running on either side, and `standby` is standby."""
    deadline = time.monotonic() + timeout
    while True:
        sa, sb = active.status(), standby.status()
        p = sa.get("peer") or {}
        if (sa["role"] == "active" and sb["role"] == "standby" and p.get("state") == "up"
                and p.get("in_sync") is True and sa["sync"] == "idle" and sb["sync"] == "idle"
                and int(sa.get("unacked_bytes", 0)) == 0 and sa["digest"] == sb["digest"]):
            return
        if time.monotonic() > deadline:
            raise HarnessError(
                f"{what}: not converged after {timeout} s: node{active.node_id} "
                f"role={sa['role']} sync={sa['sync']} peer={p} records={sa['records']} "
                f"digest={sa['digest']} | node{standby.node_id} role={sb['role']} "
                f"sync={sb['sync']} records={sb['records']} digest={sb['digest']}; logs: "
                f"{active.log_tail(3)} || {standby.log_tail(3)}")
        time.sleep(0.05)


def expect_roles_stay(active, standby, what: str, checks: int = 6) -> None:
    """Exactly one active and one standby, and still so over a few polls."""
    for _ in range(checks):
        sa, sb = active.status(), standby.status()
        expect(sa["role"] == "active" and sb["role"] == "standby",
               f"{what}: roles node{active.node_id}={sa['role']} node{standby.node_id}="
               f"{sb['role']}, expected active/standby")
        time.sleep(0.05)


def expect_contents(node, table: str, expected: dict[str, str], what: str) -> None:
    """The whole table on `node` is exactly `expected` (one dump)."""
    have = node.dump(table)
    missing = [k for k in expected if k not in have]
    extra = [k for k in have if k not in expected]
    wrong = [k for k in expected if k in have and have[k] != expected[k]]
    expect(not missing, f"{what}: {len(missing)} of {len(expected)} records missing on "
                        f"node{node.node_id}, e.g. {sorted(missing)[:5]}")
    expect(not extra, f"{what}: {len(extra)} records on node{node.node_id} that should not be "
                      f"there, e.g. {sorted(extra)[:5]}")
    expect(not wrong, f"{what}: {len(wrong)} records with the wrong value on node{node.node_id}"
                      + (f", e.g. {wrong[0]!r}: {have[wrong[0]]!r}, expected "
                         f"{expected[wrong[0]]!r}" if wrong else ""))


def reconcile_log_lines(node) -> list[str]:
    """The node's log lines saying a reconciliation completed, without the date."""
    with open(node.log_path, errors="replace") as f:
        return [l.rstrip()[11:260] for l in f if re.search(r"reconciliation.* complete", l)]


def expect_no_channel_loss(*nodes) -> None:
    for n in nodes:
        lost = n.counter("hasync_channels_lost_total")
        expect(lost == 0, f"node{n.node_id} lost the sync channel {lost} times; log: "
                          f"{n.last_log_line('channel')}")


def intent_supported(cluster) -> bool:
    return cli_has_option(cluster.hasyncctl, ["put"], "--intent")


def reconcile_rate_option(cluster, rate: int) -> dict:
    """{"reconcile_rate": rate} if this hasyncd knows sync.reconcile_rate, else {} (and says so:
    the reconciliation is then paced by bulk_rate only, if at all)."""
    if hasyncd_accepts(cluster.hasyncd, "sync", "reconcile_rate", rate):
        return {"reconcile_rate": rate}
    info("NOTE: this hasyncd does not know sync.reconcile_rate; running without it")
    return {}


class Postponable:
    """One write in a background thread (e.g. an `allocate` put that reconciliation mode
    postpones); remembers its outcome and how long it took."""

    def __init__(self, fn):
        self.fn, self.result, self.seconds = fn, None, None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        t = time.monotonic()
        self.result = self.fn()
        self.seconds = time.monotonic() - t

    def start(self):
        self._thread.start()
        return self

    def join(self, timeout: float = 60):
        self._thread.join(timeout)
        expect(not self._thread.is_alive(), f"a postponed write did not return in {timeout} s")
        return self


@test
def switchover_during_rate_limited_bulk_sync_reconciles_the_rest(build):
    with Cluster(build, "so-bulk") as c:
        # 40k records/s: the bulk sync of 200k lasts about 5 s, so the switchover lands in its
        # middle; the reconciliation of the rest is not paced.
        a, b = c.loopback_pair(bulk_rate=40000)
        with_intent = intent_supported(c)
        a.start()
        a.wait_role("active")
        a.load("sessions", 200000, 100, prefix="base-")
        d0 = a.digest()

        watch = Watch(a, b).start()
        b.start()
        done, total = wait_bulk_fraction(a, 0.30, 0.70)
        info(f"bulk sync at {done}/{total} ({done / total:.0%}): switchover requested")
        switch_over(a, b, "switchover during the bulk sync")

        # The new active serves at once while the old one reconciles into it. The bulk sends
        # the oldest versions first, so base-199900.. have not reached node2 yet: written now,
        # they must win over the older copies the reconciliation brings. base-0.. have.
        # What the pair must end with, relative to the 200000 loaded records: key -> value,
        # or None for a deleted key.
        changes: dict[str, str | None] = {}
        overwritten = [f"base-{i}" for i in list(range(0, 100)) + list(range(199900, 200000))]
        deleted = [f"base-{i}" for i in range(100, 150)]
        t_writes = time.monotonic()
        b.apply("sessions", [("put", k, f"new-{k}") for k in overwritten]
                + [("del", k) for k in deleted])  # one connection, pipelined: a few ms
        changes.update({k: f"new-{k}" for k in overwritten})
        changes.update({k: None for k in deleted})
        info(f"{len(overwritten)} overwrites and {len(deleted)} deletes on the new active in "
             f"{ms(time.monotonic() - t_writes)}; old active's state then: "
             f"{a.status()['sync']}")
        writer = Writer(b, "sessions", "during-", replicated=False).start()
        allocs = []
        if with_intent:
            allocs = [Postponable(lambda i=i: b.put("sessions", f"alloc-{i}", f"a{i}",
                                                   intent="allocate", timeout=60)).start()
                      for i in range(5)]
            releases = [Postponable(lambda i=i: b.delete("sessions", f"base-{150 + i}",
                                                        intent="release")).start()
                        for i in range(5)]
        else:
            info("NOTE: `hasyncctl put` has no --intent here: postponed writes not exercised")
            releases = []
        b.wait_for("peer in sync after the reconciliation",
                   lambda s: (s.get("peer") or {}).get("in_sync") is True
                   and s.get("sync") == "idle", timeout=120, poll=0.05)
        writer.stop()
        for p in allocs + releases:
            p.join()
        expect(not writer.failed, f"{writer.failed} puts to the new active failed: "
                                  f"{writer.errors}")
        changes.update(writer.acked)
        for i, p in enumerate(allocs):
            expect(p.result.rc == 0, f"allocate put alloc-{i} failed: {p.result.message}")
            changes[f"alloc-{i}"] = f"a{i}"
        for i, p in enumerate(releases):
            expect(p.result.rc == 0, f"release del base-{150 + i} failed: {p.result.message}")
            changes[f"base-{150 + i}"] = None
        if allocs:
            info(f"allocate/release writes during the reconciliation returned after "
                 f"{', '.join(ms(p.seconds) for p in allocs + releases)}")
        wait_converged(b, a, "after the writes", timeout=60)
        watch.stop()
        watch.report()
        info(f"old active seen reconciling: {watch.saw(a, 'standby/reconciling')}"
             f" (max progress {watch.max_progress.get(a.node_id)})")
        for n in (a, b):  # the receiver's counts: 'kept' includes the overwritten keys that
            # the reconciliation brought older versions of
            info(f"node{n.node_id}'s log: {reconcile_log_lines(n)[-1:]}")
        _, sb = expect_same_data(a, b, "after the reconciliation")
        expect_roles_stay(b, a, "after the reconciliation")
        # A node of its own holds the expected set: the same 200000 generated records (the
        # generator is deterministic), then the changes. The pair must have its digest.
        ref = c.single_node()
        ref.start()
        ref.wait_role("active")
        ref.load("sessions", 200000, 100, prefix="base-")
        expect(ref.digest() == d0, f"the reference's 200000 records have digest {ref.digest()}, "
                                   f"the first active's had {d0}")
        ref.apply("sessions", [("put", k, v) if v is not None else ("del", k)
                               for k, v in changes.items()])
        sr = ref.status()
        info(f"expected set (a node of its own): records={sr['records']} digest={sr['digest']}")
        if (sr["records"], sr["digest"]) != (sb["records"], sb["digest"]):
            expected = ref.dump("sessions")  # only to say what differs
            expect_contents(b, "sessions", expected, "new active")
            expect_contents(a, "sessions", expected, "old active (standby)")
            raise HarnessError(f"the pair's digest {sb['digest']} ({sb['records']} records) is "
                               f"not the expected set's {sr['digest']} ({sr['records']})")
        info(f"all 200000 loaded records on both nodes (minus {len(deleted) + len(releases)} "
             f"deleted, {len(overwritten)} overwritten on the new active), plus "
             f"{len(writer.acked)} puts made during the reconciliation")
        expect_no_channel_loss(a, b)


@test
def switchovers_during_reconciliation_converge(build):
    with Cluster(build, "so-recon") as c:
        # The bulk at 40k records/s, reconciliations at 40k records/s: each lasts seconds, so
        # the next switchover lands inside it.
        a, b = c.loopback_pair(bulk_rate=40000, **reconcile_rate_option(c, 40000))
        with_intent = intent_supported(c)
        a.start()
        a.wait_role("active")
        a.load("sessions", 200000, 100, prefix="base-")
        d0 = a.digest()
        watch = Watch(a, b).start()
        b.start()
        done, total = wait_bulk_fraction(a, 0.30, 0.70)
        info(f"bulk sync at {done}/{total} ({done / total:.0%}): switchover requested")
        switch_over(a, b, "flip 1 (during the bulk sync)")
        active, standby = b, a
        pending = None
        for flip in (2, 3):
            st, _ = standby.wait_for("reconciling", lambda s: s.get("sync") == "reconciling"
                                     and sync_progress(s)[0] > 0, timeout=60)
            sd, stt = sync_progress(st)
            info(f"node{standby.node_id} (standby) reconciling, {sd}/{stt} sent")
            if flip == 2 and with_intent:
                # An allocate write while reconciling waits; the flip takes the active role
                # away, so it must then fail (not_active), never be silently dropped or applied.
                pending = Postponable(lambda n=active: n.put("sessions", "alloc-x", "v",
                                                             intent="allocate", timeout=60))
                pending.start()
                time.sleep(0.1)
            switch_over(active, standby, f"flip {flip} (during the reconciliation)")
            active, standby = standby, active
        wait_converged(active, standby, "after three flips", timeout=180)
        watch.stop()
        watch.report()
        sa, _ = expect_same_data(active, standby, "after three flips")
        alloc_applied = False
        if pending:
            pending.join()
            r = pending.result
            info(f"allocate put made while reconciling returned after {ms(pending.seconds)}: "
                 f"rc={r.rc} {r.message[:120]}")
            alloc_applied = r.rc == 0
            for n in (active, standby):
                g = n.get("sessions", "alloc-x")
                expect((g.rc == 0) == alloc_applied,
                       f"the allocate put returned rc={r.rc} but alloc-x is "
                       f"{'present' if g.rc == 0 else 'absent'} on node{n.node_id}")
        expect(sa["records"] == 200000 + alloc_applied,
               f"node{active.node_id} holds {sa['records']} records, expected 200000"
               + (" + alloc-x" if alloc_applied else ""))
        if not alloc_applied:
            expect(sa["digest"] == d0, f"digest {sa['digest']} differs from the one the first "
                                       f"active had before the flips ({d0})")
        expect_roles_stay(active, standby, "after three flips")
        info(f"node{active.node_id} active, node{standby.node_id} standby, both "
             f"{sa['records']} records, digest {sa['digest']} (before the flips: {d0})")
        for n in (a, b):
            for line in reconcile_log_lines(n):
                info(f"node{n.node_id}'s log: {line}")
        expect_no_channel_loss(a, b)


@test
def link_cut_during_reconciliation_loses_nothing(build):
    # The old active is reconciling into the new one when the link goes: both end up active
    # (a split-brain), each takes writes, and when the link returns the exchange starts over
    # (reason split-brain). The old active still held every record the reconciliation had not
    # sent yet: nothing may be lost.
    with Cluster(build, "recon-cut", netns=True) as c:
        a, b = c.netns_pair(bulk_rate=40000, **reconcile_rate_option(c, 20000))
        a.start()
        a.wait_role("active")
        a.load("sessions", 200000, 100, prefix="base-")
        b.start()
        done, total = wait_bulk_fraction(a, 0.30, 0.70)
        info(f"bulk sync at {done}/{total} ({done / total:.0%}): switchover requested")
        switch_over(a, b, "switchover during the bulk sync")
        st, _ = a.wait_for("reconciling", lambda s: s.get("sync") == "reconciling"
                           and sync_progress(s)[0] > 0, timeout=60)
        c.net.cut("a")
        c.net.cut("b")
        info(f"link cut while node1 was reconciling ({'/'.join(map(str, sync_progress(st)))} "
             f"when last seen)")
        a.wait_role("active", timeout=30)
        b.wait_for("peer down", lambda s: (s.get("peer") or {}).get("state") != "up", 30)
        writes = {n: [("put", f"cut{n.node_id}-{i}", f"v{i}") for i in range(300)] for n in (a, b)}
        for n, ops in writes.items():
            n.apply("sessions", ops)
        info(f"both active; 300 puts on each; records node1={a.status()['records']} "
             f"node2={b.status()['records']}")
        watch = Watch(a, b).start()
        c.net.restore("a")
        c.net.restore("b")
        wait_converged(a, b, "after the heal", timeout=180)
        watch.stop()
        watch.report()
        _, sb = expect_same_data(a, b, "after the heal")
        expect_roles_stay(a, b, "after the heal (node1 has the higher priority)")
        ref = c.single_node()
        ref.start()
        ref.wait_role("active")
        ref.load("sessions", 200000, 100, prefix="base-")
        for ops in writes.values():
            ref.apply("sessions", ops)
        sr = ref.status()
        expect((sr["records"], sr["digest"]) == (sb["records"], sb["digest"]),
               f"the pair holds {sb['records']} records (digest {sb['digest']}), expected the "
               f"200000 loaded + 600 puts: {sr['records']} (digest {sr['digest']})")
        for n in (a, b):
            for line in reconcile_log_lines(n)[-2:]:
                info(f"node{n.node_id}'s log: {line}")
        info(f"both nodes hold all 200000 records and the 600 puts made while apart")


def _notify_file(cluster, node_id: int) -> str:
    return os.path.join(cluster.dir, f"notify{node_id}.txt")


@test
def split_brain_heals_to_the_merged_set(build):
    with Cluster(build, "split", netns=True) as c:
        # Every notification (role changes, and split-brain events where the daemon has them)
        # appends its arguments to a file, checked after the heal.
        sb_notify = hasyncd_accepts(c.hasyncd, "notify", "notify_split_brain", "/bin/true")
        a, b = c.netns_pair()
        for n in (a, b):
            append = ["/bin/sh", "-c", f'echo "$0 $*" >> {_notify_file(c, n.node_id)}']
            n.options["extra"] = {"notify": {"notify": append + ["notify"]}}
            if sb_notify:
                n.options["extra"]["notify"]["notify_split_brain"] = append + ["notify_split_brain"]
            n._write_config()
        start_pair(a, b, records=2000)
        base = a.dump("sessions")

        c.net.cut("a")
        c.net.cut("b")  # both sides drop everything on the veth, in and out
        b.wait_role("active", timeout=30)
        a.wait_for("peer down", lambda s: (s.get("peer") or {}).get("state") != "up", 30)
        expect(a.status()["role"] == "active", "node1 lost the active role during the cut")
        info("link cut both ways: both nodes active, each sees its peer down")

        # ops: (phase, node, kind, key, value). Phase 2 starts 150 ms after phase 1 ended on
        # both nodes, so its writes are later in time than every phase 1 write.
        def keys(lo, n=40):
            return [f"base-{i}" for i in range(lo, lo + n)]
        both_new = [f"both-{i}" for i in range(40)]
        plan = {1: {a: [], b: []}, 2: {a: [], b: []}}
        for k in keys(0):      # overwritten on a, later on b: b's value wins
            plan[1][a].append(("put", k, f"a1-{k}"))
            plan[2][b].append(("put", k, f"b2-{k}"))
        for k in keys(50):     # overwritten on b, later on a: a's value wins
            plan[1][b].append(("put", k, f"b1-{k}"))
            plan[2][a].append(("put", k, f"a2-{k}"))
        for k in keys(100):    # deleted on a only
            plan[1][a].append(("del", k, None))
        for k in keys(150):    # deleted on b only
            plan[1][b].append(("del", k, None))
        for k in keys(200):    # deleted on a, rewritten later on b: b's write wins
            plan[1][a].append(("del", k, None))
            plan[2][b].append(("put", k, f"b2-{k}"))
        for k in keys(250):    # deleted on b, rewritten later on a
            plan[1][b].append(("del", k, None))
            plan[2][a].append(("put", k, f"a2-{k}"))
        for k in keys(300):    # written on b, deleted later on a: stays deleted
            plan[1][b].append(("put", k, f"b1-{k}"))
            plan[2][a].append(("del", k, None))
        for k in keys(350):    # written on a, deleted later on b: stays deleted
            plan[1][a].append(("put", k, f"a1-{k}"))
            plan[2][b].append(("del", k, None))
        for k in both_new:     # created on both, b's later
            plan[1][a].append(("put", k, f"a1-{k}"))
            plan[2][b].append(("put", k, f"b2-{k}"))

        failures: list[str] = []

        def run_ops(node, ops):
            for kind, k, v in ops:
                r = node.put("sessions", k, v) if kind == "put" else node.ctl("del", "sessions", k)
                if r.rc != 0:
                    failures.append(f"node{node.node_id} {kind} {k}: {r.message[:100]}")

        def load(node):
            r = node.ctl("load", "sessions", "--count", "20000", "--value-size", "100",
                         "--prefix", f"{node.name}-", timeout=120)
            if r.rc != 0:
                failures.append(f"node{node.node_id} load: {r.message[:100]}")

        def run_phase(phase, loads=False):
            threads = [threading.Thread(target=run_ops, args=(n, plan[phase][n]))
                       for n in (a, b)]
            if loads:  # distinct keys on each side, in the same stretch of time
                threads += [threading.Thread(target=load, args=(n,)) for n in (a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        t = time.monotonic()
        run_phase(1, loads=True)
        time.sleep(0.15)
        run_phase(2)
        expect(not failures, f"writes during the split-brain failed: {failures[:5]}")
        info(f"split-brain writes done in {ms(time.monotonic() - t)}: 20000 distinct records "
             f"loaded on each node, {sum(len(v) for p in plan.values() for v in p.values())} "
             f"puts/deletes of shared keys")
        for n in (a, b):
            expect(n.status()["role"] == "active", f"node{n.node_id} is not active before heal")

        # The merged set the pair must end with.
        last: dict[str, tuple] = {}
        for phase in (1, 2):
            for n in (a, b):
                for kind, k, v in plan[phase][n]:
                    last[k] = (kind, v)
        have_a, have_b = a.dump("sessions"), b.dump("sessions")  # both alone: safe
        expected: dict[str, str] = {}
        for k in set(have_a) | set(have_b) | set(last):
            if k in last:
                if last[k][0] == "put":
                    expected[k] = last[k][1]
            elif k in have_a and k in have_b:
                expect(have_a[k] == have_b[k], f"untouched key {k} differs before the heal")
                expected[k] = have_a[k]
            else:
                side = have_a if k in have_a else have_b
                expect(k.startswith("node1-" if k in have_a else "node2-"),
                       f"unexpected one-sided key {k!r} before the heal")
                expected[k] = side[k]
        info(f"before the heal: node1 {len(have_a)} records, node2 {len(have_b)}; the merged "
             f"set has {len(expected)} (base {len(base)})")

        # Writes go on through the heal: on node1 they must all succeed and stay; on node2
        # they succeed until it yields (then not_active), and those that succeeded must stay.
        writers = [Writer(n, "sessions", f"heal{n.node_id}-", replicated=False).start()
                   for n in (a, b)]
        time.sleep(0.1)
        watch = Watch(a, b).start()
        t_heal = time.monotonic()
        c.net.restore("a")
        c.net.restore("b")
        a.wait_for("peer in sync after the heal",
                   lambda s: (s.get("peer") or {}).get("in_sync") is True
                   and s.get("sync") == "idle", timeout=120, poll=0.05)
        time.sleep(0.2)  # and a little incremental replication after it
        for w in writers:
            w.stop()
        wait_converged(a, b, "after the heal", timeout=120)
        info(f"healed: converged {ms(time.monotonic() - t_heal)} after the link returned")
        watch.stop()
        watch.report()
        wa, wb = writers
        info(f"puts during the heal: node1 {len(wa.acked)} acknowledged, {wa.failed} failed; "
             f"node2 {len(wb.acked)} acknowledged, {wb.failed} refused once it had yielded "
             f"({wb.errors[:1]})")
        expect(not wa.failed, f"{wa.failed} puts to node1 (active throughout) failed: "
                              f"{wa.errors}")
        expect(wb.failed == 0 or all("not_active" in e for e in wb.errors),
               f"puts to node2 failed for another reason than not_active: {wb.errors}")
        expected.update(wa.acked)
        expected.update(wb.acked)
        expect_same_data(a, b, "after the heal")
        expect_roles_stay(a, b, "after the heal (node1 has the higher priority)")
        expect_contents(a, "sessions", expected, "after the heal")
        expect_contents(b, "sessions", expected, "after the heal")
        info("both nodes hold the merged set: union of both sides, the later write wins per "
             "key, deleted keys absent unless rewritten later")

        for n in (a, b):
            with open(n.log_path, errors="replace") as f:
                lines = [l.rstrip() for l in f if "split-brain" in l.lower()
                         or ("reconcil" in l.lower() and "complete" in l.lower())]
            for l in lines[:6]:
                info(f"node{n.node_id} log: {l[:220]}")
            expect(any("split-brain detected" in l.lower() for l in lines),
                   f"node{n.node_id}'s log has no 'split-brain detected' line")
            expect(any("reconcil" in l.lower() and "complete" in l.lower() for l in lines),
                   f"node{n.node_id}'s log has no 'reconciliation ... complete' line")
        notes = {}
        for n in (a, b):
            try:
                with open(_notify_file(c, n.node_id)) as f:
                    notes[n.node_id] = [l.strip() for l in f if l.strip()]
            except OSError:
                notes[n.node_id] = []
            for l in notes[n.node_id]:
                info(f"node{n.node_id} notify: {l[:200]}")
        if sb_notify:  # this daemon has split-brain notifications
            # notify_split_brain: detected <peer> keeps|yields, resolved <peer> <counts...>;
            # notify: split-brain-detected|split-brain-resolved <node-id> <reason>.
            for n, peer, verdict in ((a, b, "keeps"), (b, a, "yields")):
                for line in (f"notify_split_brain detected {peer.node_id} {verdict}",
                             f"notify_split_brain resolved {peer.node_id} ",
                             f"notify split-brain-detected {n.node_id} ",
                             f"notify split-brain-resolved {n.node_id} "):
                    expect(any(l.startswith(line) for l in notes[n.node_id]),
                           f"node{n.node_id}: no notification {line.strip()!r}")
        else:
            info("NOTE: this hasyncd has no notify_split_brain: split-brain notify not checked")


# --------------------------------------------------------------------------------------------

from test_hostile import HOSTILE_TESTS  # noqa: E402 (issue 4: hostile input; its own file)

TESTS += HOSTILE_TESTS

from test_pools import POOL_TESTS  # noqa: E402 (issue 5: address pools; their own file)

TESTS += POOL_TESTS

from test_consumers import CONSUMER_TESTS  # noqa: E402 (issue 6: consumers; their own file)

TESTS += CONSUMER_TESTS


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
    if os.environ.get("HASYNC_MP_TLS"):
        print(f"multiproc: every cluster a test does not set otherwise runs its sync channel in "
              f"TLS mode {os.environ['HASYNC_MP_TLS']!r} (HASYNC_MP_TLS)", flush=True)
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
