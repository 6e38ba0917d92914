"""Hostile input against running hasyncd processes (issue 4): every case must end with the node
still serving, its records and digest unchanged, a log line naming the cause, and the counter of
that cause raised.

test_multiproc.py runs these tests with the others (HOSTILE_TESTS). Each test holds a node or a
pair with 10k records and runs its cases one after another; each case gets one line:

    <case>: <how the node ended the connection>; <counter> +N; log: <the line naming the cause>

and a test that had a failing case fails after running them all, naming each failure.

The frame-level cases need a node whose sync port takes the connection as its peer's: a node
alone (no peer address), in plain (insecure) mode. In that mode a client that speaks the
protocol correctly can join as the peer by design (TLS is what keeps it out), so these cases are
malformed or out-of-order input, and none of them is allowed to change a record. The certificate
cases run against a TLS node alone (a node with a connected peer closes any other connection
before its handshake); the floods against a pair, whose link must stay up, and against a TLS node
whose peer must still be able to join afterwards.

hasync_hostile_peer (tests/multiproc/hostile_peer.cc, built with the tests) sends the frames,
with the real wire encoders; the TLS clients are Python's ssl module.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field

from hasync_harness import Cluster, HarnessError, expect, hasyncd_accepts, info, make_certs

HOSTILE_TESTS = []


def hostile(fn):
    HOSTILE_TESTS.append(fn)
    return fn


# The counters (src/daemon/metrics.cc), as `Node.metrics()` keys.
def protocol_error(cls: str) -> str:
    return f'hasync_protocol_errors_total{{class="{cls}"}}'


def rejected(reason: str) -> str:
    return f'hasync_peers_rejected_total{{reason="{reason}"}}'


PEER_TIMEOUTS = "hasync_peer_timeouts_total"
CHANNELS_LOST = "hasync_channels_lost_total"
RATE_LIMITED = 'hasync_sync_connections_total{outcome="rate_limited"}'
STALLED = "hasync_peers_stalled_total"

RECORDS = 10000


def tool_path(build: str) -> str:
    p = os.path.join(build, "tests", "multiproc", "hasync_hostile_peer")
    if not os.access(p, os.X_OK):
        raise HarnessError(f"{p} not found: build the target hasync_hostile_peer "
                           f"(tests/multiproc/CMakeLists.txt)")
    return p


def run_tool(build: str, node, case: str, *args: str, wait_ms: int = 5000) -> dict:
    cmd = [tool_path(build), "--connect", node.listen, "--case", case, "--node-id",
           str(node.peer_id), "--target-id", str(node.node_id), "--cluster",
           node.options.get("cluster", "mp-test"), "--wait-ms", str(wait_ms), *args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=wait_ms / 1000 + 30)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise HarnessError(f"hostile peer {case}: exit {p.returncode}, no JSON: "
                           f"{p.stdout[-300:]!r} {p.stderr[-300:]!r}")


def tls_client(address: str, cert: str | None = None, key: str | None = None,
               wait: float = 5.0) -> dict:
    """A TLS 1.3 client to the node's sync port, with this certificate (or none). It does not
    check the node's certificate: the node is the one that must refuse. In TLS 1.3 the client's
    handshake completes before the server has checked the client's certificate, so the node's
    verdict comes after it: an alert, a close, or (were the client accepted) the node's hello."""
    host, port = address.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    out: dict = {"connected": False}
    try:
        raw = socket.create_connection((host, int(port)), timeout=wait)
    except OSError as e:
        out["close"] = f"connect failed: {e}"
        return out
    out["connected"] = True
    out["local"] = "%s:%d" % raw.getsockname()
    t0 = time.monotonic()
    try:
        with ctx.wrap_socket(raw) as s:
            out["handshake"] = "completed on the client side"
            data = s.recv(65536)
            out["close"] = "eof" if not data else f"ACCEPTED: the node sent {len(data)} bytes"
    except ssl.SSLError as e:
        out["close"] = f"TLS alert ({e.reason or e})"
    except (ConnectionResetError, BrokenPipeError):
        out["close"] = "reset"
    except (socket.timeout, TimeoutError):
        out["close"] = "open"
    finally:
        raw.close()
    out["close_ms"] = round((time.monotonic() - t0) * 1000)
    out["closed_by_node"] = out["close"] != "open" and not out["close"].startswith("ACCEPTED")
    return out


