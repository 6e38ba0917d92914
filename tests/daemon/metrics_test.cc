#include "daemon/metrics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hasync::daemon {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

std::string Format(const core::NodeStatus& s, const core::Counters& c) {
  return FormatMetrics(s, c, net::LinkCounters{}, ControlCounters{}, TlsMode::kCertificate);
}

TEST(MetricsTest, StateAndCountersInTextFormat) {
  core::NodeStatus s{};
  s.node_id = 2;
  s.role = Role::kStandby;
  s.sync = SyncState::kBulkReceiving;
  s.peer.connected = true;
  s.gvn = 7;
  s.records = 1234;
  s.unacked_bytes = 0;
  core::Counters c;
  c.failovers = 3;
  c.bytes_sent = 99;
  std::string text = Format(s, c);
  EXPECT_TRUE(Has(text, "hasync_role{role=\"standby\"} 1")) << text;
  EXPECT_TRUE(Has(text, "hasync_role{role=\"active\"} 0"));
  EXPECT_TRUE(Has(text, "hasync_sync_state{state=\"bulk_receiving\"} 1"));
  EXPECT_TRUE(Has(text, "hasync_gvn 7"));
  EXPECT_TRUE(Has(text, "hasync_records 1234"));
  EXPECT_TRUE(Has(text, "hasync_peer_up 1"));
  EXPECT_TRUE(Has(text, "hasync_failovers_total 3"));
  EXPECT_TRUE(Has(text, "hasync_bytes_sent_total 99"));
  EXPECT_TRUE(Has(text, "# TYPE hasync_failovers_total counter"));
  EXPECT_EQ(text.back(), '\n');
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(MetricsTest, ReconciliationCountersAndGauges) {
  core::NodeStatus s{};
  s.role = Role::kActive;
  s.sync = SyncState::kReconciling;
  s.peer.connected = true;
  s.peer.sync = SyncState::kReconciling;
  s.postponed = 3;
  s.tombstones = 17;
  core::Counters c;
  c.split_brains = 1;
  c.reconciliations_sent = 2;
  c.reconciliations_received = 5;
  c.merge_inserted = 10;
  c.merge_replaced = 11;
  c.merge_deleted = 12;
  c.merge_kept = 13;
  c.merge_written = 14;
  c.merge_swept = 15;
  c.postponed = 6;
  c.postponed_expired = 4;
  c.postponed_failed = 2;
  c.digest_mismatches = 1;
  std::string text = Format(s, c);
  EXPECT_TRUE(Has(text, "hasync_split_brains_detected_total 1")) << text;
  EXPECT_TRUE(Has(text, "hasync_reconciliations_completed_total{role=\"sender\"} 2"));
  EXPECT_TRUE(Has(text, "hasync_reconciliations_completed_total{role=\"receiver\"} 5"));
  EXPECT_TRUE(Has(text, "hasync_records_merged_total{outcome=\"inserted\"} 10"));
  EXPECT_TRUE(Has(text, "hasync_records_merged_total{outcome=\"replaced\"} 11"));
  EXPECT_TRUE(Has(text, "hasync_records_merged_total{outcome=\"deleted\"} 12"));
  EXPECT_TRUE(Has(text, "hasync_records_merged_total{outcome=\"kept\"} 13"));
  EXPECT_TRUE(Has(text, "hasync_records_merged_total{outcome=\"written\"} 14"));
  EXPECT_TRUE(Has(text, "hasync_records_merged_total{outcome=\"swept\"} 15"));
  EXPECT_TRUE(Has(text, "hasync_writes_postponed_total 6"));
  EXPECT_TRUE(Has(text, "hasync_postponed_writes_expired_total 4"));
  EXPECT_TRUE(Has(text, "hasync_postponed_writes_failed_total 2"));
  EXPECT_TRUE(Has(text, "hasync_digest_mismatches_total 1"));
  EXPECT_TRUE(Has(text, "hasync_postponed_writes 3"));
  EXPECT_TRUE(Has(text, "# TYPE hasync_postponed_writes gauge"));
  EXPECT_TRUE(Has(text, "hasync_tombstones 17"));
  EXPECT_TRUE(Has(text, "hasync_sync_state{state=\"reconciling\"} 1"));
  EXPECT_TRUE(Has(text, "hasync_peer_sync_state{state=\"reconciling\"} 1"));
  EXPECT_TRUE(Has(text, "hasync_peer_sync_state{state=\"idle\"} 0"));
  // One HELP and TYPE per family, before its first series.
  EXPECT_EQ(Count(text, "# TYPE hasync_records_merged_total counter\n"), 1u);
  EXPECT_EQ(Count(text, "# HELP hasync_reconciliations_completed_total "), 1u);
  EXPECT_LT(text.find("# TYPE hasync_records_merged_total"),
            text.find("hasync_records_merged_total{"));
}

TEST(MetricsTest, PeerSyncStateIsAllZeroWhileThePeerIsDown) {
  core::NodeStatus s{};
  s.peer.connected = false;
  s.peer.sync = SyncState::kIdle;
  std::string text = Format(s, core::Counters{});
  EXPECT_TRUE(Has(text, "hasync_peer_sync_state{state=\"idle\"} 0")) << text;
}

TEST(MetricsTest, LinkAndControlCountersJoinTheirFamilies) {
  core::Counters c;
  c.rejected_cluster = 2;
  c.writes_refused_busy = 9;
  c.frame_errors_checksum = 4;
  net::LinkCounters link;
  link.connections_accepted = 30;
  link.connections_rate_limited = 11;
  link.connections_busy = 3;
  link.handshakes_failed = 5;
  link.peers_wrong_identity = 6;
  link.handshake_timeouts = 7;
  link.peers_stalled = 8;
  ControlCounters control;
  control.accepted = 40;
  control.refused_limit = 41;
  control.refused_rate = 42;
  control.tls_failed = 43;
  control.not_allowed = 44;
  std::string text = FormatMetrics(core::NodeStatus{}, c, link, control, TlsMode::kPsk);
  EXPECT_TRUE(Has(text, "hasync_sync_connections_total{outcome=\"accepted\"} 30")) << text;
  EXPECT_TRUE(Has(text, "hasync_sync_connections_total{outcome=\"rate_limited\"} 11"));
  EXPECT_TRUE(Has(text, "hasync_sync_connections_total{outcome=\"busy\"} 3"));
  EXPECT_TRUE(Has(text, "hasync_peers_rejected_total{reason=\"cluster\"} 2"));
  EXPECT_TRUE(Has(text, "hasync_peers_rejected_total{reason=\"tls\"} 5"));
  EXPECT_TRUE(Has(text, "hasync_peers_rejected_total{reason=\"identity\"} 6"));
  EXPECT_TRUE(Has(text, "hasync_peers_rejected_total{reason=\"handshake_timeout\"} 7"));
  EXPECT_TRUE(Has(text, "hasync_peers_stalled_total 8"));
  EXPECT_TRUE(Has(text, "hasync_writes_refused_total{reason=\"busy\"} 9"));
  EXPECT_TRUE(Has(text, "hasync_protocol_errors_total{class=\"checksum\"} 4"));
  EXPECT_TRUE(Has(text, "hasync_control_connections_total{outcome=\"accepted\"} 40"));
  EXPECT_TRUE(Has(text, "hasync_control_connections_total{outcome=\"refused_limit\"} 41"));
  EXPECT_TRUE(Has(text, "hasync_control_connections_total{outcome=\"refused_rate\"} 42"));
  EXPECT_TRUE(Has(text, "hasync_control_connections_total{outcome=\"tls_failed\"} 43"));
  EXPECT_TRUE(Has(text, "hasync_control_connections_total{outcome=\"not_allowed\"} 44"));
  // The core's and the link's rejections are one family: one HELP, one TYPE, rows together.
  EXPECT_EQ(Count(text, "# TYPE hasync_peers_rejected_total counter\n"), 1u);
  EXPECT_EQ(Count(text, "# HELP hasync_peers_rejected_total "), 1u);
  size_t first = text.find("hasync_peers_rejected_total{");
  size_t last = text.rfind("hasync_peers_rejected_total{");
  EXPECT_EQ(Count(text.substr(first, last - first), "\n"), 6u)
      << "the seven rows are consecutive lines";
}

TEST(MetricsTest, TlsModeGaugeShowsTheCurrentMode) {
  for (TlsMode mode : kTlsModes) {
    std::string text = FormatMetrics(core::NodeStatus{}, core::Counters{}, net::LinkCounters{},
                                     ControlCounters{}, mode);
    EXPECT_TRUE(Has(text, "# TYPE hasync_tls_mode gauge"));
    for (TlsMode other : kTlsModes) {
      EXPECT_TRUE(Has(text, fmt::format("hasync_tls_mode{{mode=\"{}\"}} {}", TlsModeName(other),
                                        other == mode ? 1 : 0)))
          << text;
    }
  }
}

TEST(MetricsTest, EveryFamilyHasOneHelpAndType) {
  std::string text = Format(core::NodeStatus{}, core::Counters{});
  size_t at = 0;
  std::vector<std::string> families;
  while ((at = text.find("# TYPE ", at)) != std::string::npos) {
    at += 7;
    families.push_back(text.substr(at, text.find(' ', at) - at));
  }
  for (const std::string& family : families) {
    EXPECT_EQ(Count(text, "# TYPE " + family + " "), 1u) << family;
    EXPECT_EQ(Count(text, "# HELP " + family + " "), 1u) << family;
  }
}

std::string WithPools(const std::vector<PoolMetrics>& pools) {
  return FormatMetrics(core::NodeStatus{}, core::Counters{}, net::LinkCounters{}, ControlCounters{},
                       TlsMode::kCertificate, pools);
}

TEST(MetricsTest, PoolSeriesAreLabelledByPool) {
  PoolMetrics lan{"lan", {}, {}};
  lan.usage.size = 254;
  lan.usage.leased = 3;
  lan.usage.reserved = 1;
  lan.usage.free = 250;
  lan.usage.own_share_free = 125;
  lan.usage.scope = PoolScope::kOwnShare;
  lan.usage.partner_down = true;
  lan.usage.duplicates = 2;
  pool::PoolCounters& c = lan.counters;
  c.allocated = 11, c.renewed = 12, c.released = 13, c.expired = 14, c.reclaimed = 15;
  c.exhausted = 16, c.refused = 17, c.waited = 18, c.wait_failed = 19, c.rebuilds = 20;
  c.partner_down = 21;
  PoolMetrics v6{"v6.guests", {}, {}};
  v6.usage.size = 256;
  std::string text = WithPools({lan, v6});
  for (const char* line : {
           "hasync_pool_addresses{pool=\"lan\"} 254",
           "hasync_pool_addresses{pool=\"v6.guests\"} 256",
           "hasync_pool_leased{pool=\"lan\"} 3",
           "hasync_pool_reserved{pool=\"lan\"} 1",
           "hasync_pool_free{pool=\"lan\"} 250",
           "hasync_pool_own_share_free{pool=\"lan\"} 125",
           "hasync_pool_scope{pool=\"lan\"} 2",
           "hasync_pool_scope{pool=\"v6.guests\"} 0",
           "hasync_pool_partner_down{pool=\"lan\"} 1",
           "hasync_pool_partner_down{pool=\"v6.guests\"} 0",
           "hasync_pool_allocations_total{pool=\"lan\"} 11",
           "hasync_pool_renewals_total{pool=\"lan\"} 12",
           "hasync_pool_releases_total{pool=\"lan\"} 13",
           "hasync_pool_expirations_total{pool=\"lan\"} 14",
           "hasync_pool_reclaims_total{pool=\"lan\"} 15",
           "hasync_pool_exhausted_total{pool=\"lan\"} 16",
           "hasync_pool_refused_total{pool=\"lan\"} 17",
           "hasync_pool_waited_total{pool=\"lan\"} 18",
           "hasync_pool_wait_failed_total{pool=\"lan\"} 19",
           "hasync_pool_index_rebuilds_total{pool=\"lan\"} 20",
           "hasync_pool_partner_down_declarations_total{pool=\"lan\"} 21",
           "hasync_pool_duplicates_total{pool=\"lan\"} 2",
           "hasync_pool_duplicates_total{pool=\"v6.guests\"} 0",
           "# TYPE hasync_pool_leased gauge",
           "# TYPE hasync_pool_allocations_total counter",
       }) {
    EXPECT_TRUE(Has(text, line)) << line << "\n" << text;
  }
  // One HELP and TYPE per family, whatever the number of pools.
  EXPECT_EQ(Count(text, "# TYPE hasync_pool_addresses gauge\n"), 1u);
  EXPECT_EQ(Count(text, "# HELP hasync_pool_exhausted_total "), 1u);
  EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsTest, NoPoolsNoPoolFamilies) {
  EXPECT_EQ(WithPools({}).find("hasync_pool_"), std::string::npos);
}

std::string WithConsumers(const ConsumerMetrics* consumers) {
  return FormatMetrics(core::NodeStatus{}, core::Counters{}, net::LinkCounters{}, ControlCounters{},
                       TlsMode::kCertificate, {}, consumers);
}

TEST(MetricsTest, ConsumerFamiliesCountEveryField) {
  ConsumerMetrics m;
  replay::PublisherCounters& c = m.counters;
  c.connections = 1, c.refused = 2, c.protocol_errors = 3, c.ops = 4, c.updates_sent = 5;
  c.silent = 28;
  c.records_sent = 6, c.resumes = 7, c.resumes_in_sync = 8, c.replayed_records = 9;
  c.replayed_bytes = 10, c.full_resend_records = 11, c.behind = 12, c.dropped = 13;
  c.replays[1] = 14, c.replays[2] = 15, c.replays[3] = 16;
  c.failover_replayed_records = 17, c.failover_replayed_bytes = 18;
  c.failover_full_resend_records = 19;
  m.port = {20, 21, 22};
  m.connections = 23;
  m.channels_by_phase = {24, 25, 26, 27};
  std::string text = WithConsumers(&m);
  for (const char* line : {
           "hasync_consumer_channels{phase=\"away\"} 24",
           "hasync_consumer_channels{phase=\"live\"} 25",
           "hasync_consumer_channels{phase=\"replaying\"} 26",
           "hasync_consumer_channels{phase=\"behind\"} 27",
           "hasync_consumer_connections 23",
           "hasync_consumer_connections_accepted_total 1",
           "hasync_consumer_hellos_refused_total 2",
           "hasync_consumer_protocol_errors_total 3",
           "hasync_consumer_silent_total 28",
           "hasync_consumer_ops_total 4",
           "hasync_consumer_updates_total 5",
           "hasync_consumer_records_sent_total 6",
           "hasync_consumer_resumes_total 7",
           "hasync_consumer_resumes_in_sync_total 8",
           "hasync_consumer_replayed_records_total 9",
           "hasync_consumer_replayed_bytes_total 10",
           "hasync_consumer_full_resend_records_total 11",
           "hasync_consumer_behind_total 12",
           "hasync_consumer_dropped_total 13",
           "hasync_consumer_replays_total{kind=\"keys\"} 14",
           "hasync_consumer_replays_total{kind=\"sections\"} 15",
           "hasync_consumer_replays_total{kind=\"full\"} 16",
           "hasync_consumer_failover_replayed_records 17",
           "hasync_consumer_failover_replayed_bytes 18",
           "hasync_consumer_failover_full_resend_records 19",
           "hasync_consumer_connections_refused_total{reason=\"rate_limited\"} 20",
           "hasync_consumer_connections_refused_total{reason=\"busy\"} 21",
           "hasync_consumer_queue_overflows_total 22",
           "# TYPE hasync_consumer_channels gauge",
           "# TYPE hasync_consumer_failover_replayed_records gauge",
           "# TYPE hasync_consumer_replays_total counter",
       }) {
    EXPECT_TRUE(Has(text, line)) << line << "\n" << text;
  }
  // Each family once, with its HELP and TYPE.
  size_t at = 0;
  while ((at = text.find("# TYPE hasync_consumer_", at)) != std::string::npos) {
    at += 7;
    std::string family = text.substr(at, text.find(' ', at) - at);
    EXPECT_EQ(Count(text, "# TYPE " + family + " "), 1u) << family;
    EXPECT_EQ(Count(text, "# HELP " + family + " "), 1u) << family;
  }
  EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsTest, NoConsumerPortNoConsumerFamilies) {
  EXPECT_EQ(WithConsumers(nullptr).find("hasync_consumer_"), std::string::npos);
}

}  // namespace
}  // namespace hasync::daemon
