"""Consumers with selective replay across real failovers (issue 6): 50 hasync::Consumer (one
hasync_consumer_swarm process) mirror a pair's table while a writer keeps updates in flight, the
active is killed (network cut first, then kill -9) or switched over, and afterwards every
consumer's copy equals the new active's records of its subscription, and consumers that were in
sync got no replay.

test_multiproc.py runs these tests with the others (CONSUMER_TESTS).

The table "sessions" holds 20 groups of 1000 records (keys gNN-0 ... gNN-999, 100-byte values,
loaded with `load`). The writer changes the hot groups g00-g04 until the failure, and the warm
groups g05-g09 only at first; the cold groups g10-g19 are never written. 10 consumers take the
whole table and 40 a group's prefix (two per group); 2 whole-table consumers and 3 consumers of
hot groups are slow (they sleep in their callback), so they are behind at the failure. The
consumers of warm and cold groups, checked in sync on the active before the failure, must get
no replay.

With network namespaces (root, ip, nft) the nodes run in their own namespace and the swarm in
node 2's, so cutting node 1's link also silences its consumer connections, as for a dead host:
the consumers notice after their dead_after (2 s here). Without namespaces the pair runs on
loopback and the consumers see node 1's connections close at once.
"""

from __future__ import annotations

import random
import statistics
import threading
import time

from consumer_swarm import Subscriptions, Swarm, swarm_binary
from hasync_harness import Cluster, Control, HarnessError, expect, info, netns_available

CONSUMER_TESTS = []


def consumer_test(fn):
    CONSUMER_TESTS.append(fn)
    return fn


TABLE = "sessions"
GROUPS = 20
GROUP_RECORDS = 1000
VALUE_SIZE = 100
HOT = range(0, 5)
WARM = range(5, 10)
COLD = range(10, 20)
SLOW_MS = 5  # a slow consumer applies 200 ops/s; the writer makes up to 1000 (each write an op)
CONSUMER_DEAD_AFTER_MS = 2000  # above the node's 1 s pings of an idle connection


def prefix_of(group: int) -> str:
    return f"g{group:02d}-"


def consumer_mix() -> list[dict]:
    """10 whole-table consumers (2 slow) and 2 per group prefix (3 of hot groups slow)."""
    out = [{"name": f"all{i}", "prefix": "", "slow_ms": SLOW_MS if i >= 8 else 0}
           for i in range(10)]
    for g in range(GROUPS):
        for side in "ab":
            slow = g in HOT and side == "b" and g < 3
            out.append({"name": f"g{g:02d}{side}", "prefix": prefix_of(g),
                        "slow_ms": SLOW_MS if slow else 0})
    return out


def in_sync_names(consumers: list[dict]) -> list[str]:
    """The consumers of warm and cold groups: in sync when the active fails."""
    quiet = {prefix_of(g) for g in list(WARM) + list(COLD)}
    return [c["name"] for c in consumers if c["prefix"] in quiet]


class PipelinedWriter:
    """A thread writing to one node over one control connection: batches of puts (updates of
    existing keys and new keys) and deletes on the groups in `groups` (changeable while it
    runs), pipelined, until stopped or the connection fails (the node died). A batch of 20 every
    20 ms: at most 1000 writes/s, whatever the build, so that slow consumers lag by about as
    much in a debug build as in a release one."""

    def __init__(self, node, groups, batch: int = 20, pause: float = 0.02, seed: int = 6):
        self.node, self.groups, self.batch, self.pause = node, list(groups), batch, pause
        self.rng = random.Random(seed)
        self.sent = self.acked = self.refused = 0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "PipelinedWriter":
        self._thread.start()
        return self

    def _run(self) -> None:
        conn = Control(self.node.control, timeout=10)
        seq = 0
        try:
            while not self._stop.is_set():
                reqs = []
                for _ in range(self.batch):
                    seq += 1
                    key = f"{prefix_of(self.rng.choice(self.groups))}" \
                          f"{self.rng.randrange(GROUP_RECORDS + 200)}"
                    if self.rng.random() < 0.2:
                        reqs.append({"cmd": "del", "table": TABLE, "key": key})
                    else:
                        value = (f"w{seq}-" + "x" * VALUE_SIZE)[:VALUE_SIZE]
                        reqs.append({"cmd": "put", "table": TABLE, "key": key, "value": value})
                self.sent += len(reqs)
                replies = conn.pipeline(reqs)
                self.acked += sum(1 for r in replies if r.get("ok"))
                self.refused += sum(1 for r in replies if not r.get("ok"))
                self._stop.wait(self.pause)
        except HarnessError as e:  # the node was killed: expected, the writer stops there
            self.error = str(e)
        finally:
            conn.close()

    def stop(self) -> "PipelinedWriter":
        self._stop.set()
        self._thread.join(timeout=30)
        return self


