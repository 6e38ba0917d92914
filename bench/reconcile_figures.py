#!/usr/bin/env python3
"""Issue 3's figures, measured on two real hasyncd processes (run as root).

  bench/reconcile_figures.py [--build build/release] [--reps 5] [--only switchover|split]

(a) Reconciliation of ~100k remaining records: node 1 holds 200k records (100-byte values) and
    bulk-syncs them to node 2 at --bulk-rate (100k/s by default); at 50% the switchover is
    requested, so node 1 (now standby) reconciles the ~100k records the bulk had not sent,
    unpaced (reconcile_rate 0). Measured from the switchover request to
      - the end of the reconciliation: node 1's status leaves sync=reconciling (polled), and
        the "reconciliation ... complete" log lines of both nodes;
      - the pair in sync: node 2 (active) reports its peer in sync, no sync running on either
        node, equal digests and record counts.
    Two nodes on loopback.
(b) Healing a split-brain with 100k records written on each side (distinct keys): both nodes
    in their own network namespace joined by a veth, the link cut with nftables (both ways),
    100k records loaded on each node alone, the link restored (at a random point of node 1's
    1.1 s redial cycle). Measured from the restore to node 1 seeing its peer again, to the
    "split-brain detected" and "reconciliation ... complete" log lines, and to equal digests
    with the pair in sync; and the same from the moment the peer is up again.

Status is polled over the control socket directly (one persistent connection per node, about
every millisecond), not by starting hasyncctl. Prints every repetition, then median and range;
writes bench/results/reconcile_figures.json. Measurements, not tests: nothing asserts a time.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "multiproc"))
from hasync_harness import Cluster, Control, HarnessError  # noqa: E402


def status(control: Control) -> dict:
    return control.call("status")


RECONCILED = r"reconciliation.* complete"  # the end of a reconciliation, on either side
LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")


def log_times(path: str, pattern: str, after: float) -> list[tuple[float, str]]:
    """(wall time, line) of the log lines matching `pattern` (a regex) stamped at or after
    `after` - 1 ms (log stamps are local time with millisecond resolution)."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LOG_TS.match(line)
            if m and re.search(pattern, line):
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                if t >= after - 0.001:
                    out.append((t, line.rstrip()))
    return out


def poll_until(pred, timeout: float, what: str, step: float = 0.001):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def in_sync(active: dict, standby: dict) -> bool:
    p = active.get("peer") or {}
    return (active.get("role") == "active" and standby.get("role") == "standby"
            and p.get("state") == "up" and p.get("in_sync") is True
            and active.get("sync") == "idle" and standby.get("sync") == "idle"
            and active["digest"] == standby["digest"] and active["records"] == standby["records"])


def wall_minus_mono() -> float:
    return time.time() - time.monotonic()


def switchover_run(build: str, records: int, bulk_rate: int, value_size: int) -> dict:
    with Cluster(build, "bench-so") as c:
        a, b = c.loopback_pair(bulk_rate=bulk_rate)
        a.start()
        a.wait_role("active")
        a.load("sessions", records, value_size, prefix="session-", timeout=300)
        ca, cb = Control(a.control), Control(b.control)
        b.start()
        st = poll_until(lambda: (lambda s: s if s.get("sync") == "bulk_sending" and
                                 s["sync_progress"]["total"] > 0 and
                                 s["sync_progress"]["done"] >= s["sync_progress"]["total"] / 2
                                 else None)(status(ca)), 120, "half of the bulk sync")
        done, total = st["sync_progress"]["done"], st["sync_progress"]["total"]

        offset = wall_minus_mono()
        t0 = time.monotonic()
        result: dict = {}
        answered: list[float] = []

        def request():
            result.update(ca.call("switchover"))
            answered.append(time.monotonic())
        so = threading.Thread(target=request, daemon=True)
        so.start()
        ca2 = Control(a.control)  # the first connection waits for the switchover's answer
        t_recon_seen = t_recon_end = t_sync = None
        recon_total = None
        deadline = t0 + 300
        while t_sync is None:
            sa, sb = status(ca2), status(cb)
            now = time.monotonic()
            if sa.get("sync") == "reconciling":
                if t_recon_seen is None:
                    t_recon_seen = now
                recon_total = max(recon_total or 0, sa["sync_progress"]["total"])
            elif t_recon_seen is not None and t_recon_end is None:
                t_recon_end = now
            if in_sync(sb, sa):
                t_sync = now
            if now > deadline:
                raise HarnessError(f"not in sync 300 s after the switchover: {sa} / {sb}")
            time.sleep(0.001)
        so.join(60)
        if not result.get("ok"):
            raise HarnessError(f"switchover failed: {result}")
        wall0 = t0 + offset
        logs = {n.node_id: log_times(n.log_path, RECONCILED, wall0) for n in (a, b)}
        sent = None
        for _, line in logs[a.node_id]:
            m = re.search(r"sent (\d+) records|(\d+) records sent", line)
            if m:
                sent = int(m.group(1) or m.group(2))
        began = log_times(a.log_path, "reconciling into", wall0)
        r = {
            "records": records, "switched_at": f"{done}/{total}", "remaining": total - done,
            "reconcile_total": recon_total, "reconcile_sent": sent,
            "to_reconciling_seen_ms": (t_recon_seen - t0) * 1e3 if t_recon_seen else None,
            "to_reconcile_end_polled_ms": (t_recon_end - t0) * 1e3 if t_recon_end else None,
            "to_reconcile_end_log_ms": {nid: (l[0][0] - wall0) * 1e3 if l else None
                                        for nid, l in logs.items()},
            "to_reconcile_start_log_ms": (began[0][0] - wall0) * 1e3 if began else None,
            "switchover_answered_ms": None,
            "to_in_sync_ms": (t_sync - t0) * 1e3,
            "receiver_log": logs[b.node_id][0][1] if logs[b.node_id] else None,
            "digest": sb["digest"], "records_after": sb["records"],
        }
        r["switchover_answered_ms"] = (answered[0] - t0) * 1e3 if answered else None
        if sb["records"] != records:
            raise HarnessError(f"the new active holds {sb['records']} records, not {records}")
        return r


