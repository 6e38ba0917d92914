#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 machine, as root:
#
#   scripts/demo.sh            install packages, build the release preset, run the demo
#   scripts/demo.sh --no-build run the demo with the binaries already in build/release
#
# The demo runs a pair of hasyncd on loopback, their sync channel on mutual TLS 1.3 (a lab CA
# made by scripts/hasync-certs in the work dir): node 1 starts alone, refuses a client without a
# certificate, answers hasyncctl over its TLS control port, and takes 100,000 sessions;
# node 2 joins as standby while writes continue and is bulk synced; a planned switchover makes
# node 2 active. Six consumers (hasync::Consumer, in one hasync_consumer_swarm process) then
# mirror the sessions, or the keys under a prefix, from the nodes' consumer ports; node 2 is
# killed with `kill -9` while an application writes with `--replicated`; node 1 takes over, the
# consumers follow it and get only what they missed, and node 2 rejoins. Last, a split-brain: the
# sync link is cut while both nodes take writes and lease addresses from their pool, then healed.
# The report says how many records each node holds, whether their digests match, how many
# acknowledged writes were lost, how long the takeover took, what the failover cost the
# consumers (records replayed against a full resend) and whether each consumer's copy equals
# node 1's records, whether both nodes hold the merged set after the split-brain, and whether
# every lease granted on either side survived with its own address.
# Daemon logs go to files (their paths are printed); everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=1
[ "${1:-}" = "--no-build" ] && build=0
bin="${HASYNC_BUILD_DIR:-$root/build/release}/src"
swarm_bin="${bin%/src}/tests/multiproc/hasync_consumer_swarm"  # built with the tests

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

if [ "$build" = 1 ]; then
  [ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages), or use --no-build"
  section "Installing packages (scripts/install-deps.sh)"
  scripts/install-deps.sh
  say "done"
  section "Building the release preset"
  mkdir -p build
  blog="$root/build/demo-build.log"
  if ! { cmake --preset release && cmake --build --preset release -j"$(nproc)"; } >"$blog" 2>&1; then
    tail -n 30 "$blog" >&2
    die "build failed; full log: $blog"
  fi
  say "built $bin/hasyncd and $bin/hasyncctl (log: $blog)"
fi
[ -x "$bin/hasyncd" ] && [ -x "$bin/hasyncctl" ] || die "no binaries in $bin"
[ -x "$swarm_bin" ] ||
  die "no $swarm_bin (cmake --build ${bin%/src} --target hasync_consumer_swarm)"

