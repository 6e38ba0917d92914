"""Harness for multi-process tests: real hasyncd processes, real partitions.

A Cluster owns everything a test creates: a temp dir (configs, logs, control sockets), the
hasyncd processes, and optionally a pair of network namespaces joined by a veth. Cluster.close()
(called from a finally block, and again from atexit and on SIGTERM/SIGINT for whatever is still
open) kills every process it started, deletes its namespaces and removes its temp dir.

Partitions are real: a node in a namespace is cut by an nftables table inside its namespace that
drops everything on its veth, in both directions. A failed host is simulated by cutting its
network first and only then `kill -9`, so its kernel cannot send a FIN/RST for it and the peer
has to notice the failure by heartbeat timeout, as it would for a dead machine.

Only loopback (127.0.0.1) and addresses inside namespaces this harness creates are ever used.

Standard library only.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

# Every Cluster still open, so atexit and signal handlers can clean up after a crash.
_open_clusters: list["Cluster"] = []
_open_lock = threading.Lock()


class HarnessError(Exception):
    """A test precondition or expectation failed; the message says what and where."""


def info(msg: str) -> None:
    """A measurement or observation, printed indented above the test's PASS/FAIL line."""
    print(f"    {msg}", flush=True)


def expect(cond, msg: str) -> None:
    if not cond:
        raise HarnessError(msg)


def _cleanup_all() -> None:
    with _open_lock:
        clusters = list(_open_clusters)
    for c in clusters:
        c.close()


def _on_signal(signum, _frame):
    _cleanup_all()
    raise SystemExit(128 + signum)