def split_run(build: str, per_side: int, value_size: int) -> dict:
    with Cluster(build, "bench-split", netns=True) as c:
        a, b = c.netns_pair()
        a.start()
        b.start()
        a.wait_role("active")
        b.wait_role("standby")
        a.wait_peer_in_sync()
        ca, cb = Control(a.control), Control(b.control)
        c.net.cut("a")
        c.net.cut("b")
        b.wait_role("active", timeout=30)
        a.wait_for("peer down", lambda s: (s.get("peer") or {}).get("state") != "up", 30)
        loads = [threading.Thread(target=n.load, args=("sessions", per_side, value_size),
                                  kwargs={"prefix": f"{n.name}-", "timeout": 300})
                 for n in (a, b)]
        for t in loads:
            t.start()
        for t in loads:
            t.join()
        sa, sb = status(ca), status(cb)
        if sa["role"] != "active" or sb["role"] != "active":
            raise HarnessError(f"not both active before the heal: {sa['role']} {sb['role']}")
        if sa["records"] != per_side or sb["records"] != per_side:
            raise HarnessError(f"loads incomplete: {sa['records']} / {sb['records']}")

        # Node 1 redials every 1.1 s while the link is down (1 s connect timeout + 100 ms); a
        # random pause puts the heal at a random point of that cycle, so the wait for a fresh
        # attempt is sampled fairly instead of always the same.
        time.sleep(random.uniform(0, 1.1))
        c.net.restore("a")
        c.net.restore("b")
        offset = wall_minus_mono()
        t0 = time.monotonic()
        t_up = t_sync = None
        while t_sync is None:
            sa, sb = status(ca), status(cb)
            now = time.monotonic()
            if t_up is None and (sa.get("peer") or {}).get("state") == "up":
                t_up = now
            if in_sync(sa, sb):
                t_sync = now
            elif now - t0 > 300:
                raise HarnessError(f"not in sync 300 s after the heal: {sa} / {sb}")
            time.sleep(0.001)
        wall0 = t0 + offset

        def first(node, needle):
            l = log_times(node.log_path, needle, wall0)
            return (l[0][0] - wall0) * 1e3 if l else None, (l[0][1] if l else None)
        det_ms, det_line = first(a, "split-brain detected")
        end_ms, end_line = first(a, RECONCILED)
        if sa["records"] != 2 * per_side:
            raise HarnessError(f"merged set holds {sa['records']} records, not {2 * per_side}")
        return {
            "per_side": per_side, "to_peer_up_ms": (t_up - t0) * 1e3 if t_up else None,
            "to_split_brain_detected_log_ms": det_ms, "to_reconcile_end_log_ms": end_ms,
            "to_in_sync_ms": (t_sync - t0) * 1e3, "records_after": sa["records"],
            "receiver_log": end_line, "detected_log": det_line,
        }


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.0f} ms"