work=$(mktemp -d /tmp/hasync-demo.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  restore_sync
  restore_consumers
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
p1=$(free_port)
p2=$(free_port)
c1=$(free_port)  # node 1's TCP control endpoint (TLS, client certificates)
cp1=$(free_port)  # the nodes' consumer ports
cp2=$(free_port)

# A lab CA, a certificate per node (its name in the subjectAltName) and one for the operator.
scripts/hasync-certs "$work/tls" node1 node2 admin >/dev/null || die "scripts/hasync-certs failed"

# A dead host goes silent, but the kernel of a process killed on loopback closes its
# connections at once (FIN/RST), which would make the failover look faster than it is. Before
# the kill, an nftables table of the demo's own drops loopback traffic on the pair's two sync
# ports only, so the standby must notice the death by missed heartbeats (and a second one on
# node 2's consumer port, so its consumers must notice too). Removed on exit.
nft_table="hasync_demo_$$"
cut_rules() {  # [table ports]: by default the sync ports, in the demo's table
  local table=${1:-$nft_table} ports=${2:-"$p1, $p2"}
  cat <<EOF
table inet $table {
  chain out {
    type filter hook output priority -300; policy accept;
    oifname "lo" tcp dport { $ports } drop
    oifname "lo" tcp sport { $ports } drop
  }
}
EOF
}
restore_sync() { nft delete table inet "$nft_table" 2>/dev/null || true; }
# When node 2 dies, its consumer port goes silent too, in a table of its own: the consumers
# notice by themselves, after the sync ports are open again.
restore_consumers() { nft delete table inet "${nft_table}_consumers" 2>/dev/null || true; }

# node N's config: [node] [sync] [tls] [control] [consumers] [log]; node 1 outranks node 2.
write_config() {  # id priority listen_port peer_port peer_id consumer_port [control_tcp_port]
  cat >"$work/node$1.toml" <<EOF
[node]
id = $1
priority = $2
cluster = "demo"

[sync]
listen = "127.0.0.1:$3"
peer = "127.0.0.1:$4"
peer_id = $5
heartbeat_interval_ms = 50
dead_after_missed = 3
startup_wait_ms = 500
# 50k records/s: the bulk sync of 100k sessions takes about two seconds, long enough to watch.
bulk_rate = 50000

[tls]
# Mutual TLS 1.3: this node's certificate, and the name the peer's must carry.
certificate = "$work/tls/node$1.crt"
private_key = "$work/tls/node$1.key"
ca = "$work/tls/ca.crt"
peer_name = "node$5"

[control]
socket = "$work/node$1.sock"
tcp_listen = "${7:+127.0.0.1:$7}"
allowed_clients = ["admin"]

# Processes that mirror the sessions (forwarding workers, line cards) follow the active node
# here; after a failover they get only what they missed (docs/consumers.md).
[consumers]
listen = "127.0.0.1:$6"

[log]
level = "info"

# Subscriber addresses: node 1 owns the even ordinals, node 2 the odd ones (docs/pools.md).
[[pool]]
name = "subs"
ranges = ["100.64.0.0/24"]
exclude = ["100.64.0.0", "100.64.0.255"]
lease_time_s = 3600
grace_s = 600
EOF
}
write_config 1 200 "$p1" "$p2" 2 "$cp1" "$c1"
write_config 2 100 "$p2" "$p1" 1 "$cp2"

ctl() { local n=$1; shift; "$bin/hasyncctl" --control "$work/node$n.sock" "$@"; }
# hasyncctl as from another host: node 1's TCP control endpoint, the operator's certificate.
ctl_tls() {
  "$bin/hasyncctl" --connect "127.0.0.1:$c1" --cert "$work/tls/admin.crt" \
    --key "$work/tls/admin.key" --ca "$work/tls/ca.crt" --server-name node1 "$@"
}
# The value of node N's first metric series that starts with $2.
metric() {
  ctl "$1" metrics 2>/dev/null | awk -v m="$2" 'index($0, m) == 1 { print $NF; exit }'
}
# The first line of node N's log matching $2, without its date.
log_line() {
  { grep -m1 "$2" "$work/node$1.log" || true; } | cut -d' ' -f2- | cut -c 1-170 |
    sed 's/^/   log: /'
}

# One field of `status --json` (dotted path, e.g. peer.state).
field() {
  ctl "$1" status --json 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else str(v).lower())' "$2" 2>/dev/null || true
}

# A one-line summary of a node, for the operator.
show() {
  ctl "$1" status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
p = s.get("peer") or {}
sp = s.get("sync_progress") or {}
sync = s.get("sync", "?")
if sync != "idle":
    sync += " %s/%s" % (sp.get("done"), sp.get("total"))
print("   node %s: %-7s records=%-7s gvn=%-7s digest=%s peer=%s sync=%s" % (
    s["node_id"], s["role"], s["records"], s["gvn"], s["digest"], p.get("state"), sync))' \
    || say "node $1: not answering"
}

start_node() {
  "$bin/hasyncd" --config "$work/node$1.toml" >>"$work/node$1.log" 2>&1 &
  pids+=($!)
  eval "pid$1=$!"
  disown $!
  local i
  for i in $(seq 200); do
    ctl "$1" status --json >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "node $1 did not start; log: $work/node$1.log"
}

wait_role() {  # node role timeout_ms
  ctl "$1" wait --role "$2" --timeout-ms "$3" >/dev/null 2>&1 ||
    die "node $1 did not become $2; log: $work/node$1.log"
}

