#include "daemon/metrics.h"

#include <gtest/gtest.h>

namespace hasync::daemon {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
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
  std::string text = FormatMetrics(s, c);
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

}  // namespace
}  // namespace hasync::daemon