def summary(values: list[float]) -> str:
    v = [x for x in values if x is not None]
    if not v:
        return "n/a"
    return f"median {statistics.median(v):.0f} ms (min {min(v):.0f}, max {max(v):.0f}, n={len(v)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--records", type=int, default=200_000, help="(a) records on the active")
    ap.add_argument("--bulk-rate", type=int, default=100_000, help="(a) bulk sync records/s")
    ap.add_argument("--split-records", type=int, default=100_000, help="(b) records per side")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--only", choices=["switchover", "split"])
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    out: dict = {"build": args.build, "reps": args.reps}

    if args.only in (None, "switchover"):
        print(f"(a) switchover at 50% of a bulk sync of {args.records} records "
              f"(bulk_rate {args.bulk_rate}/s), reconciliation unpaced", flush=True)
        runs = []
        for i in range(args.reps):
            r = switchover_run(build, args.records, args.bulk_rate, args.value_size)
            runs.append(r)
            le = r["to_reconcile_end_log_ms"]
            print(f"  rep {i + 1}: switched at {r['switched_at']} ({r['remaining']} left); "
                  f"switchover answered {fmt(r['switchover_answered_ms'])}, reconciliation "
                  f"started {fmt(r['to_reconcile_start_log_ms'])} (log), sent "
                  f"{r['reconcile_sent']} records (status total {r['reconcile_total']}), ended "
                  f"{fmt(r['to_reconcile_end_polled_ms'])} (status) / {fmt(le[1])} / "
                  f"{fmt(le[2])} (logs of node 1 / 2); in sync with equal digests "
                  f"{fmt(r['to_in_sync_ms'])}", flush=True)
        out["switchover"] = runs
        print(f"  switchover -> reconciliation ends (old active leaves 'reconciling'): "
              f"{summary([r['to_reconcile_end_polled_ms'] for r in runs])}")
        print(f"  switchover -> receiver logs 'reconciliation ... complete':         "
              f"{summary([r['to_reconcile_end_log_ms'][2] for r in runs])}")
        print(f"  switchover -> pair in sync with equal digests:                      "
              f"{summary([r['to_in_sync_ms'] for r in runs])}")
        rates = [r["reconcile_sent"] / (r["to_reconcile_end_log_ms"][2] -
                                        r["to_reconcile_start_log_ms"]) * 1e3 for r in runs
                 if r["reconcile_sent"] and r["to_reconcile_start_log_ms"] is not None
                 and r["to_reconcile_end_log_ms"][2]
                 and r["to_reconcile_end_log_ms"][2] > r["to_reconcile_start_log_ms"]]
        if rates:
            print(f"  reconciliation throughput (log start to end): median "
                  f"{statistics.median(rates) / 1e3:.0f}k records/s")
        print(f"  records reconciled per run: "
              f"{sorted(set(r['reconcile_sent'] for r in runs if r['reconcile_sent']))}")
        if runs[0]["receiver_log"]:
            print(f"  e.g. {runs[0]['receiver_log']}")

    if args.only in (None, "split"):
        print(f"(b) split-brain healed with {args.split_records} distinct records written on "
              f"each side", flush=True)
        runs = []
        for i in range(args.reps):
            r = split_run(build, args.split_records, args.value_size)
            runs.append(r)
            print(f"  rep {i + 1}: peer up {fmt(r['to_peer_up_ms'])}, split-brain detected "
                  f"{fmt(r['to_split_brain_detected_log_ms'])} (log), reconciliation done "
                  f"{fmt(r['to_reconcile_end_log_ms'])} (log), in sync with equal digests "
                  f"{fmt(r['to_in_sync_ms'])}; {r['records_after']} records", flush=True)
        out["split"] = runs
        print(f"  heal -> peer up again:            {summary([r['to_peer_up_ms'] for r in runs])}")
        print(f"  heal -> reconciliation complete:  "
              f"{summary([r['to_reconcile_end_log_ms'] for r in runs])}")
        print(f"  heal -> equal digests, in sync:   {summary([r['to_in_sync_ms'] for r in runs])}")
        print("  (node 1 redials every 1.1 s while the link is down: a connect attempt times out "
              "after 1 s, the next starts 100 ms later; so 0-1.1 s of each figure is waiting "
              "for a fresh attempt)")
        up = [r for r in runs if r["to_peer_up_ms"] is not None]
        rec = [r["to_reconcile_end_log_ms"] - r["to_peer_up_ms"] for r in up
               if r["to_reconcile_end_log_ms"] is not None]
        print(f"  peer up -> reconciliation complete: {summary(rec)}")
        print(f"  peer up -> equal digests, in sync:  "
              f"{summary([r['to_in_sync_ms'] - r['to_peer_up_ms'] for r in up])}")
        if runs[0]["receiver_log"]:
            print(f"  e.g. {runs[0]['receiver_log']}")

    os.makedirs("bench/results", exist_ok=True)
    with open("bench/results/reconcile_figures.json", "w") as f:
        json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