def silent_client(address: str, wait: float = 5.0) -> dict:
    """Connects and sends nothing: how long until the node cuts it?"""
    host, port = address.rsplit(":", 1)
    out: dict = {}
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        out["local"] = "%s:%d" % s.getsockname()
        t0 = time.monotonic()
        try:
            data = s.recv(65536)
            out["close"] = "eof" if not data else f"the node sent {len(data)} bytes, then ?"
            while data:
                data = s.recv(65536)
        except ConnectionResetError:
            out["close"] = "reset"
        except (socket.timeout, TimeoutError):
            out["close"] = "open"
        out["close_ms"] = round((time.monotonic() - t0) * 1000)
    out["closed_by_node"] = out["close"] != "open"
    return out


# --- checking one case ------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    run: object           # fn(target) -> dict (what the client saw)
    counter: object       # metrics key(s) that must rise, or fn(what the client saw) -> key
    log: str              # regex of the log line naming the cause
    address_in_log: bool = True   # the line must also name the client's address
    closed_by_node: bool = True   # the node (not the client) ends the connection
    goodbye: str | None = None    # regex of the Goodbye text the node must send first


@dataclass
class Outcome:
    case: str
    problems: list[str] = field(default_factory=list)
    line: str = ""


class Target:
    """The node the cases go to (and its peer, if it has one), with what must not change."""

    def __init__(self, build: str, node, peer=None):
        self.build, self.node, self.peer = build, node, peer
        # Writes go to the active: the node, or its peer if the node is the standby.
        self.active = peer if peer is not None and node.status()["role"] != "active" else node
        self.outcomes: list[Outcome] = []

    def _log_size(self) -> int:
        return os.path.getsize(self.node.log_path)

    def _new_log(self, offset: int) -> list[str]:
        with open(self.node.log_path, errors="replace") as f:
            f.seek(offset)
            return [l.rstrip() for l in f]

    def run(self, case: Case) -> Outcome:
        out = Outcome(case.name)
        nodes = [x for x in (self.node, self.peer) if x is not None]
        before = {x.name: x.status() for x in nodes}
        lost0 = {x.name: x.counter(CHANNELS_LOST) for x in nodes}
        metrics0 = self.node.metrics()
        offset = self._log_size()
        try:
            seen = case.run(self)
        except HarnessError as e:
            out.problems.append(f"the client failed: {e}")
            seen = {}
        if case.closed_by_node and not seen.get("closed_by_node"):
            out.problems.append(f"the node did not end the connection: {seen.get('close')}")
        said = (seen.get("goodbye") or {}).get("text")
        if case.goodbye and not re.search(case.goodbye, said or ""):
            out.problems.append(f"the node did not say goodbye with /{case.goodbye}/ first "
                                f"(goodbye: {said!r})")
        keys = case.counter(seen) if callable(case.counter) else case.counter
        keys = [keys] if isinstance(keys, str) else list(keys or [])
        metrics1, line = self._evidence(case, seen, keys, metrics0, offset, out.problems)
        for x in nodes:
            if not x.running():
                out.problems.append(f"{x.name} is not running: {x.log_tail(3)}")
                continue
            after = x.status()
            for k in ("records", "digest", "role"):
                if after.get(k) != before[x.name].get(k):
                    out.problems.append(f"{x.name}'s {k} changed: {before[x.name].get(k)} -> "
                                        f"{after.get(k)}")
        if self.active.running():  # it serves: a write (replicated in a pair), then undone
            probe = f"after-{case.name}"
            r = self.active.put("probe", probe, "ok", replicated=self.peer is not None)
            if r.rc != 0:
                out.problems.append(f"a put after the case failed: {r.message[:200]}")
            else:
                self.active.delete("probe", probe, replicated=self.peer is not None).ok()
        if self.peer is not None:
            st = self.node.status()
            if (st.get("peer") or {}).get("state") != "up":
                out.problems.append(f"the pair's link is down: {st.get('peer')}")
            for x in nodes:
                lost = x.counter(CHANNELS_LOST) - lost0[x.name]
                if lost:
                    out.problems.append(f"{x.name} lost the pair's sync channel {lost} times")
        counted = ", ".join(f"{k} +{int(metrics1[k] - metrics0.get(k, 0))}" if k in metrics1
                            else f"{k} missing" for k in keys) or "no counter"
        # Log lines start with the date and time; the rest says what happened.
        out.line = f"{case.name}: {describe(seen)}; {counted}; log: {line[24:24 + 200] or '(none)'}"
        info(out.line + ("" if not out.problems else "  <-- " + "; ".join(out.problems)))
        self.outcomes.append(out)
        return out

    def _evidence(self, case: Case, seen: dict, keys: list[str], metrics0: dict, offset: int,
                  problems: list[str]) -> tuple[dict, str]:
        """Waits (boundedly: they may trail the close by an event-loop turn) for the counters to
        rise and the log line to appear; notes what did not. Returns the metrics and the line."""
        local = seen.get("local", "")
        deadline = time.monotonic() + 5
        while True:
            metrics1 = self.node.metrics()
            lines = [l for l in self._new_log(offset) if re.search(case.log, l)]
            with_addr = [l for l in lines if local and local in l]
            risen = all(metrics1.get(k, 0) > metrics0.get(k, 0) for k in keys)
            if risen and (with_addr if case.address_in_log else lines) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        for k in keys:
            if k not in metrics1:
                family = k.split("{")[0]
                rows = [r for r in metrics1 if r.startswith(family)]
                problems.append(f"this hasyncd has no metric {k} (rows of {family}: "
                                f"{', '.join(rows) or 'none'})")
            elif metrics1[k] <= metrics0.get(k, 0):
                problems.append(f"{k} did not rise")
        line = (with_addr or lines or [""])[0]
        if not lines:
            problems.append(f"no new log line matches /{case.log}/")
        elif case.address_in_log and not with_addr:
            problems.append(f"the log line does not name the client's address {local}: "
                            f"{line[:200]}")
        return metrics1, line

    def verdict(self, what: str) -> None:
        verdict(self.outcomes, what)


