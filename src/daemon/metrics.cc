#include "daemon/metrics.h"

#include <fmt/format.h>

#include <array>
#include <iterator>
#include <string_view>

namespace hasync::daemon {

namespace {

// One counter series. Exactly one of the three field pointers is set: the structure it reads.
struct CounterInfo {
  const char* name;   // the metric is hasync_<name>_total
  const char* label;  // "" or one label (role="sender"); a family's rows are consecutive
  const char* help;   // of the family: its first row's
  uint64_t core::Counters::*core;
  uint64_t net::LinkCounters::*link;
  uint64_t ControlCounters::*control;
};

constexpr CounterInfo Core(const char* name, const char* label, const char* help,
                           uint64_t core::Counters::*field) {
  return {name, label, help, field, nullptr, nullptr};
}
constexpr CounterInfo Link(const char* name, const char* label, const char* help,
                           uint64_t net::LinkCounters::*field) {
  return {name, label, help, nullptr, field, nullptr};
}
constexpr CounterInfo Control(const char* name, const char* label, const char* help,
                              uint64_t ControlCounters::*field) {
  return {name, label, help, nullptr, nullptr, field};
}

// One row per counter field; a field missing here is missing from /metrics (checked below).
constexpr std::array<CounterInfo, 60> kCounters = {{
    Core("frames_sent", "", "Frames sent to the peer.", &core::Counters::frames_sent),
    Core("frames_received", "", "Frames received from the peer.", &core::Counters::frames_received),
    Core("bytes_sent", "", "Bytes sent to the peer.", &core::Counters::bytes_sent),
    Core("bytes_received", "", "Bytes received from the peer.", &core::Counters::bytes_received),
    Core("records_sent", "", "Upserts and deletes sent, incremental and bulk.",
         &core::Counters::records_sent),
    Core("records_received", "", "Upserts and deletes received.",
         &core::Counters::records_received),
    Core("writes", "", "Local writes applied.", &core::Counters::writes),
    Core("writes_refused", "reason=\"not_active\"", "Local writes refused, by reason.",
         &core::Counters::writes_refused_not_active),
    Core("writes_refused", "reason=\"too_large\"", "", &core::Counters::writes_refused_too_large),
    Core("writes_refused", "reason=\"invalid\"", "", &core::Counters::writes_refused_invalid),
    Core("writes_refused", "reason=\"busy\"", "", &core::Counters::writes_refused_busy),
    Core("replicated_acked", "", "Replicated writes the standby confirmed.",
         &core::Counters::replicated_acked),
    Core("replicated_failed", "", "Replicated writes that timed out or lost their peer.",
         &core::Counters::replicated_failed),
    Core("bulk_syncs_started", "", "Bulk syncs started.", &core::Counters::bulk_syncs_started),
    Core("bulk_syncs_completed", "", "Bulk syncs completed.",
         &core::Counters::bulk_syncs_completed),
    Core("records_swept", "", "Records erased on a standby after a bulk sync.",
         &core::Counters::records_swept),
    Core("resyncs", "", "Bulk syncs forced by a standby that fell behind.",
         &core::Counters::resyncs),
    Core("failovers", "", "Times this node became active because its peer was lost.",
         &core::Counters::failovers),
    Core("switchovers", "", "Planned handovers completed.", &core::Counters::switchovers),
    Core("channels_up", "", "Sync connections established.", &core::Counters::channels_up),
    Core("channels_lost", "", "Sync connections lost.", &core::Counters::channels_lost),
    Link("sync_connections", "outcome=\"accepted\"",
         "Connections to the sync port: accepted counts every one the listener took; of those, "
         "rate_limited were closed at once (over max_connections_per_second) and busy were "
         "closed because a peer was connected or max_pending_handshakes handshakes ran.",
         &net::LinkCounters::connections_accepted),
    Link("sync_connections", "outcome=\"rate_limited\"", "",
         &net::LinkCounters::connections_rate_limited),
    Link("sync_connections", "outcome=\"busy\"", "", &net::LinkCounters::connections_busy),
    Core("peers_rejected", "reason=\"version\"",
         "Peers refused, by reason: at hello (version, cluster, node_id, settings) or before it, "
         "at the TLS handshake (tls: no valid certificate, key or PSK; identity: a valid "
         "certificate that does not name peer_name; handshake_timeout).",
         &core::Counters::rejected_version),
    Core("peers_rejected", "reason=\"cluster\"", "", &core::Counters::rejected_cluster),
    Core("peers_rejected", "reason=\"node_id\"", "", &core::Counters::rejected_node_id),
    Core("peers_rejected", "reason=\"settings\"", "", &core::Counters::rejected_settings),
    Link("peers_rejected", "reason=\"tls\"", "", &net::LinkCounters::handshakes_failed),
    Link("peers_rejected", "reason=\"identity\"", "", &net::LinkCounters::peers_wrong_identity),
    Link("peers_rejected", "reason=\"handshake_timeout\"", "",
         &net::LinkCounters::handshake_timeouts),
    Core("protocol_errors", "class=\"length\"",
         "Peer input that closed the sync channel, by class: frame checks (length, too_large, "
         "checksum, header, type, sequence), payloads that do not decode, records over the limits, "
         "messages out of order.",
         &core::Counters::frame_errors_length),
    Core("protocol_errors", "class=\"too_large\"", "", &core::Counters::frame_errors_too_large),
    Core("protocol_errors", "class=\"checksum\"", "", &core::Counters::frame_errors_checksum),
    Core("protocol_errors", "class=\"header\"", "", &core::Counters::frame_errors_header),
    Core("protocol_errors", "class=\"type\"", "", &core::Counters::frame_errors_type),
    Core("protocol_errors", "class=\"sequence\"", "", &core::Counters::frame_errors_sequence),
    Core("protocol_errors", "class=\"payload\"", "", &core::Counters::payload_errors),
    Core("protocol_errors", "class=\"limit\"", "", &core::Counters::limit_errors),
    Core("protocol_errors", "class=\"order\"", "", &core::Counters::order_errors),
    Link("peers_stalled", "",
         "Peer connections cut because the peer stopped reading (stall_timeout, or the send "
         "queue reached its bound); the peer reconnects and is resynchronised.",
         &net::LinkCounters::peers_stalled),
    Core("peer_timeouts", "", "Times the peer was silent past its deadline.",
         &core::Counters::peer_timeouts),
    Core("digest_mismatches", "", "Syncs after which the two stores differed (resynchronised).",
         &core::Counters::digest_mismatches),
    Core("split_brains_detected", "", "Times this node met another active node.",
         &core::Counters::split_brains),
    Core("reconciliations_completed", "role=\"sender\"",
         "Reconciliations completed, as the node that sent its records or the active that merged "
         "them.",
         &core::Counters::reconciliations_sent),
    Core("reconciliations_completed", "role=\"receiver\"", "",
         &core::Counters::reconciliations_received),
    Core("records_merged", "outcome=\"inserted\"",
         "Records received in reconciliations, by what merging them did.",
         &core::Counters::merge_inserted),
    Core("records_merged", "outcome=\"replaced\"", "", &core::Counters::merge_replaced),
    Core("records_merged", "outcome=\"deleted\"", "", &core::Counters::merge_deleted),
    Core("records_merged", "outcome=\"kept\"", "", &core::Counters::merge_kept),
    Core("records_merged", "outcome=\"written\"", "", &core::Counters::merge_written),
    Core("records_merged", "outcome=\"swept\"", "", &core::Counters::merge_swept),
    Core("writes_postponed", "", "Allocate/release writes held while reconciling.",
         &core::Counters::postponed),
    Core("postponed_writes_expired", "", "Postponed writes that failed after postpone_timeout.",
         &core::Counters::postponed_expired),
    Core("postponed_writes_failed", "",
         "Postponed writes that failed because the node lost the active role or stopped.",
         &core::Counters::postponed_failed),
    Control("control_connections", "outcome=\"accepted\"",
            "Control connections, by outcome: accepted, refused_limit (max_connections open, "
            "or too many TLS handshakes), refused_rate (TCP connections per second), "
            "tls_failed (TCP handshake failed or timed out), not_allowed (a certificate not in "
            "allowed_clients).",
            &ControlCounters::accepted),
    Control("control_connections", "outcome=\"refused_limit\"", "",
            &ControlCounters::refused_limit),
    Control("control_connections", "outcome=\"refused_rate\"", "", &ControlCounters::refused_rate),
    Control("control_connections", "outcome=\"tls_failed\"", "", &ControlCounters::tls_failed),
    Control("control_connections", "outcome=\"not_allowed\"", "", &ControlCounters::not_allowed),
}};

template <typename Counters>
constexpr size_t kFields = sizeof(Counters) / sizeof(uint64_t);

// Every field of the three structures has exactly one row.
constexpr bool EveryFieldOnce() {
  size_t core = 0, link = 0, control = 0;
  for (size_t i = 0; i < kCounters.size(); ++i) {
    const CounterInfo& a = kCounters[i];
    int sources = (a.core != nullptr) + (a.link != nullptr) + (a.control != nullptr);
    if (sources != 1) return false;
    core += a.core != nullptr;
    link += a.link != nullptr;
    control += a.control != nullptr;
    for (size_t j = i + 1; j < kCounters.size(); ++j) {
      const CounterInfo& b = kCounters[j];
      if ((a.core != nullptr && a.core == b.core) || (a.link != nullptr && a.link == b.link) ||
          (a.control != nullptr && a.control == b.control)) {
        return false;
      }
    }
  }
  return core == kFields<core::Counters> && link == kFields<net::LinkCounters> &&
         control == kFields<ControlCounters>;
}
static_assert(EveryFieldOnce(), "a counter field is missing from kCounters, or listed twice");

// A family's rows are consecutive, so its HELP and TYPE are printed once, and its first row
// carries the help text.
constexpr bool FamiliesConsecutive() {
  for (size_t i = 0; i < kCounters.size(); ++i) {
    std::string_view name = kCounters[i].name;
    bool first = i == 0 || name != kCounters[i - 1].name;
    if (first && std::string_view(kCounters[i].help).empty()) return false;
    for (size_t j = 0; first && j + 1 < i; ++j) {
      if (name == kCounters[j].name) return false;
    }
  }
  return true;
}
static_assert(FamiliesConsecutive(), "a metric family's rows are split, or its first has no help");

// The pools' counters: hasync_pool_<name>_total{pool="..."}.
struct PoolCounterInfo {
  const char* name;
  const char* help;
  uint64_t pool::PoolCounters::*field;
};

constexpr std::array<PoolCounterInfo, 11> kPoolCounters = {{
    {"allocations", "Addresses handed to a client that did not hold them.",
     &pool::PoolCounters::allocated},
    {"renewals", "Leases extended: renewals, and allocations to a client that held its address.",
     &pool::PoolCounters::renewed},
    {"releases", "Leases released by their client.", &pool::PoolCounters::released},
    {"expirations", "Leases this node ended when they ran out.", &pool::PoolCounters::expired},
    {"reclaims", "Addresses freed at the end of their grace period.",
     &pool::PoolCounters::reclaimed},
    {"exhausted", "Allocations refused: nothing free in what this node may allocate from.",
     &pool::PoolCounters::exhausted},
    {"refused", "Renewals and releases of a lease the client does not hold.",
     &pool::PoolCounters::refused},
    {"waited", "Requests that waited for a reconciliation to end.", &pool::PoolCounters::waited},
    {"wait_failed", "Requests that waited and timed out, or found too many waiting.",
     &pool::PoolCounters::wait_failed},
    {"index_rebuilds", "Times the lease index was re-read from the replicated table.",
     &pool::PoolCounters::rebuilds},
    {"partner_down_declarations", "Times the operator declared the peer down.",
     &pool::PoolCounters::partner_down},
}};

constexpr bool EveryPoolCounterOnce() {
  for (size_t i = 0; i < kPoolCounters.size(); ++i) {
    for (size_t j = i + 1; j < kPoolCounters.size(); ++j) {
      if (kPoolCounters[i].field == kPoolCounters[j].field) return false;
    }
  }
  return kPoolCounters.size() == kFields<pool::PoolCounters>;
}
static_assert(EveryPoolCounterOnce(), "a pool counter is missing from kPoolCounters, or twice");

void Gauge(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  fmt::format_to(std::back_inserter(out),
                 "# HELP hasync_{0} {1}\n# TYPE hasync_{0} gauge\nhasync_{0} {2}\n", name, help,
                 value);
}

// One family of per-pool series: HELP and TYPE, then a row per pool.
template <typename Read>
void PoolFamily(std::string& out, std::string_view name, std::string_view type,
                std::string_view help, const std::vector<PoolMetrics>& pools, Read read) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "# HELP hasync_pool_{0} {1}\n# TYPE hasync_pool_{0} {2}\n", name, help, type);
  // Pool names are [A-Za-z0-9_.-]: nothing to escape in a label value.
  for (const PoolMetrics& p : pools) {
    fmt::format_to(it, "hasync_pool_{}{{pool=\"{}\"}} {}\n", name, p.name, read(p));
  }
}