def consumers_json(conn: Control) -> dict:
    r = conn.call("consumers")
    expect(r.get("ok"), f"consumers: {r}")
    return r


def wait_channels_acked(conn: Control, names: list[str], timeout: float = 30) -> None:
    """Until the node (active) reports each named channel live with everything acknowledged."""
    deadline = time.monotonic() + timeout
    while True:
        by_name = {ch.get("name"): ch for ch in consumers_json(conn)["channels"]}
        behind = [n for n in names if n not in by_name or by_name[n]["phase"] != "live"
                  or by_name[n]["pending_ops"] != 0 or by_name[n]["acked_op"] != by_name[n][
                      "sent_op"]]
        if not behind:
            return
        if time.monotonic() > deadline:
            raise HarnessError(f"channels not acknowledged after {timeout} s: {behind[:6]}: "
                               f"{[by_name.get(n) for n in behind[:2]]}")
        time.sleep(0.05)


def preload(node) -> None:
    for g in range(GROUPS):
        node.load(TABLE, GROUP_RECORDS, VALUE_SIZE, prefix=prefix_of(g))


def full_resend(subs: Subscriptions, consumers: list[dict]) -> tuple[int, int]:
    """Records and key+value bytes that resending every subscription whole would send."""
    sizes = [subs.size(c["prefix"]) for c in consumers]
    return sum(n for n, _ in sizes), sum(b for _, b in sizes)


def delta(post: dict[str, dict], pre: dict[str, dict], field: str) -> dict[str, int]:
    return {n: post[n][field] - pre[n][field] for n in post}


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.2f}%" if whole else "-"