def describe(seen: dict) -> str:
    """How the node ended the connection, as the client saw it."""
    if "attempted" in seen:  # a flood
        return (f"{seen['connected']} of {seen['attempted']} connections opened in "
                f"{seen['flood_ms']} ms, {seen['ended_by_node']} closed by the node, "
                f"{seen['still_open']} open at the end"
                + (f", connect errors {seen['connect_errors']}" if seen["connect_errors"] else ""))
    how = seen.get("close", "?")
    if seen.get("close_ms") is not None:
        how += f" after {seen['close_ms']} ms"
    if seen.get("seed") is not None:  # random-bytes: what to replay it with
        how += f" (--seed {seen['seed']}: length field {seen.get('first_length')})"
    if seen.get("goodbye"):
        how += f", goodbye {seen['goodbye'].get('text')!r}"
    return how


def verdict(outcomes: list[Outcome], what: str) -> None:
    """Fails naming every case that went wrong, once all have run."""
    bad = [o for o in outcomes if o.problems]
    info(f"{what}: {len(outcomes) - len(bad)} of {len(outcomes)} cases as expected")
    expect(not bad, f"{len(bad)} of {len(outcomes)} cases failed: " +
           " | ".join(f"{o.case}: {'; '.join(o.problems)}" for o in bad))


def tool_case(name: str, counter, log: str, *args: str, tool_case_name: str | None = None,
              wait_ms: int = 5000, **kw) -> Case:
    return Case(name, lambda t: run_tool(t.build, t.node, tool_case_name or name, *args,
                                         wait_ms=wait_ms), counter, log, **kw)


def lone_node(c: Cluster, records: int = RECORDS, value_size: int = 100, **options):
    """A node without a peer address: active alone, its sync port open to whoever connects."""
    n = c.single_node(**options)
    n.start()
    n.wait_role("active")
    n.load("sessions", records, value_size, prefix="base-")
    return n


