// Role election, failover and the hello checks of core::Node.
#include <gtest/gtest.h>

#include <string>

#include "pair.h"

namespace hasync::core::testing {
namespace {

TEST(Election, HigherPriorityBecomesActive) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected(50ms);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).status().role, Role::kStandby);
}

TEST(Election, EqualPriorityHigherNodeIdWins) {
  Pair p(TestConfig(1, 100), TestConfig(2, 100));
  p.StartConnected(50ms);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
}

TEST(Election, NodeAloneBecomesActiveAfterStartupWait) {
  Pair p(TestConfig(1, 100), TestConfig(2, 100));
  p.Start(0);
  p.Run(150ms);
  EXPECT_EQ(p.node(0).status().role, Role::kInit);
  p.Run(100ms);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);
}

TEST(Election, LateJoinerBecomesStandbyWithoutPreemption) {
  Pair p(TestConfig(1, 50), TestConfig(2, 250));
  p.Start(0);
  p.Run(300ms);
  p.Start(1);
  p.Connect();
  p.Run(1s);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).status().role, Role::kStandby);
}

TEST(Election, PreemptingStandbyTakesOverOnceInSync) {
  CoreConfig high = TestConfig(2, 250);
  high.preempt = true;
  Pair p(TestConfig(1, 50), high);
  p.Start(0);
  p.Run(300ms);
  ASSERT_TRUE(p.node(0).Put(p.now(), "t", "k", "v", Durability::kAsync, 0).status.ok());
  p.Start(1);
  p.Connect();
  p.Run(1s);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).store().records(), 1u);
}

TEST(Election, TwoActivesMeetingKeepTheHigherRanked) {
  Pair p(TestConfig(1, 100), TestConfig(2, 200));
  p.Start(0);
  p.Start(1);
  p.Run(300ms);  // both alone: both active
  ASSERT_EQ(p.node(0).status().role, Role::kActive);
  ASSERT_EQ(p.node(1).status().role, Role::kActive);
  p.Connect();
  p.Run(500ms);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(0).store().digest(), p.node(1).store().digest());
}

// Regression (simulator seeds 290, 506): a node restarted empty that became active alone, while
// its peer still held the old connection, outranked the survivor and wiped it by bulk sync. It
// still keeps the active role by priority, but the survivor now yields by reconciling its records
// into it first, so nothing is lost.
TEST(Election, RestartedEmptyNodeNeverWipesTheSurvivor) {
  Pair p(TestConfig(1, 100), TestConfig(2, 250));
  p.Start(0);
  p.Run(300ms);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(p.node(0)
                    .Put(p.now(), "t", "k" + std::to_string(i), "v", Durability::kAsync, 0)
                    .status.ok());
  }
  p.Start(1);
  p.Connect();
  p.Run(200ms);
  ASSERT_TRUE(p.node(0).status().peer.in_sync);
  p.Crash(1);
  p.Start(1);
  p.Run(300ms);  // alone: active, empty, and it outranks node 1
  ASSERT_EQ(p.node(1).status().role, Role::kActive);
  p.Connect();
  p.Run(500ms);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(0).counters().reconciliations_sent, 1u);
  EXPECT_EQ(p.node(1).store().records(), 50u);
  EXPECT_EQ(p.node(0).store().digest(), p.node(1).store().digest());
}

// Regression (simulator seed 200): after a switchover, heartbeats the old active sent before it
// read the answer said "active" and stopped the new active's replication.
TEST(Switchover, StaleActiveHeartbeatDoesNotStopReplication) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected();
  p.Stall(1, true);  // node 1's answer is held back...
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Settle();
  ASSERT_EQ(p.node(1).status().role, Role::kActive);
  p.Run(60ms);  // ...while node 0, still active, sends a heartbeat saying so
  ASSERT_TRUE(p.node(1).Put(p.now(), "t", "k", "v", Durability::kAsync, 0).status.ok());
  p.Stall(1, false);
  p.Run(100ms);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(0).store().records(), 1u);
}

TEST(Failover, StandbyTakesOverWhenChannelCloses) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected();
  p.Crash(0);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).counters().failovers, 1u);
}

TEST(Failover, StandbyTakesOverWhenPeerFallsSilent) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected();
  p.Partition(true);
  p.Run(120ms);  // 2.4 heartbeat intervals: not yet
  EXPECT_EQ(p.node(1).status().role, Role::kStandby);
  p.Run(60ms);  // past 3 intervals
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).counters().peer_timeouts, 1u);
}

TEST(Failover, GoodbyeHandsOverAtOnce) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected();
  p.node(0).Shutdown(p.now());
  p.Settle();
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
}

TEST(Failover, StoppedStandbyNeverTurnsActive) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected();
  p.node(1).Shutdown(p.now());
  p.Settle();
  p.Partition(true);
  p.Run(1s);  // its peer deadline would have expired long ago
  EXPECT_EQ(p.node(1).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).Put(p.now(), "t", "k", "v", Durability::kAsync, 0).status.code(),
            Code::kUnavailable);
}

TEST(Hello, PeerFromAnotherClusterIsRejected) {
  CoreConfig other = TestConfig(2, 100);
  other.cluster = "elsewhere";
  Pair p(TestConfig(1, 100), other);
  p.Start(0);
  p.Start(1);
  p.Connect();
  // Whichever reads the other's hello first refuses it and closes the channel.
  EXPECT_FALSE(p.node(0).status().peer.connected);
  EXPECT_FALSE(p.node(1).status().peer.connected);
  EXPECT_EQ(p.node(0).counters().peers_rejected() + p.node(1).counters().peers_rejected(), 1u);
}

TEST(Hello, PeerClaimingOurNodeIdIsRejected) {
  Pair p(TestConfig(1, 100), TestConfig(1, 100));
  p.Start(0);
  p.Start(1);
  p.Connect();
  EXPECT_FALSE(p.node(0).status().peer.connected);
  EXPECT_FALSE(p.node(1).status().peer.connected);
  EXPECT_EQ(p.node(0).counters().peers_rejected() + p.node(1).counters().peers_rejected(), 1u);
}

TEST(Hello, PeerWithOtherLimitsIsRejected) {
  CoreConfig other = TestConfig(2, 100);
  other.limits.max_value_bytes = 1000;
  Pair p(TestConfig(1, 100), other);
  p.Start(0);
  p.Start(1);
  p.Connect();
  EXPECT_FALSE(p.node(1).status().peer.connected);
}

TEST(Hello, GarbageClosesTheChannelAndIsCounted) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.StartConnected();
  std::vector<uint8_t> junk(64, 0xAB);
  p.Inject(1, junk);
  EXPECT_EQ(p.node(1).counters().protocol_errors(), 1u);
  EXPECT_FALSE(p.node(1).status().peer.connected);
}

}  // namespace
}  // namespace hasync::core::testing
