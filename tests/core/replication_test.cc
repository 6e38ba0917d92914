// Bulk sync, incremental replication, durability, backpressure and switchover of core::Node.
#include <gtest/gtest.h>

#include <string>

#include "pair.h"

namespace hasync::core::testing {
namespace {

std::string Key(int i) { return "key-" + std::to_string(i); }

// Node 0 active with `records` records, node 1 not started yet.
Pair ActiveWith(int records, CoreConfig a = TestConfig(1, 200), CoreConfig b = TestConfig(2, 100)) {
  Pair p(std::move(a), std::move(b));
  p.Start(0);
  p.Run(300ms);
  for (int i = 0; i < records; ++i) {
    EXPECT_TRUE(p.node(0)
                    .Put(p.now(), "sessions", Key(i), std::string(100, 'v'), Durability::kAsync, 0)
                    .status.ok());
  }
  return p;
}

void ExpectSameRecords(Node& a, Node& b) {
  EXPECT_EQ(a.store().records(), b.store().records());
  EXPECT_EQ(a.store().digest(), b.store().digest());
}

TEST(BulkSync, NewStandbyReceivesEveryRecordThenEof) {
  Pair p = ActiveWith(5000);
  p.Start(1);
  p.Connect();
  p.Run(500ms);
  ExpectSameRecords(p.node(0), p.node(1));
  EXPECT_TRUE(p.node(0).status().peer.in_sync);
  EXPECT_EQ(p.node(1).counters().bulk_syncs_completed, 1u);
  // GVN + 1 for the bulk sync, and the standby takes its GVN from the RVNs.
  EXPECT_EQ(p.node(0).status().gvn, 1u);
  EXPECT_EQ(p.node(1).status().gvn, 1u);
}

TEST(BulkSync, WritesDuringBulkSyncAreNeitherLostNorReordered) {
  CoreConfig a = TestConfig(1, 200);
  a.bulk_step_records = 100;  // many steps, with writes between them
  Pair p = ActiveWith(3000, a);
  p.Start(1);
  p.Connect();
  for (int round = 0; p.node(0).status().sync == SyncState::kBulkSending; ++round) {
    // Overwrite records already sent, not yet sent, delete some, add new ones.
    Node& n = p.node(0);
    ASSERT_TRUE(n.Put(p.now(), "sessions", Key(round * 7 % 3000), "changed", Durability::kAsync, 0)
                    .status.ok());
    n.Erase(p.now(), "sessions", Key(round * 13 % 3000), Durability::kAsync, 0);
    ASSERT_TRUE(n.Put(p.now(), "other", Key(round), "new", Durability::kAsync, 0).status.ok());
    p.Run(1ms);
    ASSERT_LT(round, 10000);
  }
  p.Run(200ms);
  ExpectSameRecords(p.node(0), p.node(1));
}

TEST(BulkSync, StandbySweepsRecordsDeletedWhileApart) {
  Pair p = ActiveWith(100);
  p.Start(1);
  p.Connect();
  p.Run(200ms);
  ExpectSameRecords(p.node(0), p.node(1));
  p.Disconnect();  // node 1 (standby) takes over alone; demote it by priority on reconnect
  p.Run(10ms);
  for (int i = 0; i < 10; ++i) p.node(0).Erase(p.now(), "sessions", Key(i), Durability::kAsync, 0);
  p.Connect();
  p.Run(500ms);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).status().role, Role::kStandby);
  ExpectSameRecords(p.node(0), p.node(1));
  EXPECT_EQ(p.node(1).store().records(), 90u);
}

TEST(BulkSync, RateLimitPacesRecordsPerSecond) {
  CoreConfig a = TestConfig(1, 200);
  a.bulk_rate = 1000;
  Pair p = ActiveWith(500, a);
  p.Start(1);
  p.Connect();
  p.Run(300ms);
  uint64_t early = p.node(1).store().records();
  EXPECT_GT(early, 150u);
  EXPECT_LT(early, 450u);
  p.Run(400ms);
  ExpectSameRecords(p.node(0), p.node(1));
}

TEST(Incremental, UpdatesAndDeletesReachTheStandby) {
  Pair p = ActiveWith(10);
  p.Start(1);
  p.Connect();
  p.Run(100ms);
  Node& a = p.node(0);
  ASSERT_TRUE(a.Put(p.now(), "sessions", Key(1), "new value", Durability::kAsync, 0).status.ok());
  ASSERT_TRUE(a.Erase(p.now(), "sessions", Key(2), Durability::kAsync, 0).status.ok());
  p.Settle();
  auto r = p.node(1).store().Find("sessions")->Get(Key(1));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value, "new value");
  EXPECT_FALSE(p.node(1).store().Find("sessions")->Get(Key(2)).has_value());
  ExpectSameRecords(a, p.node(1));
  // The tombstone is purged once the standby acknowledged the delete.
  EXPECT_EQ(a.store().Find("sessions")->tombstones(), 0u);
}