def start_pair(a, b, records: int = RECORDS) -> None:
    a.start()
    a.wait_role("active")
    a.load("sessions", records, 100, prefix="base-")
    b.start()
    b.wait_role("standby")
    a.wait_peer_in_sync()


# --- the tests ----------------------------------------------------------------------------------


@hostile
def hostile_malformed_frames_change_nothing(build):
    with Cluster(build, "hostile-frames", tls="insecure") as c:
        t = Target(build, lone_node(c))
        for case in (
            tool_case("random-bytes", lambda seen: protocol_error(seen.get("expect_class", "?")),
                      r"(frame length \d+ below minimum|frame of \d+ bytes exceeds "
                      r"limit|checksum mismatch)"),
            tool_case("truncated-frame", PEER_TIMEOUTS, r"peer silent for \d+ heartbeat"),
            tool_case("truncated-frame-then-close", CHANNELS_LOST,
                      r"lost peer [\d.:]+: (peer closed the connection|Connection reset by peer)",
                      "--then-close",
                      tool_case_name="truncated-frame", closed_by_node=False),
            tool_case("oversized-frame", protocol_error("too_large"),
                      r"frame of \d+ bytes exceeds limit"),
            tool_case("bad-checksum", protocol_error("checksum"), "checksum mismatch"),
            tool_case("bad-header", protocol_error("header"), "flags 0x80"),
            tool_case("unknown-type", protocol_error("type"), "unknown message type 200"),
            tool_case("bad-sequence", protocol_error("sequence"), "frame seq 2, expected 1"),
            tool_case("bad-payload", protocol_error("payload"), r"hello: role is 7"),
            tool_case("length-too-small", protocol_error("length"),
                      "frame length 8 below minimum"),
        ):
            t.run(case)
        t.verdict("malformed frames")


@hostile
def hostile_frames_out_of_order_change_nothing(build):
    with Cluster(build, "hostile-order", tls="insecure") as c:
        t = Target(build, lone_node(c))
        before_hello = "the peer sent a frame before its hello"
        for name in ("records-before-hello", "bulk-begin-before-hello", "ack-before-hello",
                     "eof-before-hello", "switchover-response-before-hello"):
            t.run(tool_case(name, protocol_error("order"), before_hello))
        for case in (
            tool_case("eof-without-begin", protocol_error("order"),
                      "record EOF without a matching bulk begin"),
            tool_case("records-to-active", protocol_error("order"),
                      "replicated records received while active"),
            tool_case("bulk-begin-to-active", protocol_error("order"),
                      "unexpected bulk begin"),
            tool_case("second-hello", protocol_error("order"), "second hello"),
            tool_case("record-over-limit", protocol_error("limit"),
                      r"value length \d+ over limit"),
        ):
            t.run(case)
        t.verdict("frames out of order")


@hostile
def hostile_hellos_are_rejected(build):
    with Cluster(build, "hostile-hello", tls="insecure") as c:
        t = Target(build, lone_node(c))
        for case in (
            # protocol.md: the node sends Goodbye (rejected, saying why), then closes.
            tool_case("hello-other-cluster", rejected("cluster"),
                      r"rejected peer .*cluster 'mp-test-intruder', not 'mp-test'",
                      goodbye="cluster 'mp-test-intruder'"),
            tool_case("hello-other-version", rejected("version"),
                      r"rejected peer .*protocol v1, this node v3", goodbye="protocol v1"),
            tool_case("hello-same-node-id", rejected("node_id"),
                      r"rejected peer .*this node's id 9", goodbye="this node's id"),
            tool_case("hello-other-settings", rejected("settings"),
                      r"rejected peer .*shared settings differ", goodbye="shared settings"),
        ):
            t.run(case)
        t.verdict("hellos")


def require_limits(c: Cluster, *keys: str) -> None:
    missing = [k for k in keys if not hasyncd_accepts(c.hasyncd, "limits", k, 1000)]
    expect(not missing, f"this hasyncd does not know [limits] {', '.join(missing)}")