void PoolMetricsText(std::string& out, const std::vector<PoolMetrics>& pools) {
  if (pools.empty()) return;
  auto gauge = [&](std::string_view name, std::string_view help, auto read) {
    PoolFamily(out, name, "gauge", help, pools, read);
  };
  gauge("addresses", "Addresses in the pool.", [](const PoolMetrics& p) { return p.usage.size; });
  gauge("leased", "Addresses leased to a client.",
        [](const PoolMetrics& p) { return p.usage.leased; });
  gauge("reserved", "Addresses released or expired, reserved for their client's grace period.",
        [](const PoolMetrics& p) { return p.usage.reserved; });
  gauge("free", "Addresses neither leased nor reserved.",
        [](const PoolMetrics& p) { return p.usage.free; });
  gauge("own_share_free", "Free addresses in this node's share.",
        [](const PoolMetrics& p) { return p.usage.own_share_free; });
  gauge("scope",
        "What this node may allocate from: 0 nothing (not active), 1 waiting (reconciling), 2 "
        "its own share (the peer is unreachable, rejoining or active), 3 the whole pool.",
        [](const PoolMetrics& p) { return static_cast<uint64_t>(p.usage.scope); });
  gauge("partner_down", "1 while the operator's partner-down declaration holds.",
        [](const PoolMetrics& p) { return p.usage.partner_down ? 1u : 0u; });
  for (const PoolCounterInfo& c : kPoolCounters) {
    PoolFamily(out, fmt::format("{}_total", c.name), "counter", c.help, pools,
               [&c](const PoolMetrics& p) { return p.counters.*c.field; });
  }
  PoolFamily(out, "duplicates_total", "counter",
             "Leases a merge found given to two clients (one kept, both logged).", pools,
             [](const PoolMetrics& p) { return p.usage.duplicates; });
}