wait_in_sync() {  # node (the active) timeout_s
  local i
  for i in $(seq $(( $2 * 20 ))); do
    if [ "$(field "$1" peer.in_sync)" = true ] && [ "$(field "$1" sync)" = idle ]; then
      return 0
    fi
    sleep 0.05
  done
  die "the standby of node $1 did not get in sync; logs in $work"
}

# Background application: puts in a loop, one key per line in $2 once acknowledged.
writer() {  # node file prefix [--replicated]
  local n=$1 file=$2 prefix=$3 mode=${4:-} i=0
  while :; do
    if ctl "$n" put sessions "$prefix$i" "value-$i" $mode >/dev/null 2>&1; then
      echo "$prefix$i value-$i" >>"$file"
    fi
    i=$((i + 1))
  done
}
# Background jobs are disowned (bash would announce each kill); wait for them by polling.
stop_pid() {
  kill -9 "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null; do sleep 0.01; done
}

# The consumers run in one hasync_consumer_swarm process, a coprocess (SWARM): it holds several
# hasync::Consumer, each keeping its own copy, and answers `status` on its stdin with one JSON
# line (per consumer: records, a digest of its copy, replays, resumes, the node it follows).
swarm_status() {
  local line
  printf 'status\n' >&"${SWARM[1]}" && IFS= read -r -t 30 line <&"${SWARM[0]}" &&
    printf '%s\n' "$line"
}
# Compares the consumers' copies ($1: a swarm report) with node 1's records (survivor.json), and
# what they received since $2 (the report before the kill; $3: the kill's monotonic time). Exits
# 1 while some consumer is not yet subscribed on node 1 with a copy equal to its records; with
# $4 = show, prints a line per consumer and writes consumers-summary.json for the report.
consumers_vs_node1() {
  python3 - "$root/tests/multiproc" "$work" "$1" "$2" "$3" "127.0.0.1:$cp1" "${4:-}" <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[1])
from consumer_swarm import Subscriptions
work, post, pre, t_kill, node1, show = sys.argv[2:8]
records = {}
for line in open(os.path.join(work, "survivor.json")):
    if line.strip():
        r = json.loads(line)
        if "key" in r:
            records[r["key"]] = r.get("value")
subs = Subscriptions(records)
post = {c["name"]: c for c in json.load(open(post))["consumers"]}
pre = {c["name"]: c for c in json.load(open(pre))["consumers"]}
in_line = {n: c["connected"] and c["node"] == node1 and c["digest"] == subs.digest(c["prefix"])[0]
           for n, c in post.items()}
if show != "show":
    sys.exit(0 if all(in_line.values()) else 1)
t_kill = float(t_kill) * 1000
summary = {"consumers": len(post), "in_line": sum(in_line.values()), "replayed_records": 0,
           "replayed_bytes": 0, "full_resend_records": 0, "full_resend_bytes": 0, "in_sync_ms": 0}
for n, c in post.items():
    replays = c["replays"] - pre[n]["replays"]
    rec = c["replayed_records"] - pre[n]["replayed_records"]
    byt = c["replayed_bytes"] - pre[n]["replayed_bytes"]
    full, full_bytes = subs.size(c["prefix"])
    ms = max(c["resumed_ms"], c["last_change_ms"]) - t_kill
    summary["replayed_records"] += rec
    summary["replayed_bytes"] += byt
    summary["full_resend_records"] += full
    summary["full_resend_bytes"] += full_bytes
    summary["in_sync_ms"] = max(summary["in_sync_ms"], ms)
    what = f"{replays} replay{'s' * (replays != 1)} ({rec} records, {byt} bytes)" if replays \
        else "no replay"
    print(f"   {n:12s} {c['prefix'] or '(whole table)':14s} {c['records']:6d} records, copy "
          f"{'=' if in_line[n] else '!='} node 1's; {what}; in sync {ms:.0f} ms after the kill")
json.dump(summary, open(os.path.join(work, "consumers-summary.json"), "w"))
PY
}

printf '\nhasync demo: work dir %s\n' "$work"
say "node 1 log: $work/node1.log"
say "node 2 log: $work/node2.log"