atexit.register(_cleanup_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except (ValueError, OSError):  # not the main thread
        pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen_host(address: str) -> str:
    """The host part of a numeric ip:port or [ip6]:port."""
    return address.rsplit(":", 1)[0]


def toml_value(v) -> str:
    """A Python value as a TOML value: bool, int, str or a list of those."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


_probe_cache: dict[tuple, bool] = {}


def _check_config(hasyncd: str, text: str) -> bool:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([hasyncd, "--config", path, "--check-config"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
        return p.returncode == 0
    finally:
        os.unlink(path)


def hasyncd_accepts(hasyncd: str, section: str, key: str, value) -> bool:
    """Whether this hasyncd build knows config key [section] key (checked with --check-config,
    which refuses unknown keys), so a test can tell a missing feature from a failure.

    A hasyncd with TLS refuses a config that chooses no [tls] mode, so the probe of any other
    key carries `[tls] insecure = true` when this hasyncd knows it."""
    k = (hasyncd, section, key)
    if k not in _probe_cache:
        text = f"[node]\nid = 1\n\n[{section}]\n{key} = {toml_value(value)}\n"
        if section != "tls" and tls_supported(hasyncd):
            text += "\n[tls]\ninsecure = true\n"
        _probe_cache[k] = _check_config(hasyncd, text)
    return _probe_cache[k]


def tls_supported(hasyncd: str) -> bool:
    """Whether this hasyncd has the [tls] section (TLS on the sync channel)."""
    return hasyncd_accepts(hasyncd, "tls", "insecure", True)


def cli_has_option(tool: str, subcommand: list[str], option: str) -> bool:
    """Whether `tool subcommand --help` lists `option`."""
    p = subprocess.run([tool, *subcommand, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=10)
    return option in p.stdout


def run(cmd: list[str], timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def netns_available() -> str | None:
    """None if network namespaces and nftables can be used here, else why not."""
    if os.geteuid() != 0:
        return "network-namespace tests need root (CI runs them as root)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"'{tool}' not found (install iproute2 and nftables: scripts/install-deps.sh)"
    probe = f"hs-{secrets.token_hex(3)}-probe"
    p = subprocess.run(["ip", "netns", "add", probe], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        return f"'ip netns add' failed: {p.stderr.strip()}"
    try:
        q = subprocess.run(["ip", "netns", "exec", probe, "nft", "list", "ruleset"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if q.returncode != 0:
            return f"nft does not work inside a namespace: {q.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", probe], stderr=subprocess.DEVNULL)
    return None


class Ctl:
    """Result of one hasyncctl call."""

    def __init__(self, args: list[str], p: subprocess.CompletedProcess):
        self.args = args
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    @property
    def message(self) -> str:
        return (self.out + self.err).strip()

    def json(self):
        try:
            return json.loads(self.out)
        except json.JSONDecodeError as e:
            raise HarnessError(f"hasyncctl {' '.join(self.args)}: not JSON ({e}): "
                               f"{self.out[:300]!r} {self.err[:300]!r}")

    def ok(self) -> "Ctl":
        if self.rc != 0:
            raise HarnessError(f"hasyncctl {' '.join(self.args)} exited {self.rc}: "
                               f"{self.message[:500]}")
        return self


class Control:
    """A persistent connection to a node's control socket (newline-delimited JSON), for many
    requests in little time: status polls every millisecond, thousands of writes."""

    def __init__(self, path: str, timeout: float = 60):
        self.path, self.timeout = path, timeout
        self.sock: socket.socket | None = None
        self.f = None

    def _connect(self):
        if self.f is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(self.timeout)
            self.sock.connect(self.path)
            self.f = self.sock.makefile("rwb")
        return self.f

    def call(self, cmd: str, **fields) -> dict:
        return self.pipeline([{"cmd": cmd, **fields}])[0]

    def pipeline(self, requests: list[dict], chunk: int = 256) -> list[dict]:
        """Sends the requests in chunks (the responses of one chunk are read before the next is
        sent, so neither side's buffers fill up); returns the responses in order."""
        out = []
        try:
            f = self._connect()
            for i in range(0, len(requests), chunk):
                part = requests[i:i + chunk]
                f.write(b"".join(json.dumps(r).encode() + b"\n" for r in part))
                f.flush()
                for _ in part:
                    line = f.readline()
                    if not line:
                        raise HarnessError(f"{self.path}: the daemon closed the connection")
                    out.append(json.loads(line))
        except (OSError, ValueError) as e:
            self.close()
            raise HarnessError(f"{self.path}: {e}")
        return out

    def close(self) -> None:
        for c in (self.f, self.sock):
            if c is not None:
                try:
                    c.close()
                except OSError:
                    pass
        self.f = self.sock = None


class Node:
    """One hasyncd process: its config, log, control socket and (once started) its process."""

    def __init__(self, cluster: "Cluster", node_id: int, peer_id: int, priority: int, listen: str,
                 peer: str, netns: str | None = None, **options):
        self.cluster = cluster
        self.node_id = node_id
        self.peer_id = peer_id
        self.priority = priority
        self.listen = listen
        self.peer = peer
        self.netns = netns
        self.options = options
        self.name = f"node{node_id}"
        d = cluster.dir
        self.config_path = os.path.join(d, f"{self.name}.toml")
        self.control = os.path.join(d, f"{self.name}.sock")
        self.log_path = os.path.join(d, f"{self.name}.log")
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        # The consumer port ([consumers], issue 6): on when the `consumers` option is a dict of
        # its keys. Without a `listen` there, the node's sync address with port 7402 in a
        # namespace, else a free loopback port (the two nodes of a loopback pair cannot both
        # take the default 127.0.0.1:7402).
        self.consumer_endpoint: str | None = None
        if options.get("consumers") is not None:
            listen = options["consumers"].get("listen")
            if listen is None:
                host = listen_host(self.listen)
                listen = f"{host}:7402" if netns else f"{host}:{free_port()}"
            self.consumer_endpoint = listen
        self._write_config()

    def _write_config(self) -> None:
        o = self.options
        sections: dict[str, dict] = {
            "node": {"id": self.node_id, "priority": self.priority,
                     "cluster": o.get("cluster", "mp-test"), "preempt": bool(o.get("preempt"))},
            "sync": {"listen": self.listen, "peer": self.peer, "peer_id": self.peer_id,
                     "heartbeat_interval_ms": o.get("heartbeat_interval_ms", 50),
                     "dead_after_missed": o.get("dead_after_missed", 3),
                     "startup_wait_ms": o.get("startup_wait_ms", 500),
                     "bulk_rate": o.get("bulk_rate", 0)},
            "control": {"socket": self.control},
            "log": {"level": o.get("log_level", "info")},
        }
        # Keys that older daemons do not know are written only when a test asks for them.
        if o.get("reconcile_rate") is not None:
            sections["sync"]["reconcile_rate"] = int(o["reconcile_rate"])
        tls = self.cluster.tls_section(self)
        if tls:
            sections["tls"] = tls
        if self.consumer_endpoint is not None:
            sections["consumers"] = dict(o["consumers"], listen=self.consumer_endpoint)
        for section, keys in (o.get("extra") or {}).items():
            sections.setdefault(section, {}).update(keys)
        lines = []
        for section, keys in sections.items():
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in keys.items()]
            lines.append("")
        for pool in o.get("pools") or []:  # address pools: an array of tables
            lines.append("[[pool]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in pool.items()]
            lines.append("")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines))

    # --- process -------------------------------------------------------------------------

    def start(self) -> "Node":
        if self.running():
            raise HarnessError(f"{self.name} is already running")
        if os.path.exists(self.control):
            os.unlink(self.control)  # left by a kill -9
        cmd = [self.cluster.hasyncd, "--config", self.config_path]
        if self.netns:
            # `ip netns exec` execs the command in place, so the pid is hasyncd's own.
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        self.starts += 1
        log = open(self.log_path, "a")
        log.write(f"\n===== harness: start #{self.starts}: {' '.join(cmd)}\n")
        log.flush()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.wait_control()
        if self.cluster.tls != "insecure":  # a TLS run must not pass over plain TCP
            line = self.last_log_line("sync: listening on")
            if "TLS" not in line or "insecure" in line:
                raise HarnessError(f"{self.name} was configured for TLS ({self.cluster.tls}) but "
                                   f"its sync listener says: {line}")
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_control(self, timeout: float = 10) -> None:
        """Until the control socket answers a status request."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.running():
                raise HarnessError(f"{self.name} exited with {self.proc.returncode} at start; "
                                   f"log {self.log_path}: {self.log_tail()}")
            if os.path.exists(self.control):
                r = self.ctl("status", "--json", timeout=5)
                if r.rc == 0:
                    return
                last = r.message
            time.sleep(0.02)
        raise HarnessError(f"{self.name}: control socket {self.control} not answering after "
                           f"{timeout} s ({last}); log {self.log_path}")

    def kill9(self) -> float:
        """SIGKILL; returns the monotonic time the signal was sent."""
        if not self.running():
            raise HarnessError(f"{self.name} is not running")
        t = time.monotonic()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return t

    def terminate(self, timeout: float = 10) -> tuple[float, int]:
        """SIGTERM; returns (time sent, exit code). Fails if it does not exit within timeout."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{self.name} did not exit within {timeout} s of SIGTERM")
        return t, rc

    def log_tail(self, n: int = 8) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(l.rstrip() for l in f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def last_log_line(self, contains: str) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                lines = [l.rstrip() for l in f if contains in l]
        except OSError:
            return "(no log)"
        return lines[-1] if lines else f"(no line with {contains!r})"

    # --- control socket ------------------------------------------------------------------

    def ctl(self, *args: str, timeout: float = 30) -> Ctl:
        cmd = [self.cluster.hasyncctl, "--control", self.control, *args]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{self.name}: hasyncctl {' '.join(args)} hung for {timeout} s")
        return Ctl(list(args), p)

    def status(self) -> dict:
        return self.ctl("status", "--json", timeout=10).ok().json()

    def put(self, table: str, key: str, value: str, replicated: bool = False,
            intent: str | None = None, timeout: float = 30) -> Ctl:
        args = ["put", table, key, value] + (["--replicated"] if replicated else [])
        if intent is not None:
            args += ["--intent", intent]
        return self.ctl(*args, timeout=timeout)

    def delete(self, table: str, key: str, replicated: bool = False,
               intent: str | None = None) -> Ctl:
        args = ["del", table, key] + (["--replicated"] if replicated else [])
        if intent is not None:
            args += ["--intent", intent]
        return self.ctl(*args)

    def get(self, table: str, key: str) -> Ctl:
        return self.ctl("get", table, key)

    def load(self, table: str, count: int, value_size: int, prefix: str | None = None,
             timeout: float = 120) -> Ctl:
        args = ["load", table, "--count", str(count), "--value-size", str(value_size)]
        if prefix is not None:
            args += ["--prefix", prefix]
        return self.ctl(*args, timeout=timeout).ok()

    def metrics(self) -> dict[str, float]:
        """The Prometheus text of `metrics` as {name or name{labels}: value}."""
        out: dict[str, float] = {}
        for line in self.ctl("metrics", timeout=10).ok().out.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def counter(self, name: str) -> int:
        m = self.metrics()
        if name not in m:
            raise HarnessError(f"{self.name}: no metric {name}")
        return int(m[name])

    def digest(self) -> str:
        return str(self.status()["digest"])

    def apply(self, table: str, ops: list[tuple]) -> None:
        """Writes over one control connection: ("put", key, value) or ("del", key) each.
        Fails on the first refused write."""
        reqs = [{"cmd": "put", "table": table, "key": o[1], "value": o[2]} if o[0] == "put"
                else {"cmd": "del", "table": table, "key": o[1]} for o in ops]
        c = Control(self.control)
        try:
            for op, r in zip(ops, c.pipeline(reqs)):
                if not r.get("ok"):
                    raise HarnessError(f"{self.name}: {op[0]} {op[1]!r} refused: {r}")
        finally:
            c.close()

    def dump(self, table: str) -> dict[str, str]:
        """Every record of a table as {key: value}. `dump --json` prints one
        {"table", "key", "value", "rvn"} object per line."""
        r = self.ctl("dump", table, "--json", timeout=120).ok()
        out: dict[str, str] = {}
        for line in r.out.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise HarnessError(f"{self.name}: dump line is not JSON ({e}): {line[:200]!r}")
            if "key" in rec and rec.get("table", table) == table:
                out[rec["key"]] = rec.get("value")
        return out

    def wait_for(self, what: str, pred, timeout: float, poll: float = 0.01) -> tuple[dict, float]:
        """Polls status until pred(status) holds. Returns (status, monotonic time it held)."""
        deadline = time.monotonic() + timeout
        st = {}
        while True:
            r = self.ctl("status", "--json", timeout=10)
            now = time.monotonic()
            if r.rc == 0:
                st = r.json()
                if pred(st):
                    return st, now
            if now > deadline:
                raise HarnessError(f"{self.name}: not {what} after {timeout} s; last status "
                                   f"{json.dumps(st)}; log {self.log_path}: {self.log_tail(4)}")
            if not self.running():
                raise HarnessError(f"{self.name} exited ({self.proc.returncode}) while waiting "
                                   f"for {what}; log: {self.log_tail()}")
            time.sleep(poll)

    def wait_role(self, role: str, timeout: float = 15, poll: float = 0.01) -> tuple[dict, float]:
        return self.wait_for(f"role={role}", lambda s: s.get("role") == role, timeout, poll)

    def wait_peer_in_sync(self, timeout: float = 60) -> dict:
        """Until this (active) node sees its peer up and in sync with nothing unacknowledged."""
        def ok(s):
            p = s.get("peer") or {}
            return (p.get("state") == "up" and p.get("in_sync") is True
                    and s.get("sync") == "idle" and int(s.get("unacked_bytes", 0)) == 0)
        return self.wait_for("peer in sync", ok, timeout, poll=0.05)[0]


class NetnsPair:
    """Two namespaces hs-<rand>-a and hs-<rand>-b joined by a veth pair, link-local addresses."""

    def __init__(self):
        tag = secrets.token_hex(3)
        self.ns = {"a": f"hs-{tag}-a", "b": f"hs-{tag}-b"}
        self.dev = {"a": f"hs{tag}a", "b": f"hs{tag}b"}
        self.addr = {"a": "169.254.77.1", "b": "169.254.77.2"}
        self.cut_sides: set[str] = set()
        self._created: list[str] = []
        try:
            for side in ("a", "b"):
                run(["ip", "netns", "add", self.ns[side]])
                self._created.append(self.ns[side])
                run(["ip", "-n", self.ns[side], "link", "set", "lo", "up"])
            run(["ip", "link", "add", self.dev["a"], "netns", self.ns["a"], "type", "veth",
                 "peer", "name", self.dev["b"], "netns", self.ns["b"]])
            for side in ("a", "b"):
                run(["ip", "-n", self.ns[side], "addr", "add", f"{self.addr[side]}/30", "dev",
                     self.dev[side]])
                run(["ip", "-n", self.ns[side], "link", "set", self.dev[side], "up"])
        except Exception:
            self.close()
            raise

    def cut(self, side: str) -> None:
        """Drops every packet in and out of this side's veth, inside its own namespace."""
        dev = self.dev[side]
        rules = (f"table inet hasync_cut {{\n"
                 f"  chain in {{ type filter hook input priority -300; policy accept;\n"
                 f"    iifname \"{dev}\" drop; }}\n"
                 f"  chain out {{ type filter hook output priority -300; policy accept;\n"
                 f"    oifname \"{dev}\" drop; }}\n"
                 f"}}\n")
        p = subprocess.run(["ip", "netns", "exec", self.ns[side], "nft", "-f", "-"], input=rules,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
        if p.returncode != 0:
            raise HarnessError(f"nft cut of {self.ns[side]} failed: {p.stderr.strip()}")
        self.cut_sides.add(side)

    def restore(self, side: str) -> None:
        run(["ip", "netns", "exec", self.ns[side], "nft", "delete", "table", "inet", "hasync_cut"])
        self.cut_sides.discard(side)

    def close(self) -> None:
        for ns in self._created:
            # Anything still running in our namespace was started by this harness.
            p = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            for pid in p.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self._created = []


HASYNC_CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                            "hasync-certs")
TLS_MODES = ("insecure", "cert", "psk")


def make_certs(directory: str, *names: str) -> str:
    """A lab CA in `directory` (made once) and a certificate and key for each name, by
    scripts/hasync-certs: directory/ca.crt, directory/NAME.crt, directory/NAME.key."""
    run([HASYNC_CERTS, directory, *names])
    return directory


class Cluster:
    """Everything one test starts; close() undoes all of it. Use as a context manager.

    If the `with` block raises (or HASYNC_MP_KEEP_LOGS is set) and Cluster.failure_log_dir is
    set, the node logs are copied there before the temp dir goes.

    `tls` secures the sync channel of every node of the cluster: "insecure" (plain TCP; written
    as `[tls] insecure = true` only where this hasyncd knows the key), "cert" (mutual TLS; each
    node<id> gets a certificate of one lab CA made in the cluster's dir, and peer_name is
    node<peer id>) or "psk" (one pre-shared key). None takes HASYNC_MP_TLS, so a whole run of
    the tests can use TLS, and "insecure" when that is not set.
    """

    failure_log_dir: str | None = None

    def __init__(self, build_dir: str, name: str, netns: bool = False, tls: str | None = None):
        self.hasyncd = os.path.join(build_dir, "src", "hasyncd")
        self.hasyncctl = os.path.join(build_dir, "src", "hasyncctl")
        for b in (self.hasyncd, self.hasyncctl):
            if not os.access(b, os.X_OK):
                raise HarnessError(f"{b} not found or not executable (build it first)")
        self.tls = tls or os.environ.get("HASYNC_MP_TLS") or "insecure"
        if self.tls not in TLS_MODES:
            raise HarnessError(f"TLS mode {self.tls!r} is not one of {', '.join(TLS_MODES)}")
        if self.tls != "insecure" and not tls_supported(self.hasyncd):
            raise HarnessError(f"TLS mode {self.tls!r} asked for, but this hasyncd has no [tls] "
                               f"section (the sync channel has no TLS yet)")
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"hasync-mp-{name}-")
        self.tls_dir = os.path.join(self.dir, "tls")
        self.nodes: list[Node] = []
        self.helpers: list[subprocess.Popen] = []  # other processes a test started (adopt)
        self.net: NetnsPair | None = None
        self._closed = False
        with _open_lock:
            _open_clusters.append(self)
        if netns:
            why = netns_available()
            if why:
                self.close()
                raise HarnessError(why)
            self.net = NetnsPair()

    def __enter__(self):
        return self

    def tls_section(self, node: "Node") -> dict:
        """The [tls] keys of `node` in this cluster's mode ({} where the daemon has no TLS)."""
        if self.tls == "cert":
            peer_name = f"node{node.peer_id}"
            make_certs(self.tls_dir, node.name, peer_name)
            return {"certificate": os.path.join(self.tls_dir, f"{node.name}.crt"),
                    "private_key": os.path.join(self.tls_dir, f"{node.name}.key"),
                    "ca": os.path.join(self.tls_dir, "ca.crt"), "peer_name": peer_name}
        if self.tls == "psk":
            psk = os.path.join(self.tls_dir, "psk.key")
            if not os.path.exists(psk):
                run([HASYNC_CERTS, "--psk", self.tls_dir])
            return {"psk_file": psk}
        return {"insecure": True} if tls_supported(self.hasyncd) else {}

    def __exit__(self, exc_type, exc, tb):
        keep = exc_type is not None or os.environ.get("HASYNC_MP_KEEP_LOGS")
        if keep and Cluster.failure_log_dir:
            try:
                self.save_logs(Cluster.failure_log_dir)
            except OSError:
                pass
        self.close()
        return False

    def loopback_pair(self, ids=(1, 2), priorities=(200, 100), **options) -> tuple[Node, Node]:
        """Two nodes on 127.0.0.1 with free ports, not started. The first id should rank higher."""
        pa, pb = free_port(), free_port()
        a = Node(self, ids[0], ids[1], priorities[0], f"127.0.0.1:{pa}", f"127.0.0.1:{pb}",
                 **options)
        b = Node(self, ids[1], ids[0], priorities[1], f"127.0.0.1:{pb}", f"127.0.0.1:{pa}",
                 **options)
        self.nodes += [a, b]
        return a, b

    def netns_pair(self, ids=(1, 2), priorities=(200, 100), port: int = 7400,
                   **options) -> tuple[Node, Node]:
        """Node a in namespace a, node b in namespace b, talking over the veth."""
        n = self.net
        a = Node(self, ids[0], ids[1], priorities[0], f"{n.addr['a']}:{port}",
                 f"{n.addr['b']}:{port}", netns=n.ns["a"], **options)
        b = Node(self, ids[1], ids[0], priorities[1], f"{n.addr['b']}:{port}",
                 f"{n.addr['a']}:{port}", netns=n.ns["b"], **options)
        self.nodes += [a, b]
        return a, b

    def single_node(self, node_id: int = 9, **options) -> Node:
        """A node without a peer (not started): e.g. a reference holding the set a pair should
        end with, to compare digests with."""
        n = Node(self, node_id, node_id + 1, 100, f"127.0.0.1:{free_port()}", "",
                 startup_wait_ms=0, **options)
        self.nodes.append(n)
        return n

    def adopt(self, proc: subprocess.Popen) -> subprocess.Popen:
        """A process the test started (a consumer swarm, a client): killed by close()."""
        self.helpers.append(proc)
        return proc

    def save_logs(self, dest: str) -> str:
        os.makedirs(dest, exist_ok=True)
        logs = {n.log_path for n in self.nodes}
        if os.path.isdir(self.dir):  # and the logs of helpers (a swarm's stderr) kept there
            logs |= {os.path.join(self.dir, f) for f in os.listdir(self.dir) if f.endswith(".log")}
        for path in sorted(logs):
            if os.path.exists(path):
                shutil.copy(path, dest)
        return dest

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for h in self.helpers:
            if h.poll() is None:
                try:
                    h.kill()
                    h.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        for n in self.nodes:
            if n.running():
                try:
                    os.kill(n.proc.pid, signal.SIGKILL)
                    n.proc.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        if self.net:
            self.net.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        with _open_lock:
            if self in _open_clusters:
                _open_clusters.remove(self)