uint64_t Value(const CounterInfo& c, const core::Counters& counters, const net::LinkCounters& link,
               const ControlCounters& control) {
  if (c.core != nullptr) return counters.*c.core;
  if (c.link != nullptr) return link.*c.link;
  return control.*c.control;
}

}  // namespace

std::string FormatMetrics(const core::NodeStatus& s, const core::Counters& counters,
                          const net::LinkCounters& link, const ControlCounters& control,
                          TlsMode tls_mode, const std::vector<PoolMetrics>& pools,
                          const ConsumerMetrics* consumers) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "# HELP hasync_role The node's role (1 for the current one).\n"
                 "# TYPE hasync_role gauge\n");
  for (Role role : {Role::kInit, Role::kActive, Role::kStandby}) {
    fmt::format_to(it, "hasync_role{{role=\"{}\"}} {}\n", RoleName(role), s.role == role ? 1 : 0);
  }
  fmt::format_to(it,
                 "# HELP hasync_sync_state What the node does about sync (1 for the current).\n"
                 "# TYPE hasync_sync_state gauge\n");
  for (SyncState state : {SyncState::kIdle, SyncState::kBulkSending, SyncState::kBulkReceiving,
                          SyncState::kReconciling}) {
    fmt::format_to(it, "hasync_sync_state{{state=\"{}\"}} {}\n", SyncStateName(state),
                   s.sync == state ? 1 : 0);
  }
  Gauge(out, "node_id", "This node's id.", s.node_id);
  Gauge(out, "gvn", "Global version number.", s.gvn);
  Gauge(out, "records", "Live records in all tables.", s.records);
  Gauge(out, "peer_up", "1 when the peer is connected.", s.peer.connected ? 1 : 0);
  Gauge(out, "peer_in_sync", "1 when the peer holds everything this node sent.",
        s.peer.in_sync ? 1 : 0);
  Gauge(out, "unacked_bytes", "Bytes sent to the peer and not yet acknowledged.", s.unacked_bytes);
  Gauge(out, "sync_progress_done",
        "Records sent or received by the running bulk sync or reconciliation.", s.sync_done);
  Gauge(out, "sync_progress_total", "Records the running bulk sync or reconciliation expects.",
        s.sync_total);
  Gauge(out, "postponed_writes", "Allocate/release writes waiting for the reconciliation to end.",
        s.postponed);
  Gauge(out, "tombstones",
        "Deletes kept until the peer acknowledges them (they accumulate while the node runs "
        "alone).",
        s.tombstones);
  fmt::format_to(it,
                 "# HELP hasync_peer_sync_state What the connected peer does about sync (1 for "
                 "the current).\n"
                 "# TYPE hasync_peer_sync_state gauge\n");
  for (SyncState state : {SyncState::kIdle, SyncState::kBulkSending, SyncState::kBulkReceiving,
                          SyncState::kReconciling}) {
    fmt::format_to(it, "hasync_peer_sync_state{{state=\"{}\"}} {}\n", SyncStateName(state),
                   s.peer.connected && s.peer.sync == state ? 1 : 0);
  }
  fmt::format_to(it,
                 "# HELP hasync_tls_mode How the sync channel is secured (1 for the current "
                 "mode).\n"
                 "# TYPE hasync_tls_mode gauge\n");
  for (TlsMode mode : kTlsModes) {
    fmt::format_to(it, "hasync_tls_mode{{mode=\"{}\"}} {}\n", TlsModeName(mode),
                   mode == tls_mode ? 1 : 0);
  }
  std::string_view family;
  for (const CounterInfo& c : kCounters) {
    if (c.name != family) {
      family = c.name;
      fmt::format_to(it, "# HELP hasync_{0}_total {1}\n# TYPE hasync_{0}_total counter\n", c.name,
                     c.help);
    }
    uint64_t value = Value(c, counters, link, control);
    if (*c.label == '\0') {
      fmt::format_to(it, "hasync_{}_total {}\n", c.name, value);
    } else {
      fmt::format_to(it, "hasync_{}_total{{{}}} {}\n", c.name, c.label, value);
    }
  }
  PoolMetricsText(out, pools);
  if (consumers != nullptr) ConsumerMetricsText(out, *consumers);
  return out;
}

}  // namespace hasync::daemon
