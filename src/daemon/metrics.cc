#include "daemon/metrics.h"

#include <fmt/format.h>

#include <array>
#include <iterator>

namespace hasync::daemon {

namespace {

struct CounterInfo {
  const char* name;   // the metric is hasync_<name>_total
  const char* label;  // "" or one label (role="sender"); a family's rows are consecutive
  const char* help;   // of the family: its first row's
  uint64_t core::Counters::*field;
};

// One row per core::Counters field; a field missing here is missing from /metrics.
constexpr std::array<CounterInfo, 34> kCounters = {{
    {"frames_sent", "", "Frames sent to the peer.", &core::Counters::frames_sent},
    {"frames_received", "", "Frames received from the peer.", &core::Counters::frames_received},
    {"bytes_sent", "", "Bytes sent to the peer.", &core::Counters::bytes_sent},
    {"bytes_received", "", "Bytes received from the peer.", &core::Counters::bytes_received},
    {"records_sent", "", "Upserts and deletes sent, incremental and bulk.",
     &core::Counters::records_sent},
    {"records_received", "", "Upserts and deletes received.", &core::Counters::records_received},
    {"writes", "", "Local writes applied.", &core::Counters::writes},
    {"writes_refused", "", "Local writes refused (not active, limits, busy).",
     &core::Counters::writes_refused},
    {"replicated_acked", "", "Replicated writes the standby confirmed.",
     &core::Counters::replicated_acked},
    {"replicated_failed", "", "Replicated writes that timed out or lost their peer.",
     &core::Counters::replicated_failed},
    {"bulk_syncs_started", "", "Bulk syncs started.", &core::Counters::bulk_syncs_started},
    {"bulk_syncs_completed", "", "Bulk syncs completed.", &core::Counters::bulk_syncs_completed},
    {"records_swept", "", "Records erased on a standby after a bulk sync.",
     &core::Counters::records_swept},
    {"resyncs", "", "Bulk syncs forced by a standby that fell behind.", &core::Counters::resyncs},
    {"failovers", "", "Times this node became active because its peer was lost.",
     &core::Counters::failovers},
    {"switchovers", "", "Planned handovers completed.", &core::Counters::switchovers},
    {"channels_up", "", "Sync connections established.", &core::Counters::channels_up},
    {"channels_lost", "", "Sync connections lost.", &core::Counters::channels_lost},
    {"peers_rejected", "", "Peers refused at hello (cluster, version, node id, shared config).",
     &core::Counters::peers_rejected},
    {"protocol_errors", "", "Malformed or out-of-order input from the peer.",
     &core::Counters::protocol_errors},
    {"peer_timeouts", "", "Times the peer was silent past its deadline.",
     &core::Counters::peer_timeouts},
    {"digest_mismatches", "", "Syncs after which the two stores differed (resynchronised).",
     &core::Counters::digest_mismatches},
    {"split_brains_detected", "", "Times this node met another active node.",
     &core::Counters::split_brains},
    {"reconciliations_completed", "role=\"sender\"",
     "Reconciliations completed, as the node that sent its records or the active that merged "
     "them.",
     &core::Counters::reconciliations_sent},
    {"reconciliations_completed", "role=\"receiver\"", "",
     &core::Counters::reconciliations_received},
    {"records_merged", "outcome=\"inserted\"",
     "Records received in reconciliations, by what merging them did.",
     &core::Counters::merge_inserted},
    {"records_merged", "outcome=\"replaced\"", "", &core::Counters::merge_replaced},
    {"records_merged", "outcome=\"deleted\"", "", &core::Counters::merge_deleted},
    {"records_merged", "outcome=\"kept\"", "", &core::Counters::merge_kept},
    {"records_merged", "outcome=\"written\"", "", &core::Counters::merge_written},
    {"records_merged", "outcome=\"swept\"", "", &core::Counters::merge_swept},
    {"writes_postponed", "", "Allocate/release writes held while reconciling.",
     &core::Counters::postponed},
    {"postponed_writes_expired", "", "Postponed writes that failed after postpone_timeout.",
     &core::Counters::postponed_expired},
    {"postponed_writes_failed", "",
     "Postponed writes that failed because the node lost the active role or stopped.",
     &core::Counters::postponed_failed},
}};
static_assert(sizeof(core::Counters) == kCounters.size() * sizeof(uint64_t),
              "a core::Counters field is missing from kCounters");

void Gauge(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  fmt::format_to(std::back_inserter(out),
                 "# HELP hasync_{0} {1}\n# TYPE hasync_{0} gauge\nhasync_{0} {2}\n", name, help,
                 value);
}

}  // namespace

std::string FormatMetrics(const core::NodeStatus& s, const core::Counters& counters) {
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
  fmt::format_to(it,
                 "# HELP hasync_peer_sync_state What the connected peer does about sync (1 for "
                 "the current).\n"
                 "# TYPE hasync_peer_sync_state gauge\n");
  for (SyncState state : {SyncState::kIdle, SyncState::kBulkSending, SyncState::kBulkReceiving,
                          SyncState::kReconciling}) {
    fmt::format_to(it, "hasync_peer_sync_state{{state=\"{}\"}} {}\n", SyncStateName(state),
                   s.peer.connected && s.peer.sync == state ? 1 : 0);
  }
  std::string_view family;
  for (const CounterInfo& c : kCounters) {
    if (c.name != family) {
      family = c.name;
      fmt::format_to(it, "# HELP hasync_{0}_total {1}\n# TYPE hasync_{0}_total counter\n", c.name,
                     c.help);
    }
    if (*c.label == '\0') {
      fmt::format_to(it, "hasync_{}_total {}\n", c.name, counters.*c.field);
    } else {
      fmt::format_to(it, "hasync_{}_total{{{}}} {}\n", c.name, c.label, counters.*c.field);
    }
  }
  return out;
}

}  // namespace hasync::daemon
