// The pieces of the invariants that can be exercised without a world: each must be able to fail.
#include "sim/invariants.h"

#include <gtest/gtest.h>

#include "sim/history.h"
#include "sim/rng.h"
#include "sim/snapshot.h"
#include "store/store.h"

namespace hasync::sim {
namespace {

core::NodeStatus Fabricated(Role role, SyncState sync, uint64_t records) {
  core::NodeStatus st{};
  st.node_id = 1;
  st.role = role;
  st.sync = sync;
  st.records = records;
  return st;
}

StatusContext Context(uint64_t records, bool open, size_t max_postponed) {
  return StatusContext{records, open, max_postponed, false};
}

TEST(CheckStatus, AcceptsAConsistentStatus) {
  EXPECT_EQ(CheckStatus(Fabricated(Role::kActive, SyncState::kBulkSending, 3), Context(3, true, 4)),
            "");
}

TEST(CheckStatus, RecordsDisagreeingWithTheTables) {
  EXPECT_NE(CheckStatus(Fabricated(Role::kActive, SyncState::kIdle, 3), Context(4, true, 4)), "");
}

TEST(CheckStatus, SyncStateThatDoesNotFitTheRole) {
  EXPECT_NE(
      CheckStatus(Fabricated(Role::kStandby, SyncState::kBulkSending, 0), Context(0, true, 4)), "");
  EXPECT_NE(
      CheckStatus(Fabricated(Role::kActive, SyncState::kBulkReceiving, 0), Context(0, true, 4)),
      "");
}

TEST(CheckStatus, ReconcilingNeedsARole) {
  EXPECT_EQ(
      CheckStatus(Fabricated(Role::kStandby, SyncState::kReconciling, 0), Context(0, true, 4)), "");
  EXPECT_EQ(CheckStatus(Fabricated(Role::kActive, SyncState::kReconciling, 0), Context(0, true, 4)),
            "");
  EXPECT_NE(CheckStatus(Fabricated(Role::kInit, SyncState::kReconciling, 0), Context(0, true, 4)),
            "");
}

TEST(CheckStatus, PostponedWritesOnlyOnAReconcilingActive) {
  core::NodeStatus st = Fabricated(Role::kActive, SyncState::kReconciling, 0);
  st.postponed = 4;
  EXPECT_EQ(CheckStatus(st, Context(0, true, 4)), "");
  EXPECT_NE(CheckStatus(st, Context(0, true, 3)), "");  // over the bound
  st.sync = SyncState::kIdle;
  EXPECT_NE(CheckStatus(st, Context(0, true, 4)), "");
  StatusContext switching = Context(0, true, 4);
  switching.switchover_pending = true;  // they wait for the switchover's outcome
  EXPECT_EQ(CheckStatus(st, switching), "");
  st.sync = SyncState::kReconciling;
  st.role = Role::kStandby;
  EXPECT_NE(CheckStatus(st, Context(0, true, 4)), "");
}

TEST(CheckStatus, PeerConnectedOverAClosedChannel) {
  core::NodeStatus st = Fabricated(Role::kActive, SyncState::kIdle, 0);
  st.peer.connected = true;
  EXPECT_NE(CheckStatus(st, Context(0, false, 4)), "");
}

TEST(Snapshots, DiffNamesTheRecordsThatDiffer) {
  store::Store a;
  store::Store b;
  ASSERT_TRUE(a.Open("t0").value()->Upsert("k1", "one", 1, 0, 1).ok());
  ASSERT_TRUE(b.Open("t0").value()->Upsert("k1", "uno", 1, 0, 1).ok());
  ASSERT_TRUE(b.Open("t1").value()->Upsert("k2", "two", 1, 0, 1).ok());
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(a), "n1", TakeSnapshot(a), "n2"), "");
  const std::string diff = DiffSnapshots(TakeSnapshot(a), "n1", TakeSnapshot(b), "n2");
  EXPECT_NE(diff.find("2 of 1/2 records differ"), std::string::npos) << diff;
  EXPECT_NE(diff.find("t0/k1"), std::string::npos) << diff;
  EXPECT_NE(diff.find("t1/k2: n1 absent"), std::string::npos) << diff;
}