@hostile
def hostile_peer_without_valid_certificate_is_rejected(build):
    with Cluster(build, "hostile-tls", tls="cert") as c:
        require_limits(c, "handshake_timeout_ms")
        # A node alone: one with a connected peer closes any other connection at once, before
        # a handshake (the flood test checks that). node9's peer must present "node10".
        n = lone_node(c, extra={"limits": {"handshake_timeout_ms": 500}})
        other_ca = make_certs(os.path.join(c.dir, "other-ca"), "node10")  # the right name
        make_certs(c.tls_dir, "node11")  # the right CA, another name
        t = Target(build, n)
        failed = r"rejected peer [\d.:]+: TLS handshake failed"
        for case in (
            tool_case("plain-tcp-hello", rejected("tls"), failed, tool_case_name="plain-hello"),
            Case("tls-without-certificate", lambda t: tls_client(t.node.listen),
                 rejected("tls"), failed),
            Case("certificate-of-another-ca",
                 lambda t: tls_client(t.node.listen, os.path.join(other_ca, "node10.crt"),
                                      os.path.join(other_ca, "node10.key")),
                 rejected("tls"), failed),
            Case("certificate-with-wrong-name",
                 lambda t: tls_client(t.node.listen, os.path.join(c.tls_dir, "node11.crt"),
                                      os.path.join(c.tls_dir, "node11.key")),
                 rejected("identity"), failed + r".*node11"),
            Case("silent-no-handshake", lambda t: silent_client(t.node.listen),
                 rejected("handshake_timeout"), r"no TLS handshake within 500 ms"),
        ):
            t.run(case)
        t.verdict("peers without a valid certificate")


def flood(build, tls: str):
    with Cluster(build, f"hostile-flood-{tls}", tls=tls) as c:
        require_limits(c, "max_connections_per_second", "max_pending_handshakes")
        a, b = c.loopback_pair()
        start_pair(a, b)
        outcomes: list[Outcome] = []
        for target, peer in ((b, a), (a, b)):  # b accepted the pair's link; a is active
            t = Target(build, target, peer=peer)
            # One more connection while the pair is up: closed at once, whatever it says.
            outcomes.append(t.run(tool_case(f"second-connection-to-node{target.node_id}",
                                            'hasync_sync_connections_total{outcome="busy"}',
                                            r"closing a second peer connection from",
                                            tool_case_name="plain-hello")))
            served, failed = [0], []

            def run_flood(t_):
                # Replicated writes (each undone at once, so the data compares equal after)
                # keep going while the flood lasts: the pair must keep serving them.
                stop = threading.Event()

                def write():
                    i = 0
                    while not stop.is_set():
                        k = f"w{i}"
                        r = a.put("flood", k, "v", replicated=True)
                        if r.rc == 0:
                            served[0] += 1
                            r = a.delete("flood", k, replicated=True)
                        if r.rc != 0 and len(failed) < 3:
                            failed.append(r.message[:150])
                        i += 1

                w = threading.Thread(target=write, daemon=True)
                w.start()
                try:
                    return run_tool(build, t_.node, "flood", "--count", "200", "--duration-ms",
                                    "2000", wait_ms=3000)
                finally:
                    stop.set()
                    w.join(timeout=30)

            o = t.run(flood_case(f"flood-of-node{target.node_id}", run_flood, RATE_LIMITED))
            info(f"  {served[0]} replicated puts (and deletes) served during the flood"
                 + (f"; failures: {failed}" if failed else ""))
            if failed:
                o.problems.append(f"replicated writes failed during the flood: {failed}")
            outcomes.append(o)
        verdict(outcomes, "floods")


def flood_case(name: str, run, counters) -> Case:
    """A flood, whose every connection the node must end (the flood lasts 2 s, and the client
    waits 3 s more: past any handshake timeout of these tests)."""
    def checked(t):
        seen = run(t)
        seen["closed_by_node"] = seen.get("still_open", 1) == 0
        seen["close"] = f"{seen.get('still_open')} connections still open"
        return seen
    return Case(name, checked, counters,
                r"refused \d+ connections from 127\.0\.0\.1.*max_connections_per_second",
                address_in_log=False)


@hostile
def hostile_connection_flood_keeps_the_pair_up(build):
    flood(build, "insecure")


