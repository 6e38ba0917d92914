#include "net/driver_options.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>

#include "common/endpoint.h"
#include "net/consumer_options.h"
#include "net/link_security.h"

namespace hasync::net {

namespace {

constexpr uint32_t kMaxKeyBytes = 65535;         // the wire carries key lengths as u16
constexpr uint32_t kMaxValueBytes = 16u << 20;   // and values up to 16 MiB
constexpr uint64_t kMinUnackedBytes = 1u << 20;  // must hold at least a few full frames
constexpr uint64_t kMaxPostponedWrites = 1u << 24;

}  // namespace

NodeId EffectivePeerId(const ReplicaOptions& options) {
  if (options.peer_id != 0) return options.peer_id;
  return options.node_id == 1 ? 2 : 1;
}

NodeId PoolPeerId(const ReplicaOptions& options) {
  if (options.peer.empty() && options.peer_id == 0) return 0;
  return EffectivePeerId(options);
}

Result<NodeDriver::Options> MakeDriverOptions(const ReplicaOptions& o) {
  if (o.node_id == 0) return InvalidArgument("node_id: must be 1..65535");
  NodeId peer_id = EffectivePeerId(o);
  if (peer_id == o.node_id) {
    return InvalidArgument(
        fmt::format("peer_id: the peer cannot have this node's id {}", o.node_id));
  }
  if (o.cluster.empty() || o.cluster.size() > 255) {
    return InvalidArgument("cluster: must be 1..255 bytes");
  }
  if (o.heartbeat_interval.count() <= 0) return InvalidArgument("heartbeat_interval: must be > 0");
  if (o.dead_after_missed == 0) return InvalidArgument("dead_after_missed: must be >= 1");
  if (o.startup_wait.count() < 0) return InvalidArgument("startup_wait: must be >= 0");
  if (o.replicate_timeout.count() <= 0) return InvalidArgument("replicate_timeout: must be > 0");
  if (o.max_unacked_bytes < kMinUnackedBytes) {
    return InvalidArgument(fmt::format("max_unacked_bytes: must be >= {}", kMinUnackedBytes));
  }
  if (o.max_key_bytes == 0 || o.max_key_bytes > kMaxKeyBytes) {
    return InvalidArgument(fmt::format("max_key_bytes: must be 1..{}", kMaxKeyBytes));
  }
  if (o.max_value_bytes == 0 || o.max_value_bytes > kMaxValueBytes) {
    return InvalidArgument(fmt::format("max_value_bytes: must be 1..{}", kMaxValueBytes));
  }
  if (o.max_tables == 0) return InvalidArgument("max_tables: must be >= 1");
  if (o.split_brain_rule != SplitBrainRule::kPriorityFirst &&
      o.split_brain_rule != SplitBrainRule::kLongestActiveFirst) {
    return InvalidArgument("split_brain_rule: must be priority or longest-active");
  }
  if (o.max_postponed_writes == 0 || o.max_postponed_writes > kMaxPostponedWrites) {
    return InvalidArgument(fmt::format("max_postponed_writes: must be 1..{}", kMaxPostponedWrites));
  }
  if (o.postpone_timeout.count() <= 0) return InvalidArgument("postpone_timeout: must be > 0");
  Status tls = CheckTlsOptions(o.tls);
  if (!tls.ok()) return tls;
  if (o.max_connections_per_second == 0) {
    return InvalidArgument("max_connections_per_second: must be >= 1");
  }
  if (o.max_pending_handshakes == 0) return InvalidArgument("max_pending_handshakes: must be >= 1");
  if (o.handshake_timeout.count() <= 0) return InvalidArgument("handshake_timeout: must be > 0");
  if (o.stall_timeout.count() <= 0) return InvalidArgument("stall_timeout: must be > 0");
  if (Status consumers = CheckConsumerOptions(o); !consumers.ok()) return consumers;

  NodeDriver::Options d;
  d.core.node_id = o.node_id;
  d.core.priority = o.priority;
  d.core.cluster = o.cluster;
  d.core.preempt = o.preempt;
  d.core.heartbeat_interval = o.heartbeat_interval;
  d.core.dead_after_missed = o.dead_after_missed;
  d.core.startup_wait = o.startup_wait;
  d.core.replicate_timeout = o.replicate_timeout;
  // A peer that reads but never acknowledges is a stall too. Twice the bound, so that a peer
  // that stops reading is cut by the link (which names that cause) rather than by this one.
  d.core.ack_timeout = 2 * o.stall_timeout;
  d.core.bulk_rate = o.bulk_rate;
  d.core.reconcile_rate = o.reconcile_rate;
  d.core.max_unacked_bytes = o.max_unacked_bytes;
  // A bulk sync pauses well before the resync bound, so it can never trip it by itself.
  d.core.bulk_window_bytes = std::min<size_t>(d.core.bulk_window_bytes, o.max_unacked_bytes / 2);
  d.core.limits.max_key_bytes = o.max_key_bytes;
  d.core.limits.max_value_bytes = o.max_value_bytes;
  d.core.limits.max_tables = o.max_tables;
  d.core.split_brain_rule = o.split_brain_rule;
  d.core.bulk_after_reconcile_always = o.bulk_after_reconcile_always;
  d.core.max_postponed_writes = o.max_postponed_writes;
  d.core.postpone_timeout = o.postpone_timeout;

  Result<asio::ip::tcp::endpoint> listen = ParseEndpoint(o.listen);
  if (!listen.ok()) return InvalidArgument("listen: " + listen.status().message());
  d.link.listen = *listen;
  if (!o.peer.empty()) {
    Result<asio::ip::tcp::endpoint> peer = ParseEndpoint(o.peer);
    if (!peer.ok()) return InvalidArgument("peer: " + peer.status().message());
    if (peer->port() == 0) return InvalidArgument("peer: needs a port");
    d.link.peer = *peer;
  }
  d.link.dial = o.node_id < peer_id;
  d.link.tls = o.tls;
  // The dialer's identity and its terminating NUL must fit in PSK_MAX_IDENTITY_LEN bytes; the
  // cluster name itself is checked in full by the core's hello.
  d.link.psk_identity = ("hasync:" + o.cluster).substr(0, PSK_MAX_IDENTITY_LEN - 1);
  d.link.max_connections_per_second = o.max_connections_per_second;
  d.link.max_pending_handshakes = o.max_pending_handshakes;
  d.link.handshake_timeout = o.handshake_timeout;
  d.link.stall_timeout = o.stall_timeout;
  // The core stops streaming at max_unacked_bytes and resynchronises instead; the queue holds at
  // most that twice over (what the kernel has not taken yet, and a bulk window) plus control
  // frames, so only a peer that stopped reading reaches this bound.
  d.link.max_queue_bytes = 2 * o.max_unacked_bytes + (size_t{8} << 20);
  return d;
}

}  // namespace hasync::net