section "1. Node 1 starts alone and becomes active; its sync port speaks only mutual TLS"
start_node 1
wait_role 1 active 5000
show 1
say "lab CA and certificates for node1, node2 and admin in $work/tls (scripts/hasync-certs)"
log_line 1 'running, sync channel'
# Someone on the network, without a certificate from the lab CA, tries the sync port.
timeout 5 openssl s_client -connect "127.0.0.1:$p1" -tls1_3 </dev/null >/dev/null 2>&1 || true
rejected='hasync_peers_rejected_total{reason="tls"}'
for _ in $(seq 100); do
  [ "$(metric 1 "$rejected")" = 1 ] && break
  sleep 0.02
done
log_line 1 'rejected peer'
say "$rejected $(metric 1 "$rejected")"
say "hasyncctl --connect 127.0.0.1:$c1 (node 1's TLS control port, certificate 'admin'):"
ctl_tls status | sed 's/^/     /' || die "hasyncctl --connect failed; log: $work/node1.log"

section "2. 100,000 sessions written on node 1"
t=$(now_ms)
ctl 1 load sessions --count 100000 --value-size 200 --prefix sess- >/dev/null ||
  die "load failed; log: $work/node1.log"
say "loaded in $(( $(now_ms) - t )) ms (200-byte values)"
show 1

section "3. Node 2 joins as standby while writes continue (bulk sync)"
: >"$work/acked-async"
writer 1 "$work/acked-async" live- &
wpid=$!
pids+=("$wpid")
disown "$wpid"
( i=0; while :; do ctl 1 load sessions --count 500 --value-size 200 --prefix "burst$i-" \
    >/dev/null 2>&1 && echo "$i" >>"$work/bursts"; i=$((i + 1)); sleep 0.1; done ) &
lpid=$!
pids+=("$lpid")
disown "$lpid"
t=$(now_ms)
start_node 2
for _ in $(seq 600); do
  show 2
  [ "$(field 1 peer.in_sync)" = true ] && break
  sleep 0.4
done
wait_in_sync 1 60
say "node 2 in sync $(( $(now_ms) - t )) ms after it started; writes went on throughout"
log_line 1 'sync: [a-z ]* peer [0-9.:]* (TLS'
mode='hasync_tls_mode{mode="certificate"}'
say "$mode: $(metric 1 "$mode") on node 1, $(metric 2 "$mode") on node 2"
stop_pid "$wpid"
stop_pid "$lpid"
wait_in_sync 1 30
show 1
show 2
bursts=$(wc -l <"$work/bursts" 2>/dev/null || echo 0)
say "written while node 2 joined: $(wc -l <"$work/acked-async") puts and $((bursts * 500)) loaded sessions"

section "4. Planned switchover"
t=$(now_ms)
ctl 1 switchover >/dev/null || die "switchover refused; log: $work/node1.log"
wait_role 2 active 5000
wait_role 1 standby 5000
say "node 2 active after $(( $(now_ms) - t )) ms"
wait_in_sync 2 30
show 1
show 2

section "5. Six consumers mirror the sessions from the active (node 2)"
# Five take the sessions under a prefix: two crit- (the application's writes below), one sess-1
# (11,111 sessions), one live- and one sess-42 (written before, quiet now); one takes the whole
# table (its replays are written a slice per turn, so they stall no node). They list both
# consumer ports and follow the active node.
cat >"$work/swarm.json" <<EOF
{"endpoints": ["127.0.0.1:$cp1", "127.0.0.1:$cp2"], "table": "sessions", "dead_after_ms": 2000,
 "consumers": [{"name": "lc-crit-1", "prefix": "crit-"},
               {"name": "lc-crit-2", "prefix": "crit-"},
               {"name": "lc-sess-1a", "prefix": "sess-1"},
               {"name": "lc-all", "prefix": ""},
               {"name": "lc-live", "prefix": "live-"},
               {"name": "lc-sess-42", "prefix": "sess-42"}]}