@consumer_test
def consumers_converge_after_kill9_with_updates_in_flight(build):
    why_not = netns_available()
    with Cluster(build, "consumers-kill9", netns=why_not is None) as c:
        if why_not is None:
            a, b = c.netns_pair(consumers={})
            swarm_ns = c.net.ns["b"]
        else:
            info(f"NOTE: no network namespaces ({why_not}): loopback pair, node 1's consumer "
                 f"connections close at its kill instead of going silent")
            a, b = c.loopback_pair(consumers={})
            swarm_ns = None
        a.start()
        a.wait_role("active")
        preload(a)
        b.start()
        b.wait_role("standby")
        a.wait_peer_in_sync()

        mix = consumer_mix()
        quiet = in_sync_names(mix)
        swarm = Swarm(swarm_binary(build), c.dir, [a.consumer_endpoint, b.consumer_endpoint],
                      TABLE, mix, netns=swarm_ns, dead_after_ms=CONSUMER_DEAD_AFTER_MS)
        c.adopt(swarm.proc)
        conn_a = Control(a.control)
        writer = None
        try:
            # Every consumer got its subscription (a full replay: it started empty).
            t0 = time.monotonic()
            while True:
                _, report = swarm.status(brief=True)
                counts = {n: r["records"] for n, r in report.items()}
                want = {m["name"]: GROUP_RECORDS * (GROUPS if not m["prefix"] else 1)
                        for m in mix}
                if counts == want and all(r["connected"] for r in report.values()):
                    break
                expect(time.monotonic() - t0 < 60, f"consumers not loaded after 60 s: "
                       f"{[(n, counts[n], want[n]) for n in counts if counts[n] != want[n]][:5]}")
                time.sleep(0.1)
            info(f"{len(mix)} consumers hold their subscriptions of {GROUPS * GROUP_RECORDS} "
                 f"records after {time.monotonic() - t0:.1f} s")

            writer = PipelinedWriter(a, list(HOT) + list(WARM)).start()
            time.sleep(1.0)
            writer.groups = list(HOT)  # the warm groups go quiet; the hot ones stay busy
            wait_channels_acked(conn_a, quiet)
            time.sleep(0.5)  # the forwarded acks reach the standby within a turn
            expect(writer.error is None and writer.acked > 0,
                   f"the writer failed before the kill: {writer.error}")

            _, pre = swarm.status(brief=True)
            on_a = {ch["name"]: ch for ch in consumers_json(conn_a)["channels"]}
            behind = {n: on_a[n]["sent_op"] - pre[n]["last_op"] for n in pre
                      if on_a[n]["sent_op"] > pre[n]["last_op"]}
            if c.net:
                c.net.cut("a")  # the host dies: nothing more leaves it
            t_kill = a.kill9()
            _, t_active = b.wait_role("active", timeout=30, poll=0.005)
            writer.stop()
            info(f"writer: {writer.acked} writes acknowledged ({writer.refused} refused) until "
                 f"the kill; at the kill {len(behind)} consumers were behind the active "
                 f"(by {sorted(behind.values(), reverse=True)[:6]} ops), "
                 f"slow ones: {[n for n in behind if pre[n]['slow_ms']]}")
            info(f"kill -9 of node1 -> node2 active in {(t_active - t_kill) * 1000:.0f} ms")

            # Every consumer back on node2 and node2 quiet before its dump (a dump holds the
            # node's event loop: the consumers' resumes would wait for it).
            deadline = time.monotonic() + 60
            while True:
                _, now = swarm.status(brief=True)
                away = sorted(n for n, r in now.items()
                              if not r["connected"] or r["node"] != b.consumer_endpoint
                              or r["resumes"] <= pre[n]["resumes"])
                if not away:
                    break
                expect(time.monotonic() < deadline,
                       f"consumers not resumed on node2 after 60 s: {away}")
                time.sleep(0.05)
            conn_b = Control(b.control)
            try:
                wait_channels_acked(conn_b, [m["name"] for m in mix])
                cb = consumers_json(conn_b)
            finally:
                conn_b.close()
            records = b.dump(TABLE)  # node2 has no peer now: a dump cannot delay heartbeats
            subs = Subscriptions(records)
            _, post = swarm.wait_converged(subs, b.consumer_endpoint, timeout=60)
            # In sync: resumed on node2 and its copy as node2's (after its last change).
            in_sync = {n: max(r["resumed_ms"], r["last_change_ms"]) / 1000 - t_kill
                       for n, r in post.items()}
            fast = [t for n, t in in_sync.items() if not post[n]["slow_ms"]]
            info(f"all {len(mix)} consumers resumed on node2 and in line with its "
                 f"{len(records)} records {max(in_sync.values()) * 1000:.0f} ms after the kill "
                 f"(the {len(fast)} not slow: median {statistics.median(fast) * 1000:.0f} ms, "
                 f"max {max(fast) * 1000:.0f} ms)"
                 + (f"; consumers cut off notice after {CONSUMER_DEAD_AFTER_MS} ms of silence"
                    if c.net else ""))

            replays = delta(post, pre, "replays")
            got_replay = sorted(n for n, d in replays.items() if d)
            wrong = [n for n in quiet if replays[n]]
            expect(not wrong, f"consumers in sync at the failure got a replay: {wrong} "
                              f"({[post[n] for n in wrong[:2]]})")
            changed = [n for n in post if post[n]["channel"] != pre[n]["channel"]]
            expect(not changed, f"consumers got a new channel instead of resuming: {changed}")
            resumed = [n for n in post if post[n]["resumes"] > pre[n]["resumes"]]
            expect(len(resumed) == len(mix), f"consumers that did not resume on node2: "
                                             f"{sorted(set(post) - set(resumed))}")

            k = cb["counters"]
            expect(len(cb["channels"]) == len(mix),
                   f"node2 has {len(cb['channels'])} channels for {len(mix)} consumers")
            full_n, full_bytes = full_resend(subs, mix)
            rec = sum(delta(post, pre, "replayed_records").values())
            byt = sum(delta(post, pre, "replayed_bytes").values())
            info(f"replayed after the failover (node2): {k['failover_replayed_records']} records, "
                 f"{k['failover_replayed_bytes']} bytes, against a full resend of "
                 f"{k['failover_full_resend_records']} records "
                 f"({pct(k['failover_replayed_records'], k['failover_full_resend_records'])}); "
                 f"replays {k['replays']}, resumes {k['resumes']} "
                 f"({k['resumes_in_sync']} in sync)")
            info(f"received by the consumers: {rec} records, {byt} bytes replayed, against "
                 f"{full_n} records, {full_bytes} bytes for a full resend "
                 f"({pct(rec, full_n)} of the records, {pct(byt, full_bytes)} of the bytes); "
                 f"{len(got_replay)} consumers got a replay: {got_replay}")
            expect(k["failover_replayed_records"] < full_n,
                   "the failover cost as much as a full resend to every consumer")
        finally:
            if writer is not None:
                writer.stop()
            conn_a.close()
            swarm.stop()