constexpr Rank kR1{100 << 16, 1};
constexpr Rank kR2{101 << 16, 2};
constexpr Rank kR3{102 << 16, 1};

TEST(History, HolderMissingTheAcknowledgedValueFails) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, "v1", Writer{0, 1});
  h.Acked(key, kR1, 0b11);
  store::Store held;
  ASSERT_TRUE(held.Open("t0").value()->Upsert("k1", "v1", 1, kR1.stamp, 1).ok());
  EXPECT_EQ(h.Check(0, held), "");
  store::Store empty;
  EXPECT_NE(h.Check(1, empty), "");
}

TEST(History, LaterWriteMayReplaceTheAcknowledgedOne) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR2, "v1", Writer{1, 1});
  h.Acked(key, kR2, 0b11);
  h.Applied(key, kR3, std::nullopt, Writer{0, 1});  // an erase ranked above it
  store::Store empty;
  EXPECT_EQ(h.Check(1, empty), "");
}

TEST(History, WriteRankedBelowTheAcknowledgedOneMayNotReplaceIt) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR2, "v2", Writer{1, 1});
  h.Acked(key, kR2, 0b11);
  h.Applied(key, kR1, "v1", Writer{0, 1});  // learnt of later, but ranked below: merge drops it
  store::Store held;
  ASSERT_TRUE(held.Open("t0").value()->Upsert("k1", "v1", 1, kR1.stamp, 1).ok());
  EXPECT_NE(h.Check(0, held), "");
}

TEST(History, CrashedAndBulkSyncedNodesHoldWhatTheirSenderHolds) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, "v1", Writer{0, 1});
  h.Acked(key, kR1, 0b11);
  store::Store empty;
  h.NodeLost(1);
  EXPECT_EQ(h.Check(1, empty), "");  // node 2 restarted empty: not a holder
  h.BulkBegin(1, 0);
  h.BulkEnd(1, 0);
  EXPECT_NE(h.Check(1, empty), "");  // synced from node 1: it must have the value now
}

TEST(History, AReconciledActiveHoldsWhatItsSenderHeld) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, "v1", Writer{0, 1});
  h.Acked(key, kR1, 0b01);
  store::Store empty;
  EXPECT_EQ(h.Check(1, empty), "");
  h.Reconciled(1, 0);
  EXPECT_NE(h.Check(1, empty), "");
}

// no_lost_write: lives {1, 1} (both nodes in their first life) unless a test says otherwise.
TEST(NoLostWrite, SafeWriteMustBeHeldOrOutranked) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, "v1", Writer{0, 1});
  h.Applied(key, kR2, "v2", Writer{1, 1});
  store::Store s;
  store::Table* t = s.Open("t0").value();
  ASSERT_TRUE(t->Upsert("k1", "v2", 1, kR2.stamp, kR2.origin).ok());
  EXPECT_EQ(h.Lost(s, "n1", {1, 1}), "");
  ASSERT_TRUE(t->Upsert("k1", "v1", 2, kR1.stamp, kR1.origin).ok());
  EXPECT_NE(h.Lost(s, "n1", {1, 1}), "");  // v2 (safe, ranked higher) lost
  EXPECT_EQ(h.Lost(s, "n1", {1, 0}), "");  // unless node 2 crashed since
  EXPECT_EQ(h.Lost(s, "n1", {1, 2}), "");  // ... and restarted
}

