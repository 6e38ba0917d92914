"""Drives hasync_consumer_swarm (consumer_swarm.cc): many hasync::Consumer in one process, each
keeping a copy of its subscription, and compares their copies with a node's records.

Used by test_consumers.py, bench/consumer_failover.py and scripts/demo.sh. Standard library only.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import select
import struct
import subprocess
import time

from hasync_harness import HarnessError


def swarm_binary(build_dir: str) -> str:
    path = os.path.join(build_dir, "tests", "multiproc", "hasync_consumer_swarm")
    if not os.access(path, os.X_OK):
        raise HarnessError(f"{path} not found (it is built with the tests: "
                           f"cmake --build {build_dir} --target hasync_consumer_swarm)")
    return path


def records_digest(records: dict[str, str]) -> str:
    """What the swarm reports as a consumer's digest, over {key: value}: SHA-256 of the records
    in bytewise key order, each as a 4-byte big-endian length and the key, then the same for
    the value."""
    h = hashlib.sha256()
    for key, value in sorted((k.encode(), v.encode()) for k, v in records.items()):
        h.update(struct.pack(">I", len(key)) + key + struct.pack(">I", len(value)) + value)
    return h.hexdigest()


def subscription(records: dict[str, str], prefix: str) -> dict[str, str]:
    """The records a consumer of `prefix` (empty: the whole table) holds."""
    return {k: v for k, v in records.items() if k.startswith(prefix)}


class Subscriptions:
    """A node's table, sorted once, answering per prefix (many prefixes of a big table):
    the records under it, and their digest and count."""

    def __init__(self, records: dict[str, str]):
        self.records = records
        self.keys = sorted(records)  # code point order: the keys' UTF-8 byte order
        self._cache: dict[str, tuple[str, int]] = {}

    def keys_under(self, prefix: str) -> list[str]:
        lo = bisect.bisect_left(self.keys, prefix)
        hi = lo
        while hi < len(self.keys) and self.keys[hi].startswith(prefix):
            hi += 1
        return self.keys[lo:hi]

    def digest(self, prefix: str) -> tuple[str, int]:
        """(records_digest of the records under prefix, how many)."""
        if prefix not in self._cache:
            keys = self.keys_under(prefix)
            self._cache[prefix] = (records_digest({k: self.records[k] for k in keys}), len(keys))
        return self._cache[prefix]

    def size(self, prefix: str) -> tuple[int, int]:
        """(records, key+value bytes) under prefix."""
        keys = self.keys_under(prefix)
        return len(keys), sum(len(k.encode()) + len(self.records[k].encode()) for k in keys)


class Swarm:
    """One hasync_consumer_swarm process. `consumers` is a list of {"name", "prefix",
    "slow_ms"} (names unique); every consumer subscribes to `table` on `endpoints`. `netns`
    runs it inside that namespace. Its stderr (the consumers' logs) goes to `log_path`."""

    def __init__(self, binary: str, work_dir: str, endpoints: list[str], table: str,
                 consumers: list[dict], netns: str | None = None, dead_after_ms: int = 3000,
                 ping_interval_ms: int = 1000, reconnect_delay_ms: int = 100,
                 log_path: str | None = None, log_level: str = "info"):
        self.names = [c["name"] for c in consumers]
        if len(set(self.names)) != len(self.names):
            raise HarnessError("swarm consumers need unique names")
        self.consumers = {c["name"]: c for c in consumers}
        self.config_path = os.path.join(work_dir, "swarm.json")
        self.log_path = log_path or os.path.join(work_dir, "swarm.log")
        with open(self.config_path, "w") as f:
            json.dump({"endpoints": endpoints, "table": table, "consumers": consumers,
                       "dead_after_ms": dead_after_ms, "ping_interval_ms": ping_interval_ms,
                       "reconnect_delay_ms": reconnect_delay_ms, "log_level": log_level}, f)
        cmd = [binary, "--config", self.config_path]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self._log = open(self.log_path, "a")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, start_new_session=True)
        self._buf = b""
        ready = self._read_line(timeout=30)
        if ready.get("ready") != len(consumers):
            raise HarnessError(f"the swarm did not start its {len(consumers)} consumers: {ready}")

    def _read_line(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"the swarm did not answer within {timeout} s "
                                   f"(log {self.log_path})")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise HarnessError(f"the swarm exited ({self.proc.wait()}); "
                                       f"log {self.log_path}: {self.log_tail()}")
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def log_tail(self, n: int = 5) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(line.rstrip() for line in f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def status(self, timeout: float = 30, brief: bool = False) -> tuple[float, dict[str, dict]]:
        """(monotonic time of the report in seconds, {name: consumer report}). `brief`: without
        the digests, so that the swarm hashes nothing (a quick look while consumers work)."""
        try:
            self.proc.stdin.write(b"brief\n" if brief else b"status\n")
            self.proc.stdin.flush()
        except OSError as e:
            raise HarnessError(f"the swarm is gone ({e}); log {self.log_path}: {self.log_tail()}")
        r = self._read_line(timeout)
        return r["now_ms"] / 1000, {c["name"]: c for c in r["consumers"]}

    def mismatches(self, records: dict[str, str] | Subscriptions,
                   report: dict[str, dict]) -> list[str]:
        """The consumers whose copy differs from `records` (a node's table), described."""
        subs = records if isinstance(records, Subscriptions) else Subscriptions(records)
        out = []
        for name in self.names:
            prefix = self.consumers[name].get("prefix", "")
            digest, count = subs.digest(prefix)
            c = report[name]
            if c["digest"] != digest:
                out.append(f"{name} (prefix {prefix!r}): {c['records']} records, the node "
                           f"{count}; connected={c['connected']} node={c['node']} "
                           f"last_op={c['last_op']}")
        return out

    def wait_converged(self, records: dict[str, str] | Subscriptions, node: str,
                       timeout: float, poll: float = 0.1) -> tuple[float, dict[str, dict]]:
        """Until every consumer's copy equals its subscription of `records` (the table of the
        active node, consumer endpoint `node`) and every consumer is subscribed there.
        Returns (monotonic time first seen, the report then)."""
        subs = records if isinstance(records, Subscriptions) else Subscriptions(records)
        deadline = time.monotonic() + timeout
        while True:
            t, report = self.status()
            bad = self.mismatches(subs, report)
            bad += [f"{n} not subscribed on {node} (connected={c['connected']}, "
                    f"node={c['node']})" for n, c in report.items()
                    if not c["connected"] or c["node"] != node]
            if not bad:
                return t, report
            if time.monotonic() > deadline:
                raise HarnessError(f"{len(bad)} of {len(self.names)} consumers not in line after "
                                   f"{timeout} s: {bad[:6]}; swarm log {self.log_path}")
            time.sleep(poll)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