@consumer_test
def consumers_resume_without_replay_after_switchover(build):
    # A dump of 20k records runs in one event-loop turn of the node: 20 missed heartbeats
    # (1 s), not 3, before a node calls its peer dead, so that the dump below cannot.
    with Cluster(build, "consumers-switchover") as c:
        a, b = c.loopback_pair(consumers={}, dead_after_missed=20)
        a.start()
        a.wait_role("active")
        preload(a)
        b.start()
        b.wait_role("standby")
        a.wait_peer_in_sync()

        mix = consumer_mix()
        swarm = Swarm(swarm_binary(build), c.dir, [a.consumer_endpoint, b.consumer_endpoint],
                      TABLE, mix, dead_after_ms=CONSUMER_DEAD_AFTER_MS)
        c.adopt(swarm.proc)
        conn_a = Control(a.control)
        try:
            writer = PipelinedWriter(a, list(HOT) + list(WARM)).start()
            time.sleep(0.5)
            writer.stop()
            expect(writer.error is None and writer.acked > 0, f"the writer failed: {writer.error}")
            # Quiet: every consumer applied and acknowledged everything, and the standby too.
            wait_channels_acked(conn_a, [m["name"] for m in mix], timeout=60)
            a.wait_peer_in_sync()
            records = a.dump(TABLE)
            swarm.wait_converged(records, a.consumer_endpoint, timeout=60)
            _, pre = swarm.status()
            info(f"{writer.acked} writes, then quiet: all {len(mix)} consumers in line with "
                 f"node1's {len(records)} records")

            t = time.monotonic()
            r = a.ctl("switchover")
            expect(r.rc == 0, f"switchover refused (rc={r.rc}): {r.message}")
            b.wait_role("active")
            a.wait_role("standby")
            deadline = time.monotonic() + 30
            while True:
                _, post = swarm.status(brief=True)
                moved = [n for n, p in post.items()
                         if p["connected"] and p["node"] == b.consumer_endpoint
                         and p["resumes"] > pre[n]["resumes"]]
                if len(moved) == len(mix):
                    break
                expect(time.monotonic() < deadline,
                       f"consumers not on node2 after 30 s: {sorted(set(post) - set(moved))}")
                time.sleep(0.05)
            info(f"switchover: all {len(mix)} consumers resumed on node2 "
                 f"{(time.monotonic() - t) * 1000:.0f} ms after the request")
            time.sleep(0.2)  # anything sent after the resume would have arrived
            _, post = swarm.status()

            replays = delta(post, pre, "replays")
            expect(not any(replays.values()),
                   f"consumers got a replay after a quiet switchover: "
                   f"{sorted(n for n, d in replays.items() if d)}")
            batches = delta(post, pre, "batches")
            expect(not any(batches.values()),
                   f"consumers received ops after a quiet switchover: "
                   f"{sorted(n for n, d in batches.items() if d)}")
            changed = [n for n in post if post[n]["channel"] != pre[n]["channel"]]
            expect(not changed, f"consumers got a new channel instead of resuming: {changed}")
            conn_b = Control(b.control)
            try:
                k = consumers_json(conn_b)["counters"]
            finally:
                conn_b.close()
            expect(not any(k["replays"].values()) and k["failover_replayed_records"] == 0,
                   f"node2 replayed after a quiet switchover: {k}")
            expect(k["resumes"] >= len(mix) and k["resumes_in_sync"] == k["resumes"],
                   f"node2 counted {k['resumes']} resumes, {k['resumes_in_sync']} in sync, for "
                   f"{len(mix)} consumers: {k}")
            b_records = b.dump(TABLE)
            expect(b_records == records, "node2's records differ from node1's before the "
                                         "switchover")
            bad = swarm.mismatches(b_records, post)
            expect(not bad, f"consumers differ from node2 after the switchover: {bad[:6]}")
            info(f"no replay: node2 counted {k['resumes']} resumes, {k['resumes_in_sync']} in "
                 f"sync, replays {k['replays']}; every copy equals node2's records")
        finally:
            conn_a.close()
            swarm.stop()