EOF
t=$(now_ms)
coproc SWARM { exec "$swarm_bin" --config "$work/swarm.json" 2>>"$work/swarm.log"; }
pids+=("$SWARM_PID")
IFS= read -r -t 30 _ <&"${SWARM[0]}" || die "the consumers did not start; log: $work/swarm.log"
# Each starts empty, so its first update is a full replay of its subscription.
ready=0
for _ in $(seq 300); do
  # (swarm_status in a pipeline would run in a subshell, without the coprocess's descriptors)
  swarm_status >"$work/swarm-start.json" || die "the consumers do not answer; log: $work/swarm.log"
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if all(c["connected"] and c["replays"] >= 1 and r["now_ms"] - c["last_change_ms"] > 200
                  for c in r["consumers"]) else 1)' "$work/swarm-start.json" && ready=1 && break
  sleep 0.1
done
[ "$ready" = 1 ] || die "the consumers did not get their copies; log: $work/swarm.log"
say "6 consumers subscribed on node 2 and hold their copies $(( $(now_ms) - t )) ms after start"
say "(one hasync_consumer_swarm process; log: $work/swarm.log)"
ctl 2 consumers | sed 's/^/     /'

section "6. kill -9 of the active (node 2) while an application writes with --replicated"
: >"$work/acked-replicated"
writer 2 "$work/acked-replicated" crit- --replicated &
wpid=$!
pids+=("$wpid")
disown "$wpid"
sleep 1.5
records_before=$(field 2 records)
swarm_status >"$work/swarm-pre.json" || die "the consumers do not answer; log: $work/swarm.log"
# Cut (when nft works here; node 2's consumer port too: its consumers lose it as they would a
# dead host), kill, then poll node 1 every few ms until it reports active; prints "<ms from kill
# to active> <1 if cut> <monotonic time of the kill>".
cut_rules >"$work/cut.nft"
{ cut_rules && cut_rules "${nft_table}_consumers" "$cp2"; } >"$work/cut-kill.nft"
result=$(python3 - "$pid2" "$bin/hasyncctl" "$work/node1.sock" "$work/cut-kill.nft" <<'PY'
import json, os, signal, subprocess, sys, time
pid, ctl, sock, rules = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cut = subprocess.run(["nft", "-f", rules], capture_output=True).returncode == 0
t = time.monotonic()
os.kill(pid, signal.SIGKILL)
while time.monotonic() - t < 10:
    r = subprocess.run([ctl, "--control", sock, "status", "--json"], capture_output=True, text=True)
    if r.returncode == 0 and json.loads(r.stdout).get("role") == "active":
        print(round((time.monotonic() - t) * 1000), int(cut), t)
        sys.exit(0)
    time.sleep(0.002)
sys.exit(1)
PY
) || die "node 1 did not take over within 10 s; log: $work/node1.log"
read -r takeover_ms cut t_kill <<<"$result"
if [ "$cut" = 1 ]; then
  say "node 2's sync and consumer traffic was cut first (nft on lo, ports $p1, $p2 and $cp2),"
  say "as a dead host's is"
else
  say "nft could not cut node 2's traffic: its kernel closed the connections for it"
fi
stop_pid "$wpid"
say "node 2 killed; node 1 active $takeover_ms ms later"
restore_sync
ctl 1 put sessions crit-after-failover ok >/dev/null && say "node 1 serves writes"
show 1
# What the survivor holds, for the report (dumped now: node 1 has no peer to keep up with).
ctl 1 dump sessions --json >"$work/survivor.json" || die "dump failed on node 1"
# The consumers notice node 2's silence after their dead_after (2 s), resume on node 1 with the
# last op they applied, and get only what they miss: nothing if they were in sync.
for _ in $(seq 300); do
  swarm_status >"$work/swarm-post.json" || die "the consumers do not answer; log: $work/swarm.log"
  consumers_vs_node1 "$work/swarm-post.json" "$work/swarm-pre.json" "$t_kill" && break
  sleep 0.1
