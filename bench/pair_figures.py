#!/usr/bin/env python3
"""Issue 2's figures, measured on two real hasyncd processes on loopback; issue 4's cost of TLS.

  bench/pair_figures.py [--build build/release] [--records 1000000] [--value-size 200]
                        [--tls insecure|cert|psk[,...]] [--reps N]

Prints, and writes as JSON to bench/results/pair_figures.json (one TLS mode) or
bench/results/pair_figures_tls.json (several, side by side):
  - bulk sync: time from the standby's start until the active reports it in sync, for N records
    (records/s, MB/s of key+value bytes);
  - incremental: records/s the active applies and streams with a standby attached (`load`), and
    the time until the standby's digest equals the active's;
  - memory: RSS growth per record on the active (N records loaded) and the standby (after bulk);
  - failover: time from kill -9 of the active until the standby reports role=active. On loopback
    the dead process's kernel closes the connection, so this is the closed-connection path; the
    heartbeat-deadline path (network cut first) is measured by tests/multiproc in namespaces.
--tls says how the sync channel is secured: insecure (plain TCP), cert (TLS 1.3, mutual
certificates of a lab CA made with scripts/hasync-certs), psk (TLS 1.3, pre-shared key); a
comma-separated list measures each, one after the other, --reps times each, and prints the
median (min-max) of every figure per mode.
These are measurements, not tests: nothing here asserts a time.
"""
import argparse, json, os, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "..", "scripts", "hasync-certs")
MODES = ("insecure", "cert", "psk")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_tls(hasyncd):
    """Whether this hasyncd has the [tls] section (older builds refuse it as unknown)."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write("[node]\nid = 1\n\n[tls]\ninsecure = true\n")
    try:
        return subprocess.run([hasyncd, "--config", f.name, "--check-config"],
                              capture_output=True).returncode == 0
    finally:
        os.unlink(f.name)


def tls_section(mode, tmp, name, peer_name, hasyncd):
    if mode == "cert":
        d = os.path.join(tmp, "tls")
        subprocess.run([CERTS, d, name, peer_name], check=True, capture_output=True)
        return {"certificate": f"{d}/{name}.crt", "private_key": f"{d}/{name}.key",
                "ca": f"{d}/ca.crt", "peer_name": peer_name}
    if mode == "psk":
        d = os.path.join(tmp, "tls")
        if not os.path.exists(f"{d}/psk.key"):
            subprocess.run([CERTS, "--psk", d], check=True, capture_output=True)
        return {"psk_file": f"{d}/psk.key"}
    return {"insecure": True} if has_tls(hasyncd) else {}


class Node:
    def __init__(self, build, tmp, node_id, port, peer_port, priority, tls):
        self.build, self.node_id = build, node_id
        self.sock = os.path.join(tmp, f"n{node_id}.sock")
        self.log = os.path.join(tmp, f"n{node_id}.log")
        hasyncd = os.path.join(build, "src/hasyncd")
        config = os.path.join(tmp, f"n{node_id}.toml")
        section = tls_section(tls, tmp, f"node{node_id}", f"node{3 - node_id}", hasyncd)
        with open(config, "w") as f:
            f.write(f"[node]\nid = {node_id}\n")
            if section:
                f.write("\n[tls]\n" + "".join(f"{k} = {json.dumps(v)}\n"
                                              for k, v in section.items()))
        self.args = [hasyncd, "--config", config, "--priority", str(priority),
                     "--listen", f"127.0.0.1:{port}", "--peer", f"127.0.0.1:{peer_port}",
                     "--control", self.sock, "--log-level", "warn"]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"))
        deadline = time.time() + 10
        while not os.path.exists(self.sock):
            if time.time() > deadline or self.proc.poll() is not None:
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


def measure(build, n, vsize, tls):
    """One run of every figure with the sync channel in mode `tls`."""
    # The generator's keys are the prefix followed by the decimal index.
    payload_bytes = sum(len("session-") + len(str(i)) + vsize for i in range(n))
    tmp = tempfile.mkdtemp(prefix="hasync-bench-")
    p1, p2 = free_port(), free_port()
    a = Node(build, tmp, 1, p1, p2, 200, tls)
    b = Node(build, tmp, 2, p2, p1, 100, tls)
    results = {"records": n, "value_size": vsize, "tls": tls}
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
            sys.exit(f"bulk sync did not finish; see {b.log}")
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
    return results


def summarise(runs):
    """Median and range of each numeric figure over the runs of one mode."""
    out = {}
    for k, v in runs[0].items():
        if isinstance(v, float):
            vals = [r[k] for r in runs]
            out[k] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
        else:
            out[k] = v if all(r[k] == v for r in runs) else [r[k] for r in runs]
    return out


def show(v):
    def num(x):
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"
    if isinstance(v, dict):
        return f"{num(v['median'])} ({num(v['min'])}-{num(v['max'])})"
    return num(v) if isinstance(v, float) else str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--value-size", type=int, default=200)
    ap.add_argument("--tls", default="insecure",
                    help="insecure, cert or psk; a comma-separated list measures each")
    ap.add_argument("--reps", type=int, default=1, help="runs per TLS mode (median and range)")
    args = ap.parse_args()
    modes = args.tls.split(",")
    for m in modes:
        if m not in MODES:
            sys.exit(f"--tls: {m!r} is not one of {', '.join(MODES)}")
    if any(m != "insecure" for m in modes) and not has_tls(os.path.join(args.build, "src/hasyncd")):
        sys.exit("this hasyncd has no [tls] section: only --tls insecure can be measured")
    by_mode = {}
    for rep in range(args.reps):  # modes interleaved, so load on the machine hits them alike
        for m in modes:
            by_mode.setdefault(m, []).append(measure(args.build, args.records, args.value_size, m))
    os.makedirs("bench/results", exist_ok=True)
    if len(modes) == 1 and args.reps == 1:
        results = by_mode[modes[0]][0]
        with open("bench/results/pair_figures.json", "w") as f:
            json.dump(results, f, indent=2)
        for k, v in results.items():
            print(f"{k:40s} {show(v)}")
        return
    summary = {m: summarise(runs) for m, runs in by_mode.items()}
    name = "pair_figures_tls.json" if len(modes) > 1 else "pair_figures.json"
    with open(f"bench/results/{name}", "w") as f:
        json.dump({"reps": args.reps, "by_tls": summary,
                   "runs": {m: runs for m, runs in by_mode.items()}}, f, indent=2)
    print(f"median (min-max) of {args.reps} run(s) per mode")
    print(f"{'':38s}" + "".join(f"{m:>32s}" for m in modes))
    for k in summary[modes[0]]:
        print(f"{k:38s}" + "".join(f"{show(summary[m][k]):>32s}" for m in modes))


if __name__ == "__main__":
    main()