TEST(NoLostWrite, HeldRecordMustBeAWriteOfItsRank) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, "v1", Writer{0, 1});
  store::Store s;
  store::Table* t = s.Open("t0").value();
  ASSERT_TRUE(t->Upsert("k1", "v1", 1, kR3.stamp, kR3.origin).ok());  // wrong rank
  EXPECT_NE(h.Lost(s, "n1", {1, 1}), "");
  ASSERT_TRUE(t->Upsert("k2", "v9", 2, kR1.stamp, kR1.origin).ok());  // nobody wrote k2
  t->Erase("k1", 2, kR3.stamp, kR3.origin);
  EXPECT_NE(h.Lost(s, "n1", {1, 1}), "");
}

TEST(NoLostWrite, DeletedKeyStaysDeletedUnlessWrittenAfter) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, "v1", Writer{0, 1});
  h.Applied(key, kR2, std::nullopt, Writer{1, 1});  // deleted on node 2, ranked above
  store::Store s;
  store::Table* t = s.Open("t0").value();
  EXPECT_EQ(h.Lost(s, "n1", {1, 1}), "");  // absent: fine
  ASSERT_TRUE(t->Upsert("k1", "v1", 1, kR1.stamp, kR1.origin).ok());
  EXPECT_NE(h.Lost(s, "n1", {1, 1}), "");  // it came back
  h.Applied(key, kR3, "v3", Writer{0, 1});
  ASSERT_TRUE(t->Upsert("k1", "v3", 2, kR3.stamp, kR3.origin).ok());
  EXPECT_EQ(h.Lost(s, "n1", {1, 1}), "");  // written again after the delete
}

TEST(NoLostWrite, AWriteFromALaterLifeSupersedesADelete) {
  using namespace std::chrono_literals;
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR2, std::nullopt, Writer{1, 1, 0ms, 10ms});  // node 2 deletes at 10 ms
  // Node 1 restarted at 20 ms with its clock behind, and wrote the key again, ranked below.
  h.Applied(key, kR1, "v1", Writer{0, 2, 20ms, 30ms});
  store::Store s;
  ASSERT_TRUE(s.Open("t0").value()->Upsert("k1", "v1", 1, kR1.stamp, kR1.origin).ok());
  EXPECT_EQ(h.Lost(s, "n1", {2, 1}), "");
  // ... and whatever the delete superseded, such as an earlier write of node 2.
  h.Applied(key, Rank{(100 << 16) | 5, 2}, "v0", Writer{1, 1, 0ms, 5ms});
  EXPECT_EQ(h.Lost(s, "n1", {2, 1}), "");
  // Not so a write from a life that began before the delete: the tombstone ranks it.
  History old;
  old.Applied(key, kR2, std::nullopt, Writer{1, 1, 0ms, 10ms});
  old.Applied(key, kR1, "v1", Writer{0, 2, 5ms, 30ms});
  EXPECT_NE(old.Lost(s, "n1", {2, 1}), "");
}

TEST(NoLostWrite, AbsentKeyNeedsADeleteRankedAboveTheSafeWrites) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, kR1, std::nullopt, Writer{0, 1});
  h.Applied(key, kR2, "v2", Writer{1, 1});
  store::Store empty;
  EXPECT_NE(h.Lost(empty, "n1", {1, 1}), "");
  h.Postponed(key, std::nullopt);  // a postponed erase, not completed: it may have run
  EXPECT_EQ(h.Lost(empty, "n1", {1, 1}), "");
  h.NotRun(key, std::nullopt);  // it did not
  EXPECT_NE(h.Lost(empty, "n1", {1, 1}), "");
  h.Postponed(key, std::nullopt);
  h.Ran(key, std::nullopt, kR3, Writer{0, 1});  // it ran, ranked above the safe writes
  EXPECT_EQ(h.Lost(empty, "n1", {1, 1}), "");
}

TEST(Rng, SameSeedSameDraws) {
  Rng a(5);
  Rng b(5);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Below(1000 + i), b.Below(1000 + i));
}

}  // namespace
}  // namespace hasync::sim
