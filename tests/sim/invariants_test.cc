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

TEST(CheckStatus, AcceptsAConsistentStatus) {
  EXPECT_EQ(CheckStatus(Fabricated(Role::kActive, SyncState::kBulkSending, 3), 3, true), "");
}

TEST(CheckStatus, RecordsDisagreeingWithTheTables) {
  EXPECT_NE(CheckStatus(Fabricated(Role::kActive, SyncState::kIdle, 3), 4, true), "");
}

TEST(CheckStatus, SyncStateThatDoesNotFitTheRole) {
  EXPECT_NE(CheckStatus(Fabricated(Role::kStandby, SyncState::kBulkSending, 0), 0, true), "");
  EXPECT_NE(CheckStatus(Fabricated(Role::kActive, SyncState::kBulkReceiving, 0), 0, true), "");
}

TEST(CheckStatus, PeerConnectedOverAClosedChannel) {
  core::NodeStatus st = Fabricated(Role::kActive, SyncState::kIdle, 0);
  st.peer.connected = true;
  EXPECT_NE(CheckStatus(st, 0, false), "");
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

TEST(History, HolderMissingTheAcknowledgedValueFails) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, 1, "v1");
  h.Acked(key, 1, 0b11);
  store::Store held;
  ASSERT_TRUE(held.Open("t0").value()->Upsert("k1", "v1", 1, 0, 1).ok());
  EXPECT_EQ(h.Check(0, held), "");
  store::Store empty;
  EXPECT_NE(h.Check(1, empty), "");
}

TEST(History, LaterWriteMayReplaceTheAcknowledgedOne) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, 1, "v1");
  h.Acked(key, 1, 0b11);
  h.Applied(key, 2, std::nullopt);  // a later async erase
  store::Store empty;
  EXPECT_EQ(h.Check(1, empty), "");
}

TEST(History, CrashedAndBulkSyncedNodesHoldWhatTheirSenderHolds) {
  History h;
  const KeyRef key{"t0", "k1"};
  h.Applied(key, 1, "v1");
  h.Acked(key, 1, 0b11);
  store::Store empty;
  h.NodeLost(1);
  EXPECT_EQ(h.Check(1, empty), "");  // node 2 restarted empty: not a holder
  h.BulkBegin(1, 0);
  h.BulkEnd(1, 0);
  EXPECT_NE(h.Check(1, empty), "");  // synced from node 1: it must have the value now
}

TEST(Rng, SameSeedSameDraws) {
  Rng a(5);
  Rng b(5);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Below(1000 + i), b.Below(1000 + i));
}

}  // namespace
}  // namespace hasync::sim
