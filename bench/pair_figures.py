#!/usr/bin/env python3
"""Issue 2's figures, measured on two real hasyncd processes on loopback.

  bench/pair_figures.py [--build build/release] [--records 1000000] [--value-size 200]

Prints, and writes as JSON to bench/results/pair_figures.json:
  - bulk sync: time from the standby's start until the active reports it in sync, for N records
    (records/s, MB/s of key+value bytes);
  - incremental: records/s the active applies and streams with a standby attached (`load`), and
    the time until the standby's digest equals the active's;
  - memory: RSS growth per record on the active (N records loaded) and the standby (after bulk);
  - failover: time from kill -9 of the active until the standby reports role=active. On loopback
    the dead process's kernel closes the connection, so this is the closed-connection path; the
    heartbeat-deadline path (network cut first) is measured by tests/multiproc in namespaces.
These are measurements, not tests: nothing here asserts a time.
"""
import argparse, json, os, signal, socket, subprocess, sys, tempfile, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, build, tmp, node_id, port, peer_port, priority):
        self.build, self.node_id = build, node_id
        self.sock = os.path.join(tmp, f"n{node_id}.sock")
        self.log = os.path.join(tmp, f"n{node_id}.log")
        self.args = [os.path.join(build, "src/hasyncd"), "--node-id", str(node_id),
                     "--priority", str(priority), "--listen", f"127.0.0.1:{port}",
                     "--peer", f"127.0.0.1:{peer_port}", "--control", self.sock,
                     "--log-level", "warn"]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"))
        deadline = time.time() + 10
        while not os.path.exists(self.sock):
            if time.time() > deadline:
                sys.exit(f"node {self.node_id} did not start; see {self.log}")
            time.sleep(0.01)

    def ctl(self, *args):
        out = subprocess.run([os.path.join(self.build, "src/hasyncctl"), "--control", self.sock,
                              *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"hasyncctl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def status(self):
        return json.loads(self.ctl("status", "--json"))

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for(predicate, timeout, step=0.002):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--value-size", type=int, default=200)
    args = ap.parse_args()
    n, vsize = args.records, args.value_size
    # The generator's keys are the prefix followed by the decimal index.
    payload_bytes = sum(len("session-") + len(str(i)) + vsize for i in range(n))
    tmp = tempfile.mkdtemp(prefix="hasync-bench-")
    p1, p2 = free_port(), free_port()
    a = Node(args.build, tmp, 1, p1, p2, 200)
    b = Node(args.build, tmp, 2, p2, p1, 100)
    results = {"records": n, "value_size": vsize}
    try:
        a.start()
        assert wait_for(lambda: a.status()["role"] == "active", 5)
        rss0 = a.rss_bytes()
        t = time.monotonic()
        a.ctl("load", "sessions", "--count", str(n), "--value-size", str(vsize), "--prefix", "session-")
        results["load_alone_records_per_s"] = n / (time.monotonic() - t)
        results["active_rss_per_record"] = (a.rss_bytes() - rss0) / n

        t = time.monotonic()
        b.start()
        ok = wait_for(lambda: a.status()["peer"].get("in_sync"), 300, 0.005)
        bulk = time.monotonic() - t
        if not ok:
            sys.exit("bulk sync did not finish")
        sa, sb = a.status(), b.status()
        results["bulk_sync_seconds"] = bulk
        results["bulk_sync_records_per_s"] = n / bulk
        results["bulk_sync_mb_per_s"] = payload_bytes / bulk / 1e6
        results["digests_equal_after_bulk"] = sa["digest"] == sb["digest"]
        # The standby's RSS before records arrive is roughly the active's before its load.
        results["standby_rss_per_record"] = (b.rss_bytes() - rss0) / n

        t = time.monotonic()
        a.ctl("load", "sessions", "--count", str(n), "--value-size", str(vsize), "--prefix", "update-")
        applied = time.monotonic() - t
        digest = a.status()["digest"]
        wait_for(lambda: b.status()["digest"] == digest, 120, 0.002)
        caught_up = time.monotonic() - t
        results["incremental_records_per_s_on_active"] = n / applied
        results["incremental_records_per_s_to_standby"] = n / caught_up

        t = time.monotonic()
        a.kill9()
        wait_for(lambda: b.status()["role"] == "active", 10, 0.001)
        results["kill9_to_active_ms_loopback"] = (time.monotonic() - t) * 1000
        results["records_on_survivor"] = b.status()["records"]
    finally:
        a.stop()
        b.stop()
    os.makedirs("bench/results", exist_ok=True)
    with open("bench/results/pair_figures.json", "w") as f:
        json.dump(results, f, indent=2)
    for k, v in results.items():
        print(f"{k:40s} {v:,.1f}" if isinstance(v, float) else f"{k:40s} {v}")


if __name__ == "__main__":
    main()