done
say "the consumers after the failover (replays since just before the kill): each got only what"
say "it missed, if anything (the crit- ones at least node 1's own write crit-after-failover,"
say "made before they came back):"
consumers_vs_node1 "$work/swarm-post.json" "$work/swarm-pre.json" "$t_kill" show
ctl 1 consumers | sed 's/^/     /'
for m in replayed_records replayed_bytes full_resend_records; do
  say "hasync_consumer_failover_$m $(metric 1 "hasync_consumer_failover_$m")"
done
printf 'quit\n' >&"${SWARM[1]}"
wait "$SWARM_PID" 2>/dev/null || true
restore_consumers

section "7. Node 2 restarts and rejoins as standby"
t=$(now_ms)
start_node 2
wait_role 2 standby 10000
wait_in_sync 1 60
say "node 2 standby and bulk synced $(( $(now_ms) - t )) ms after restart"
show 1
show 2

section "8. Split-brain: the sync link is cut while both nodes take writes, then healed"
sb_ok=skip
if [ "$cut" != 1 ]; then
  say "skipped: nft cannot cut the sync traffic here"
else
  nft -f "$work/cut.nft"
  wait_role 2 active 5000
  say "link cut: node 2 missed 3 heartbeats and became active; node 1 is still active"
  # Distinct sessions on each side; one key written on both, node 2 last; sess-1 deleted on
  # node 1; sess-2 deleted on node 2, then written again on node 1.
  { ctl 1 load sessions --count 1000 --value-size 100 --prefix split1- &&
    ctl 2 load sessions --count 1000 --value-size 100 --prefix split2- &&
    ctl 1 put sessions shared written-on-node-1 && ctl 1 del sessions sess-1 &&
    ctl 2 del sessions sess-2 && sleep 0.2 &&
    ctl 2 put sessions shared written-on-node-2-later &&
    ctl 1 put sessions sess-2 rewritten-on-node-1; } >/dev/null || die "a write failed"
  say "written on both: 1000 sessions each, key 'shared' on both (node 2 later),"
  say "sess-1 deleted on node 1, sess-2 deleted on node 2 then rewritten on node 1"
  # Each side leases addresses to its own subscribers, from its own share of the pool only.
  for n in 1 2; do
    for i in $(seq 1 20); do
      ctl "$n" pool alloc subs "cpe-$n-$i" --json >>"$work/leases-$n.json" || die "pool alloc failed"
    done
  done
  say "pool subs: 20 subscribers leased an address on each node, from its own share:"
  ctl 1 pool list subs --limit 2
  ctl 2 pool list subs --limit 2
  show 1
  show 2
  t=$(now_ms)
  restore_sync
  wait_role 2 standby 30000
  wait_in_sync 1 60
  say "link restored: node 2 yielded, reconciled its records into node 1, and node 1"
  say "bulk-synced back (at 50k records/s); in sync $(( $(now_ms) - t )) ms after the link returned"
  show 1
  show 2
  for n in 1 2; do  # what each node logged (time, node, message)
    for what in 'split-brain detected' 'reconciliation.* complete'; do log_line "$n" "$what"; done
  done
  ctl 1 pool show subs
  { ctl 1 pool list subs --json >"$work/pool-1.json" &&
    ctl 2 pool list subs --json >"$work/pool-2.json"; } || die "pool list failed"
  value_of() { ctl "$1" get sessions "$2" 2>/dev/null || echo "(absent)"; }
  sb_ok=yes
  for n in 1 2; do
    shared=$(value_of "$n" shared) s1=$(value_of "$n" sess-1) s2=$(value_of "$n" sess-2)
    say "node $n: shared=$shared sess-1=$s1 sess-2=$s2"
    [ "$shared" = written-on-node-2-later ] && [ "$s1" = "(absent)" ] &&
      [ "$s2" = rewritten-on-node-1 ] || sb_ok=no
    for k in split1-999 split2-999; do [ "$(value_of "$n" "$k")" != "(absent)" ] || sb_ok=no; done
  done
fi