class Writer:
    """A background thread issuing puts to a node until stopped; remembers what was acknowledged.

    Each put is one hasyncctl process, as an application using the CLI would issue it. `acked`
    maps key -> value for every put that exited 0; `failed` counts the others.
    """

    def __init__(self, node: Node, table: str, prefix: str, replicated: bool,
                 value_size: int = 32, stop_on_error: bool = False):
        self.node = node
        self.table = table
        self.prefix = prefix
        self.replicated = replicated
        self.value_size = value_size
        self.stop_on_error = stop_on_error
        self.acked: dict[str, str] = {}
        self.acked_at: list[float] = []
        self.failed = 0
        self.errors: list[str] = []
        self.issued = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Writer":
        self._thread.start()
        return self

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            key = f"{self.prefix}{i:07d}"
            value = (f"v{i}-" + "x" * self.value_size)[: self.value_size]
            i += 1
            self.issued += 1
            try:
                r = self.node.put(self.table, key, value, replicated=self.replicated)
            except HarnessError as e:
                r = None
                err = str(e)
            if r is not None and r.rc == 0:
                self.acked[key] = value
                self.acked_at.append(time.monotonic())
            else:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append(err if r is None else f"rc={r.rc} {r.message[:200]}")
                if self.stop_on_error:
                    return
                time.sleep(0.01)

    def stop(self) -> "Writer":
        self._stop.set()
        self._thread.join(timeout=60)
        return self
