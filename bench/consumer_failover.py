#!/usr/bin/env python3
"""Issue 6's figures: what a failover costs the consumers of a pair (run as root for netns).

  bench/consumer_failover.py [--build build/release] [--reps 5] [--mode loopback,netns]
                             [--layout shared,sharded] [--rate 2000,0] [--consumers 100]
                             [--records 10000] [--write-s 2] [--value-size 100] [--json PATH]

Two real hasyncd processes with a consumer port and one hasync_consumer_swarm process holding
--consumers hasync::Consumer, each subscribed to --records records:
  shared   every consumer on the whole of one table of --records records (line cards that all
           hold the same state: every update goes to every consumer);
  sharded  each consumer on its own prefix of a table of consumers x records records (workers
           that each hold a share: an update goes to one consumer).
Once every consumer holds its subscription, a writer on the active changes records (80% updates
of existing keys, 10% deletes, 10% new keys; batches of 20 pipelined over one control
connection, --rate writes/s, or as fast as the active answers with 0) for --write-s seconds
and keeps writing until the kill: the active is killed with kill -9 while its updates are in
flight.
  loopback  both nodes and the swarm on 127.0.0.1: the dead process's kernel closes its
            connections, so the standby and the consumers notice at once;
  netns     each node in its own network namespace, the swarm in node 2's; node 1's link is cut
            (nftables) before the kill, as a dead host goes silent: node 2 notices after 3
            missed 50 ms heartbeats, the consumers after their dead_after (--dead-after-ms).
Measured, per repetition: records and key+value bytes replayed to the consumers after the
failover (the new active's failover counters, and the consumers' own counts) against a full
resend (every consumer's whole subscription, from a dump of the new active), how many
consumers got a replay and of which kind, and the time from the kill until every consumer is
in sync: resumed on the new active and its copy equal to the new active's records (its last
change after the kill; the copies are compared by digest after quiet). Prints each repetition,
then median (min-max); writes bench/results/consumer_failover.json (--json). Measurements, not
tests: nothing asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "multiproc"))
from consumer_swarm import Subscriptions, Swarm, swarm_binary  # noqa: E402
from hasync_harness import Cluster, Control, HarnessError, netns_available  # noqa: E402

TABLE = "state"
BATCH = 20


class RateWriter:
    """Batches of BATCH writes at `rate` writes/s over one control connection, until stopped or
    the node dies. Keys: one of `prefixes`, then an index below 1.1 x `records`."""

    def __init__(self, node, prefixes: list[str], records: int, value_size: int, rate: float):
        self.node, self.prefixes, self.records = node, prefixes, records
        self.value_size, self.rate = value_size, rate
        self.acked = 0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "RateWriter":
        self._thread.start()
        return self

    def _run(self) -> None:
        rng = random.Random(6)
        conn = Control(self.node.control, timeout=10)
        seq = 0
        t_next = time.monotonic()
        try:
            while not self._stop.is_set():
                reqs = []
                for _ in range(BATCH):
                    seq += 1
                    p = rng.choice(self.prefixes)
                    x = rng.random()
                    if x < 0.1:
                        reqs.append({"cmd": "del", "table": TABLE,
                                     "key": f"{p}{rng.randrange(self.records)}"})
                        continue
                    index = rng.randrange(self.records) if x < 0.9 else \
                        self.records + rng.randrange(self.records // 10)
                    value = (f"w{seq}-" + "v" * self.value_size)[:self.value_size]
                    reqs.append({"cmd": "put", "table": TABLE, "key": f"{p}{index}",
                                 "value": value})
                self.acked += sum(1 for r in conn.pipeline(reqs) if r.get("ok"))
                if self.rate > 0:
                    t_next += BATCH / self.rate
                    self._stop.wait(max(0.0, t_next - time.monotonic()))
        except HarnessError as e:  # the node was killed
            self.error = str(e)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def consumers_counters(node) -> dict:
    conn = Control(node.control)
    try:
        r = conn.call("consumers")
    finally:
        conn.close()
    if not r.get("ok"):
        raise HarnessError(f"consumers: {r}")
    return r


def wait_until(pred, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise HarnessError(f"not {what} after {timeout} s")
        time.sleep(0.02)


def measure(args, mode: str, layout: str, rate: float) -> dict:
    n, per = args.consumers, args.records
    with Cluster(args.build, f"bench-consumers-{mode}", netns=mode == "netns") as c:
        if mode == "netns":
            a, b = c.netns_pair(consumers={})
            swarm_ns = c.net.ns["b"]
        else:
            a, b = c.loopback_pair(consumers={})
            swarm_ns = None
        a.start()
        a.wait_role("active")
        if layout == "shared":
            prefixes = [""]
            a.load(TABLE, per, args.value_size, prefix="r-")
            writer_prefixes = ["r-"]
            consumers = [{"name": f"c{i:03d}", "prefix": ""} for i in range(n)]
        else:
            prefixes = [f"s{i:03d}-" for i in range(n)]
            for p in prefixes:
                a.load(TABLE, per, args.value_size, prefix=p)
            writer_prefixes = prefixes
            consumers = [{"name": f"c{i:03d}", "prefix": p} for i, p in enumerate(prefixes)]
        b.start()
        b.wait_role("standby")
        a.wait_peer_in_sync(timeout=120)

        swarm = Swarm(swarm_binary(args.build), c.dir, [a.consumer_endpoint, b.consumer_endpoint],
                      TABLE, consumers, netns=swarm_ns, dead_after_ms=args.dead_after_ms)
        c.adopt(swarm.proc)
        writer = None
        try:
            deadline = time.monotonic() + 120
            while True:
                _, rep = swarm.status(brief=True)
                if all(r["connected"] and r["records"] == per for r in rep.values()):
                    break
                if time.monotonic() > deadline:
                    raise HarnessError("the consumers did not load their subscriptions")
                time.sleep(0.1)

            writer = RateWriter(a, writer_prefixes, per, args.value_size, rate).start()
            time.sleep(args.write_s)
            # Ops the active had sent that the consumers had not applied (about: two looks).
            _, pre = swarm.status(brief=True)
            conn_a = Control(a.control)
            try:
                on_a = {ch["name"]: ch for ch in conn_a.call("consumers")["channels"]}
            finally:
                conn_a.close()
            behind = [on_a[k]["sent_op"] - pre[k]["last_op"] for k in pre]
            if c.net:
                c.net.cut("a")
            t_kill = a.kill9()
            _, t_active = b.wait_role("active", timeout=30, poll=0.002)
            writer.stop()

            # Every consumer back on node 2, and node 2 quiet (replays delivered and acked),
            # before the dump: a dump of the table holds node 2's event loop for its duration.
            wait_until(lambda: all(r["connected"] and r["node"] == b.consumer_endpoint
                                   and r["resumes"] > pre[x]["resumes"]
                                   for x, r in swarm.status(brief=True)[1].items()),
                       "every consumer resumed on node 2")
            wait_until(lambda: all(ch["phase"] == "live" and ch["pending_ops"] == 0
                                   and ch["acked_op"] == ch["sent_op"]
                                   for ch in consumers_counters(b)["channels"]),
                       "node 2's channels live and acknowledged")
            records = b.dump(TABLE)
            subs = Subscriptions(records)
            _, post = swarm.wait_converged(subs, b.consumer_endpoint, timeout=120)
            k = consumers_counters(b)["counters"]
        finally:
            if writer is not None:
                writer.stop()
            swarm.stop()

    in_sync = [max(r["resumed_ms"], r["last_change_ms"]) / 1000 - t_kill for r in post.values()]
    full = [subs.size(p) for p in (x["prefix"] for x in consumers)]
    full_records, full_bytes = sum(x for x, _ in full), sum(y for _, y in full)
    rec = sum(post[k_]["replayed_records"] - pre[k_]["replayed_records"] for k_ in post)
    byt = sum(post[k_]["replayed_bytes"] - pre[k_]["replayed_bytes"] for k_ in post)
    return {
        "mode": mode, "layout": layout, "consumers": n, "records_per_consumer": per,
        "writes_until_kill": writer.acked, "write_rate": rate,
        "consumers_behind_at_kill": sum(1 for x in behind if x > 0),
        "ops_behind_at_kill_max": max(behind),
        "kill_to_active_ms": (t_active - t_kill) * 1000,
        "replayed_records": k["failover_replayed_records"],
        "replayed_bytes": k["failover_replayed_bytes"],
        "consumer_replayed_records": rec, "consumer_replayed_bytes": byt,
        "full_resend_records": full_records, "full_resend_bytes": full_bytes,
        "replayed_records_pct": 100.0 * k["failover_replayed_records"] / full_records,
        "replayed_bytes_pct": 100.0 * k["failover_replayed_bytes"] / full_bytes,
        "node_full_resend_records": k["failover_full_resend_records"],
        "consumers_replayed": sum(1 for x in post
                                  if post[x]["replays"] > pre[x]["replays"]),
        "replays": k["replays"], "resumes": k["resumes"],
        "resumes_in_sync": k["resumes_in_sync"],
        "all_in_sync_ms": max(in_sync) * 1000,
        "median_in_sync_ms": statistics.median(in_sync) * 1000,
    }


def line(r: dict) -> str:
    return (f"{r['mode']:8s} {r['layout']:7s} rate {r['write_rate']:g}: writes "
            f"{r['writes_until_kill']:6d}, "
            f"{r['consumers_behind_at_kill']:3d} consumers behind "
            f"(max {r['ops_behind_at_kill_max']} ops); active in {r['kill_to_active_ms']:4.0f} ms; replayed {r['replayed_records']}"
            f" records / {r['replayed_bytes']} B of {r['full_resend_records']} / "
            f"{r['full_resend_bytes']} B ({r['replayed_records_pct']:.3f}% / "
            f"{r['replayed_bytes_pct']:.3f}%) to {r['consumers_replayed']} consumers "
            f"{r['replays']}; consumers counted {r['consumer_replayed_records']}; in sync: all "
            f"{r['all_in_sync_ms']:.0f} ms, median {r['median_in_sync_ms']:.0f} ms")


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key, v in runs[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = [r[key] for r in runs]
            out[key] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--mode", default="loopback,netns")
    ap.add_argument("--layout", default="shared")
    ap.add_argument("--consumers", type=int, default=100)
    ap.add_argument("--records", type=int, default=10000, help="per consumer")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--rate", default="2000",
                    help="writes/s until the kill (0: as fast as the active answers); a "
                         "comma-separated list measures each")
    ap.add_argument("--json", default="bench/results/consumer_failover.json")
    ap.add_argument("--logs", default="/tmp/hasync-bench-consumer-failover",
                    help="where the logs of a failed run are kept")
    ap.add_argument("--write-s", type=float, default=2.0, help="writing before the kill")
    ap.add_argument("--dead-after-ms", type=int, default=2000,
                    help="the consumers' dead_after (above the node's 1 s pings)")
    args = ap.parse_args()
    modes, layouts = args.mode.split(","), args.layout.split(",")
    rates = [float(r) for r in args.rate.split(",")]
    if "netns" in modes and netns_available():
        sys.exit(f"netns: {netns_available()}")
    runs: dict[str, list[dict]] = {}
    failed: dict[str, list[str]] = {}
    for rep in range(args.reps):  # interleaved, so load on the machine hits them alike
        for layout in layouts:
            for rate in rates:
                for mode in modes:
                    name = f"{mode}/{layout}/rate {rate:g}"
                    # A run that fails keeps its logs there and the others go on.
                    Cluster.failure_log_dir = os.path.join(
                        args.logs, f"{mode}-{layout}-rate{rate:g}-rep{rep + 1}")
                    try:
                        r = measure(args, mode, layout, rate)
                    except HarnessError as e:
                        failed.setdefault(name, []).append(str(e))
                        print(f"rep {rep + 1}: {name}: FAILED: {e} (logs: "
                              f"{Cluster.failure_log_dir})", flush=True)
                        continue
                    runs.setdefault(name, []).append(r)
                    print(f"rep {rep + 1}: {line(r)}", flush=True)
    summary = {k: summarise(v) for k, v in runs.items()}
    print(f"\nmedian (min-max) of {args.reps} repetitions")
    for name, s in summary.items():
        print(f"  {name}:")
        for key, v in s.items():
            print(f"    {key:28s} {v['median']:>14,.3f} ({v['min']:,.3f}-{v['max']:,.3f})")
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"args": vars(args), "summary": summary, "runs": runs, "failed": failed}, f,
                  indent=2)
    for name, errors in failed.items():
        print(f"  {name}: {len(errors)} run(s) failed: {errors}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
