"""Address pools across real failures (issue 5): allocations hammer both nodes of a pair split
by a real partition (network namespaces, nftables), and after the heal no address has two
clients, both nodes hold the same leases, and every lease granted and not released is there.

test_multiproc.py runs these tests with the others (POOL_TESTS). Requests go over one control
connection per node, pipelined, as a DHCP front end would send them.

Pool "subs" is 10.99.0.0/24 minus .0 and .255 (254 addresses, ordinals 0..253 for .1...254),
or 10.99.0.0/20 minus its first and last (4094 addresses) where the test hammers. Node 1 (the
lower id) owns the even ordinals, i.e. the odd addresses; node 2 the others.
"""

from __future__ import annotations

import ipaddress
import threading
import time

from hasync_harness import Cluster, Control, HarnessError, expect, info

POOL_TESTS = []


def pool_test(fn):
    POOL_TESTS.append(fn)
    return fn


POOL = {"name": "subs", "ranges": ["10.99.0.0/24"], "exclude": ["10.99.0.0", "10.99.0.255"],
        "lease_time_s": 600, "grace_s": 30, "share": "odd-even"}
POOL_SIZE = 254
BIG_POOL = dict(POOL, ranges=["10.99.0.0/20"], exclude=["10.99.0.0", "10.99.15.255"])
BIG_POOL_SIZE = 4094


def ordinal(address: str) -> int:
    return int(ipaddress.ip_address(address)) - int(ipaddress.ip_address("10.99.0.1"))


def owner(address: str) -> int:
    """The node id owning the address's share (odd-even: node 1 the even ordinals)."""
    return 1 if ordinal(address) % 2 == 0 else 2


def lease_of(response: dict) -> dict:
    return response.get("lease", response)


def allocate(conn: Control, clients: list[str]) -> tuple[dict[str, str], dict[str, int]]:
    """Pipelined allocations: ({client: address} of those granted, {error code: count})."""
    got: dict[str, str] = {}
    errors: dict[str, int] = {}
    replies = conn.pipeline([{"cmd": "pool.alloc", "pool": "subs", "client": c} for c in clients])
    for client, r in zip(clients, replies):
        if r.get("ok"):
            lease = lease_of(r)
            expect(lease.get("client") == client,
                   f"allocate for {client} answered a lease of {lease.get('client')}")
            got[client] = lease["address"]
        else:
            errors[r.get("code", "?")] = errors.get(r.get("code", "?"), 0) + 1
    return got, errors


def leases(conn: Control) -> dict[str, dict]:
    """Every lease record of the pool on that node, by address, as both nodes store it (without
    own_share, which is each node's own view)."""
    r = conn.call("pool.list", pool="subs", limit=10000)
    expect(r.get("ok"), f"pool.list failed: {r}")
    return {lease["address"]: {k: v for k, v in lease.items() if k not in ("own_share",
                                                                             "extended")}
            for lease in r["leases"]}


def usage(conn: Control) -> dict:
    r = conn.call("pool.show", pool="subs")
    expect(r.get("ok"), f"pool.show failed: {r}")
    return r.get("usage", r)


def start_pool_pair(c: Cluster, pool: dict = POOL):
    a, b = c.netns_pair(pools=[pool])
    a.start()
    a.wait_role("active")
    b.start()
    b.wait_role("standby")
    a.wait_peer_in_sync()
    return a, b