@hostile
def hostile_handshake_flood_leaves_room_for_the_peer(build):
    # A TLS node whose peer is not up yet: the connections the rate admits start handshakes
    # that never come, so they must be cut at handshake_timeout and no more than
    # max_pending_handshakes may wait at once; after the flood the real peer joins.
    with Cluster(build, "hostile-flood-tls", tls="cert") as c:
        require_limits(c, "max_connections_per_second", "max_pending_handshakes",
                       "handshake_timeout_ms")
        a, b = c.loopback_pair(extra={"limits": {"handshake_timeout_ms": 1000}})
        b.start()
        b.wait_role("active")
        b.load("sessions", RECORDS, 100, prefix="base-")
        t = Target(build, b)
        t.run(flood_case("tls-flood-of-a-node-alone",
                         lambda t_: run_tool(build, t_.node, "flood", "--count", "200",
                                             "--duration-ms", "2000", wait_ms=3000),
                         [RATE_LIMITED, 'hasync_sync_connections_total{outcome="busy"}',
                          rejected("handshake_timeout")]))
        t0 = time.monotonic()
        a.start()
        a.wait_role("standby", timeout=30)
        b.wait_peer_in_sync(timeout=30)
        info(f"  after the flood, node1 joined over TLS and was in sync "
             f"{(time.monotonic() - t0) * 1000:.0f} ms after it started; "
             f"{b.last_log_line('accepted peer')[24:]}")
        sa, sb = a.status(), b.status()
        expect((sa["records"], sa["digest"]) == (sb["records"], sb["digest"]),
               f"after the flood the pair differs: {sa['records']}/{sa['digest']} vs "
               f"{sb['records']}/{sb['digest']}")
        t.verdict("a flood of TLS handshakes")


@hostile
def hostile_peer_that_stops_reading_is_cut(build):
    with Cluster(build, "hostile-stall", tls="insecure") as c:
        require_limits(c, "stall_timeout_ms")
        # 20k records of 1000 bytes: a bulk sync of 20 MB, more than the node's socket buffer
        # and the client's window hold, so the node's writes stop moving.
        n = lone_node(c, records=20000, value_size=1000,
                      extra={"limits": {"stall_timeout_ms": 1000}})
        t = Target(build, n)
        rss0 = rss_bytes(n)
        peak = [rss0]
        served: list[str] = []
        stop = threading.Event()

        def watch():  # RSS while the client stalls, and the node answering meanwhile
            while not stop.is_set():
                peak[0] = max(peak[0], rss_bytes(n))
                st = n.status()
                if not served and (st.get("peer") or {}).get("state") == "up" and \
                        st.get("sync") == "bulk_sending":
                    r = n.put("probe", "during-stall", "ok")
                    served.append("put ok" if r.rc == 0 else f"put failed: {r.message[:100]}")
                    n.delete("probe", "during-stall")
                stop.wait(0.05)

        def stall(t_):
            w = threading.Thread(target=watch, daemon=True)
            w.start()
            try:
                return run_tool(build, t_.node, "stop-reading", wait_ms=30000)
            finally:
                stop.set()
                w.join(timeout=30)

        o = t.run(Case("stop-reading", stall, STALLED,
                       r"lost peer [\d.:]+: peer stopped reading"))
        growth = peak[0] - rss0
        info(f"  RSS {rss0 >> 20} MiB before, peak {peak[0] >> 20} MiB while stalled "
             f"(+{growth >> 20} MiB); during the stall: {', '.join(served) or 'no probe ran'}")
        # What the node may hold for a stalled peer: what the core sends without an
        # acknowledgement (a bulk sync pauses at 16 MiB in flight), in the link's two buffers.
        bound = 2 * (16 << 20) + (16 << 20)
        if growth > bound:
            o.problems.append(f"RSS grew {growth >> 20} MiB, over {bound >> 20} MiB")
        if not served or served[0] != "put ok":
            o.problems.append(f"the node did not serve a put while the client was stalled: "
                              f"{served[0] if served else 'the stall was never seen'}")
        t.verdict("a peer that stops reading")


def rss_bytes(node) -> int:
    with open(f"/proc/{node.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