TEST(Durability, ReplicatedWriteCompletesOnlyAfterTheStandbyAcks) {
  Pair p = ActiveWith(0);
  p.Start(1);
  p.Connect();
  p.Run(100ms);
  p.Stall(1, true);  // the standby's acks are held back
  WriteOutcome w = p.node(0).Put(p.now(), "t", "k", "v", Durability::kReplicated, 42);
  ASSERT_TRUE(w.status.ok());
  EXPECT_TRUE(w.pending);
  p.Settle();
  auto completed = [&] {
    for (const Event& e : p.events(0)) {
      if (auto* c = std::get_if<WriteCompleted>(&e); c && c->token == 42)
        return c->status.ok() ? 1 : -1;
    }
    return 0;
  };
  EXPECT_EQ(completed(), 0);
  p.Stall(1, false);
  p.Settle();
  EXPECT_EQ(completed(), 1);
}

TEST(Durability, ReplicatedWriteTimesOutWithoutAck) {
  Pair p = ActiveWith(0);
  p.Start(1);
  p.Connect();
  p.Run(100ms);
  p.Stall(1, true);
  ASSERT_TRUE(p.node(0).Put(p.now(), "t", "k", "v", Durability::kReplicated, 7).pending);
  p.Run(2100ms);  // heartbeats are stalled too: the channel dies first, failing the write
  bool failed = false;
  for (const Event& e : p.events(0)) {
    if (auto* c = std::get_if<WriteCompleted>(&e); c && c->token == 7) failed = !c->status.ok();
  }
  EXPECT_TRUE(failed);
}

TEST(Durability, ReplicatedWriteWithoutStandbyIsRefused) {
  Pair p = ActiveWith(0);
  WriteOutcome w = p.node(0).Put(p.now(), "t", "k", "v", Durability::kReplicated, 1);
  EXPECT_EQ(w.status.code(), Code::kUnavailable);
  EXPECT_EQ(p.node(0).store().records(), 0u);
}

TEST(Writes, WriteToStandbyIsRefusedNamingTheActive) {
  Pair p = ActiveWith(0);
  p.Start(1);
  p.Connect();
  p.Run(100ms);
  WriteOutcome w = p.node(1).Put(p.now(), "t", "k", "v", Durability::kAsync, 0);
  EXPECT_EQ(w.status.code(), Code::kNotActive);
  EXPECT_NE(w.status.message().find("node 1 is active"), std::string::npos) << w.status.message();
}

TEST(Writes, OverLimitValueIsRefused) {
  Pair p = ActiveWith(0);
  WriteOutcome w = p.node(0).Put(p.now(), "t", "k", std::string(70000, 'x'), Durability::kAsync, 0);
  EXPECT_EQ(w.status.code(), Code::kTooLarge);
}

TEST(Backpressure, StandbyThatStopsReadingIsResynchronisedNotBuffered) {
  CoreConfig a = TestConfig(1, 200);
  a.max_unacked_bytes = 64 * 1024;
  a.bulk_window_bytes = 32 * 1024;
  a.dead_after_missed = 1000;  // keep the channel alive while the standby stalls
  Pair p = ActiveWith(100, a);
  p.Start(1);
  p.Connect();
  p.Run(100ms);
  p.Stall(1, true);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(p.node(0)
                    .Put(p.now(), "sessions", Key(i), std::string(200, 'w'), Durability::kAsync, 0)
                    .status.ok());
    p.Settle();
  }
  EXPECT_LE(p.node(0).status().unacked_bytes, a.max_unacked_bytes + a.max_batch_bytes);
  EXPECT_EQ(p.node(0).counters().resyncs, 1u);
  p.Stall(1, false);
  p.Run(500ms);
  ExpectSameRecords(p.node(0), p.node(1));
  EXPECT_TRUE(p.node(0).status().peer.in_sync);
}

TEST(Switchover, HandsOverWithoutBulkSync) {
  Pair p = ActiveWith(1000);
  p.Start(1);
  p.Connect();
  p.Run(200ms);
  ASSERT_TRUE(p.node(0).status().peer.in_sync);
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Settle();
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).counters().bulk_syncs_started, 0u);
  ASSERT_TRUE(
      p.node(1).Put(p.now(), "sessions", "after", "x", Durability::kReplicated, 5).status.ok());
  p.Run(100ms);
  ExpectSameRecords(p.node(0), p.node(1));
  EXPECT_EQ(p.node(0).store().records(), 1001u);
}

TEST(Switchover, StandbyRefusesToBeAsked) {
  Pair p = ActiveWith(0);
  p.Start(1);
  p.Connect();
  p.Run(100ms);
  EXPECT_EQ(p.node(1).RequestSwitchover(p.now()).code(), Code::kNotActive);
}

TEST(Restart, KilledActiveReturnsAsStandbyAndIsBulkSynced) {
  Pair p = ActiveWith(500);
  p.Start(1);
  p.Connect();
  p.Run(200ms);
  p.Crash(0);
  ASSERT_EQ(p.node(1).status().role, Role::kActive);
  ASSERT_TRUE(p.node(1).Put(p.now(), "sessions", "during", "x", Durability::kAsync, 0).status.ok());
  p.Start(0);
  p.Connect();
  p.Run(500ms);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  ExpectSameRecords(p.node(0), p.node(1));
  EXPECT_EQ(p.node(0).store().records(), 501u);
}

}  // namespace
}  // namespace hasync::core::testing