@pool_test
def pool_split_brain_allocations_stay_unique(build):
    with Cluster(build, "pool-split", netns=True) as c:
        a, b = start_pool_pair(c, BIG_POOL)
        conn = {1: Control(a.control), 2: Control(b.control)}
        try:
            before, errors = allocate(conn[1], [f"pre-{i}" for i in range(60)])
            expect(len(before) == 60 and not errors, f"allocations before the split: {errors}")
            expect(all(owner(x) == 1 for x in before.values()),
                   "with an in-sync standby the active should fill its own share first")
            released = {f"pre-{i}": before[f"pre-{i}"] for i in range(10)}
            for client, address in released.items():
                r = conn[1].call("pool.release", pool="subs", client=client, address=address)
                expect(r.get("ok"), f"release of {address} by {client}: {r}")
            info(f"60 leases granted on node1 (its own share), 10 released, before the split")

            c.net.cut("a")
            c.net.cut("b")
            b.wait_role("active", timeout=30)
            a.wait_for("peer down", lambda s: (s.get("peer") or {}).get("state") != "up", 30)
            for n in (1, 2):
                scope = usage(conn[n]).get("scope")
                expect(scope == "own-share", f"node{n}'s scope during the split is {scope}")

            # Both nodes hammer at once: more clients than the pool holds, so each exhausts its
            # share; the clients granted before the split renew on both sides.
            granted: dict[int, dict[str, str]] = {}
            refusals: dict[int, dict[str, int]] = {}
            renewals: dict[int, list[dict]] = {}

            def hammer(n: int):
                granted[n], refusals[n] = allocate(conn[n], [f"n{n}-{i}" for i in range(2500)])
                renewals[n] = conn[n].pipeline(
                    [{"cmd": "pool.renew", "pool": "subs", "client": cl, "address": ad}
                     for cl, ad in before.items() if cl not in released])

            t = time.monotonic()
            threads = [threading.Thread(target=hammer, args=(n,)) for n in (1, 2)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            info(f"split-brain allocations in {(time.monotonic() - t) * 1000:.0f} ms: "
                 f"node1 granted {len(granted[1])} ({refusals[1]}), "
                 f"node2 granted {len(granted[2])} ({refusals[2]})")
            for n in (1, 2):
                wrong = [x for x in granted[n].values() if owner(x) != n]
                expect(not wrong, f"node{n} allocated from its peer's share while apart: "
                                  f"{wrong[:5]}")
                expect(set(refusals[n]) <= {"exhausted"},
                       f"node{n} refused allocations with {refusals[n]}")
                expect(refusals[n].get("exhausted", 0) > 0, f"node{n}'s share never ran out")
                bad = [r for r in renewals[n] if not r.get("ok")]
                expect(not bad, f"renewals on node{n} during the split failed: {bad[:3]}")
            # node2 may answer renewals of node1's leases only as they stand.
            extended = [lease_of(r) for r in renewals[2] if lease_of(r).get("extended")]
            expect(not extended, f"node2 extended a lease of node1's share while apart: "
                                 f"{extended[:3]}")
            clash = set(granted[1].values()) & set(granted[2].values())
            expect(not clash, f"both nodes granted {sorted(clash)[:5]}")

            c.net.restore("a")
            c.net.restore("b")
            t = time.monotonic()
            b.wait_role("standby", timeout=60)
            a.wait_peer_in_sync(timeout=60)
            info(f"healed: reconciled and in sync in {(time.monotonic() - t) * 1000:.0f} ms")

            final = {n: leases(conn[n]) for n in (1, 2)}
            expect(final[1] == final[2], "the two nodes hold different leases after the heal")
            holders: dict[str, str] = {}
            for client, address in list(before.items()) + [
                    kv for n in (1, 2) for kv in granted[n].items()]:
                if client in released:
                    continue
                lease = final[1].get(address)
                expect(lease is not None, f"the lease of {address} to {client} is gone")
                expect(lease["client"] == client and lease["state"] == "leased",
                       f"{address} granted to {client} is now {lease}")
                expect(holders.setdefault(address, client) == client,
                       f"{address} is held by {holders[address]} and {client}")
            dup = usage(conn[1]).get("duplicates")
            expect(dup == 0, f"the merge counted {dup} duplicates")
            info(f"after the heal both nodes hold the same {len(final[1])} lease records; every "
                 f"granted lease is there, no address has two clients, 0 duplicates")

            # With its standby back in sync, node1 allocates from the whole pool again.
            a.wait_for("whole-pool scope", lambda s: usage(conn[1]).get("scope") == "whole-pool",
                       timeout=10, poll=0.05)
            more, errors = allocate(conn[1], [f"post-{i}" for i in range(10)])
            free = BIG_POOL_SIZE - len(final[1])
            expect(len(more) == min(10, free), f"allocations after the heal: {errors}")
        finally:
            for cn in conn.values():
                cn.close()


@pool_test
def pool_leases_survive_kill9_and_partner_down_unlocks(build):
    with Cluster(build, "pool-kill", netns=True) as c:
        a, b = start_pool_pair(c)
        conn_a, conn_b = Control(a.control), Control(b.control)
        try:
            got, errors = allocate(conn_a, [f"c{i}" for i in range(100)])
            expect(len(got) == 100 and not errors, f"allocations on node1: {errors}")
            expect(all(owner(x) == 1 for x in got.values()), "node1 fills its own share first")
            info("node1 granted 100 leases from its own share, each acknowledged by node2")

            c.net.cut("a")
            a.kill9()
            b.wait_role("active", timeout=30)
            held = leases(conn_b)
            lost = [cl for cl, ad in got.items() if held.get(ad, {}).get("client") != cl]
            expect(not lost, f"leases lost with node1: {lost[:5]}")
            expect(usage(conn_b).get("scope") == "own-share", "node2's scope with node1 gone")
            rest, errors = allocate(conn_b, [f"d{i}" for i in range(200)])
            expect(all(owner(x) == 2 for x in rest.values()),
                   "node2 allocated from node1's share without partner-down")
            expect(len(rest) == POOL_SIZE // 2 and "exhausted" in errors,
                   f"node2 should exhaust its own share: {len(rest)} granted, {errors}")
            info(f"node1 killed: node2 holds all 100 leases, granted {len(rest)} more from its "
                 f"own share, then answered exhausted")

            r = conn_b.call("pool.partner_down")
            expect(r.get("ok"), f"partner-down: {r}")
            expect(usage(conn_b).get("scope") == "whole-pool", "scope after partner-down")
            free = POOL_SIZE // 2 - 100
            more, errors = allocate(conn_b, [f"e{i}" for i in range(free + 10)])
            expect(len(more) == free and all(owner(x) == 1 for x in more.values()),
                   f"after partner-down node2 should grant node1's {free} free addresses: "
                   f"{len(more)} granted, {errors}")
            info(f"partner-down: node2 granted the {free} free addresses of node1's share")

            c.net.restore("a")
            a.start()
            a.wait_role("standby", timeout=30)
            b.wait_peer_in_sync(timeout=60)
            expect(usage(conn_b).get("partner_down") is False,
                   "partner-down should end once node1 is back")
            conn_a.close()
            conn_a = Control(a.control)
            expect(leases(conn_a) == leases(conn_b), "the leases differ after node1 rejoined")
            info("node1 rejoined empty, was synchronised, and partner-down ended")
        finally:
            conn_a.close()
            conn_b.close()