section "Report"
rc=0
CTL="$bin/hasyncctl" python3 - "$work" "$records_before" "$takeover_ms" "$cut" "$sb_ok" <<'PY' || rc=$?
import json, os, sys
work, records_before, takeover_ms, cut = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sb_ok = sys.argv[5]
# `dump --json`: one {"table", "key", "value", "rvn"} object per line.
have = {}
for line in open(os.path.join(work, "survivor.json")):
    if line.strip():
        r = json.loads(line)
        if "key" in r:
            have[r["key"]] = r.get("value")
def lost(name):
    acked = dict(l.split(" ", 1) for l in open(os.path.join(work, name)).read().splitlines())
    return len(acked), sum(1 for k, v in acked.items() if have.get(k) != v)
def status(n):
    import subprocess
    out = subprocess.run([os.environ["CTL"], "--control", f"{work}/node{n}.sock", "status",
                          "--json"], capture_output=True, text=True).stdout
    return json.loads(out)
s1, s2 = status(1), status(2)
rn, rl = lost("acked-replicated")
an, al = lost("acked-async")
print(f"   records on node 1 (active):     {s1['records']}")
print(f"   records on node 2 (standby):    {s2['records']}")
print(f"   digests:                        {'EQUAL' if s1['digest'] == s2['digest'] else 'DIFFERENT'}"
      f" ({s1['digest']} / {s2['digest']})")
print(f"   records lost:                   {rl + al} of {rn + an} acknowledged writes")
print(f"     replicated puts to node 2 up to its kill: {rn} acknowledged, {rl} missing on node 1")
print(f"     async puts to node 1 while node 2 joined: {an} acknowledged, {al} missing on node 1")
print(f"   node 2 held {records_before} records shortly before it was killed")
print(f"   kill -9 -> standby serving as active: {takeover_ms} ms")
if cut == "1":
    print("   (node 2's traffic was cut before the kill: node 1 noticed by missed heartbeats,")
    print("    3 x 50 ms, as it would notice a dead host)")
else:
    print("   (node 2's kernel closed its connection, so node 1 noticed at once; a dead host")
    print("    is noticed after 3 missed 50 ms heartbeats)")
cs = json.load(open(os.path.join(work, "consumers-summary.json")))
consumers_ok = cs["in_line"] == cs["consumers"]
share = 100.0 * cs["replayed_records"] / max(1, cs["full_resend_records"])
print(f"   consumers after the failover:   {cs['in_line']} of {cs['consumers']} copies equal to "
      f"node 1's records,")
print(f"     the last resumed and in sync {cs['in_sync_ms']:.0f} ms after the kill; replayed "
      f"{cs['replayed_records']} records")
print(f"     ({cs['replayed_bytes']} bytes) where a full resend would send "
      f"{cs['full_resend_records']} records ({cs['full_resend_bytes']} bytes): {share:.2f}%")
pool_ok = True
if sb_ok != "skip":
    print(f"   split-brain healed to the merged set on both nodes: {sb_ok}")
    # Leases granted on both sides of the split: all there after the heal, one client each.
    def load(name):
        return [json.loads(l) for l in open(os.path.join(work, name)) if l.strip()]
    granted = {r["lease"]["address"]: r["lease"]["client"]
               for n in (1, 2) for r in load(f"leases-{n}.json")}
    views = [{l["address"]: (l["client"], l["state"]) for l in load(f"pool-{n}.json")[0]["leases"]}
             for n in (1, 2)]
    same = views[0] == views[1]
    kept = sum(1 for a, c in granted.items() if views[0].get(a) == (c, "leased"))
    pool_ok = same and kept == len(granted) == 40
    print(f"   pool leases granted on the two sides of the split: {len(granted)} addresses for 40")
    print(f"     clients; after the heal {kept} held by their client, lease sets on the two nodes "
          f"{'equal' if same else 'DIFFERENT'}")
sys.exit(1 if rl or al or s1["digest"] != s2["digest"] or sb_ok == "no" or not pool_ok
         or not consumers_ok else 0)
PY
say "logs: $work/node1.log $work/node2.log $work/swarm.log"
exit $rc
