// Reconciliation of core::Node (docs/reconciliation.md): switchover during a bulk sync and during
// a reconciliation, split-brain merge, deletes, the HLC, merge functions and postponed writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "pair.h"

namespace hasync::core::testing {
namespace {

constexpr std::string_view kTable = "sessions";

std::string Key(int i) { return "key-" + std::to_string(i); }

Status Put(Pair& p, int i, std::string_view key, std::string_view value,
           WriteIntent intent = WriteIntent::kUpdate, uint64_t token = 0) {
  return p.node(i).Put(p.now(), kTable, key, value, Durability::kAsync, token, intent).status;
}

Status Del(Pair& p, int i, std::string_view key) {
  return p.node(i).Erase(p.now(), kTable, key, Durability::kAsync, 0).status;
}

std::optional<std::string> Value(Pair& p, int i, std::string_view key) {
  const store::Table* t = p.node(i).store().Find(kTable);
  if (t == nullptr) return std::nullopt;
  std::optional<store::RecordView> r = t->Get(key);
  if (!r) return std::nullopt;
  return std::string(r->value);
}

void ExpectConverged(Pair& p) {
  EXPECT_EQ(p.node(0).store().records(), p.node(1).store().records());
  EXPECT_EQ(p.node(0).store().digest(), p.node(1).store().digest());
  Role a = p.node(0).status().role;
  Role b = p.node(1).status().role;
  EXPECT_TRUE((a == Role::kActive && b == Role::kStandby) ||
              (a == Role::kStandby && b == Role::kActive));
  int active = a == Role::kActive ? 0 : 1;
  EXPECT_TRUE(p.node(active).status().peer.in_sync);
  EXPECT_EQ(p.node(0).status().sync, SyncState::kIdle);
  EXPECT_EQ(p.node(1).status().sync, SyncState::kIdle);
}

// Node 0 active alone with `records` records; node 1 then connects and its bulk sync starts,
// paced by node 0's bulk_rate.
Pair BulkUnderWay(int records, CoreConfig a, CoreConfig b, Duration into_bulk) {
  Pair p(std::move(a), std::move(b));
  p.Start(0);
  p.Run(300ms);
  for (int i = 0; i < records; ++i) EXPECT_TRUE(Put(p, 0, Key(i), std::string(50, 'v')).ok());
  p.Start(1);
  p.Connect();
  p.Run(into_bulk);
  return p;
}

template <typename T>
std::vector<T> EventsOf(Pair& p, int i) {
  std::vector<T> out;
  for (const Event& e : p.events(i)) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

TEST(Reconcile, SwitchoverDuringBulkSyncSendsOnlyTheRemainingRecords) {
  CoreConfig a = TestConfig(1, 200);
  a.bulk_rate = 2000;  // 1000 records take 500 ms
  Pair p = BulkUnderWay(1000, a, TestConfig(2, 100), 150ms);
  ASSERT_EQ(p.node(1).status().sync, SyncState::kBulkReceiving);
  uint64_t bulk_sent = p.node(0).counters().records_sent;
  ASSERT_GT(bulk_sent, 0u);
  ASSERT_LT(bulk_sent, 1000u);
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Settle();
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(0).status().role, Role::kStandby);
  p.Run(200ms);
  ExpectConverged(p);
  EXPECT_EQ(p.node(1).store().records(), 1000u);
  // The bulk sync plus the reconciliation sent every record exactly once.
  EXPECT_EQ(p.node(0).counters().records_sent, 1000u);
  EXPECT_EQ(p.node(0).counters().reconciliations_sent, 1u);
  EXPECT_EQ(p.node(1).counters().reconciliations_received, 1u);
  // Nothing changed on the new active meanwhile: no bulk sync back.
  EXPECT_EQ(p.node(1).counters().bulk_syncs_started, 0u);
  auto done = EventsOf<ReconcileCompleted>(p, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].bulk_back);
  EXPECT_EQ(done[0].merged.inserted + done[0].merged.kept, done[0].merged.received);
}

TEST(Reconcile, ChangesOnTheNewActiveAreBulkSyncedBack) {
  CoreConfig a = TestConfig(1, 200);
  a.bulk_rate = 2000;
  a.reconcile_rate = 2000;
  Pair p = BulkUnderWay(1000, a, TestConfig(2, 100), 150ms);
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Run(50ms);
  ASSERT_EQ(p.node(0).status().sync, SyncState::kReconciling);
  ASSERT_EQ(p.node(1).status().sync, SyncState::kReconciling);
  ASSERT_TRUE(Put(p, 1, "new", "x").ok());
  ASSERT_TRUE(Put(p, 1, Key(1), "changed").ok());  // sent by the bulk sync already
  ASSERT_TRUE(Del(p, 1, Key(2)).ok());
  p.Run(1s);
  ExpectConverged(p);
  EXPECT_EQ(p.node(1).counters().bulk_syncs_started, 1u);
  EXPECT_EQ(Value(p, 0, "new"), "x");
  EXPECT_EQ(Value(p, 0, Key(1)), "changed");
  EXPECT_EQ(Value(p, 0, Key(2)), std::nullopt);
  EXPECT_EQ(p.node(0).store().records(), 1000u);
}

TEST(Reconcile, AlwaysBulkSyncsBackWhenConfigured) {
  CoreConfig a = TestConfig(1, 200);
  a.bulk_rate = 2000;
  CoreConfig b = TestConfig(2, 100);
  b.bulk_after_reconcile_always = true;
  Pair p = BulkUnderWay(500, a, b, 100ms);
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Run(500ms);
  ExpectConverged(p);
  EXPECT_EQ(p.node(1).counters().bulk_syncs_started, 1u);
}

TEST(Reconcile, FlipsDuringReconciliationConverge) {
  CoreConfig a = TestConfig(1, 200);
  a.bulk_rate = 2000;
  a.reconcile_rate = 2000;
  CoreConfig b = TestConfig(2, 100);
  b.reconcile_rate = 2000;
  Pair p = BulkUnderWay(1000, a, b, 150ms);
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  for (int flip = 0; flip < 4; ++flip) {
    p.Run(60ms);
    int active = p.node(0).status().role == Role::kActive ? 0 : 1;
    ASSERT_EQ(p.node(1 - active).status().sync, SyncState::kReconciling) << "flip " << flip;
    ASSERT_TRUE(p.node(active).RequestSwitchover(p.now()).ok()) << "flip " << flip;
    p.Settle();
    ASSERT_EQ(p.node(1 - active).status().role, Role::kActive) << "flip " << flip;
    ASSERT_TRUE(Put(p, 1 - active, "flip-" + std::to_string(flip), "x").ok()) << "flip " << flip;
  }
  p.Run(3s);
  ExpectConverged(p);
  EXPECT_EQ(p.node(0).store().records(), 1004u);
}

// Node 0 (priority 200) and node 1 in sync with `records` records, then cut apart long enough
// that node 1 takes over too.
Pair SplitBrain(int records, CoreConfig a = TestConfig(1, 200), CoreConfig b = TestConfig(2, 100)) {
  Pair p(std::move(a), std::move(b));
  p.StartConnected();
  for (int i = 0; i < records; ++i) EXPECT_TRUE(Put(p, 0, Key(i), "v").ok());
  p.Run(100ms);
  EXPECT_TRUE(p.node(0).status().peer.in_sync);
  p.Partition(true);
  p.Run(300ms);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  p.Partition(false);
  return p;
}

TEST(Reconcile, SplitBrainKeepsBothSidesWritesLastWriterWins) {
  Pair p = SplitBrain(10);
  ASSERT_TRUE(Put(p, 0, "only-0", "a").ok());
  ASSERT_TRUE(Put(p, 1, "only-1", "b").ok());
  ASSERT_TRUE(Put(p, 0, "shared", "from-0").ok());
  ASSERT_TRUE(Del(p, 0, Key(1)).ok());  // deleted on one side, untouched on the other
  ASSERT_TRUE(Del(p, 1, Key(2)).ok());  // deleted on one side, rewritten later on the other
  ASSERT_TRUE(Put(p, 1, Key(3), "rewritten-by-1").ok());  // written, then deleted later
  p.Run(20ms);
  ASSERT_TRUE(Put(p, 1, "shared", "from-1").ok());
  ASSERT_TRUE(Put(p, 0, Key(2), "rewritten-by-0").ok());
  ASSERT_TRUE(Del(p, 0, Key(3)).ok());
  p.Connect();
  p.Run(500ms);
  ExpectConverged(p);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);  // priority
  for (int i : {0, 1}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(Value(p, i, "only-0"), "a");
    EXPECT_EQ(Value(p, i, "only-1"), "b");
    EXPECT_EQ(Value(p, i, "shared"), "from-1");
    EXPECT_EQ(Value(p, i, Key(1)), std::nullopt);
    EXPECT_EQ(Value(p, i, Key(2)), "rewritten-by-0");
    EXPECT_EQ(Value(p, i, Key(3)), std::nullopt);
    EXPECT_EQ(Value(p, i, Key(4)), "v");
  }
  for (int i : {0, 1}) {
    auto detected = EventsOf<SplitBrainDetected>(p, i);
    ASSERT_EQ(detected.size(), 1u);
    EXPECT_EQ(detected[0].keeps_active, i == 0);
    auto done = EventsOf<ReconcileCompleted>(p, i);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_TRUE(done[0].split_brain);
    EXPECT_EQ(done[0].sender, i == 1);
  }
  EXPECT_EQ(p.node(0).counters().split_brains, 1u);
  EXPECT_EQ(p.node(0).store().Find(kTable)->tombstones(), 0u);  // purged once the peer had them
}

TEST(Reconcile, LongestActiveRuleKeepsTheOldActive) {
  CoreConfig a = TestConfig(1, 100);
  a.split_brain_rule = SplitBrainRule::kLongestActiveFirst;
  CoreConfig b = TestConfig(2, 200);
  b.split_brain_rule = SplitBrainRule::kLongestActiveFirst;
  Pair p(a, b);
  p.Start(0);
  p.Run(300ms);  // node 0 active alone for a while
  p.Start(1);
  p.Run(300ms);  // node 1 too, later, though it has the higher priority
  ASSERT_TRUE(Put(p, 1, "from-1", "x").ok());
  p.Connect();
  p.Run(500ms);
  ExpectConverged(p);
  EXPECT_EQ(p.node(0).status().role, Role::kActive);
  EXPECT_EQ(Value(p, 0, "from-1"), "x");
}

TEST(Reconcile, MismatchedSplitBrainRulesAreRefused) {
  CoreConfig a = TestConfig(1, 100);
  a.split_brain_rule = SplitBrainRule::kLongestActiveFirst;
  Pair p(a, TestConfig(2, 200));
  p.StartConnected();
  // Whichever reads the other's hello first refuses it and closes the channel.
  EXPECT_GE(p.node(0).counters().peers_rejected() + p.node(1).counters().peers_rejected(), 1u);
  EXPECT_FALSE(p.node(0).status().peer.connected);
  EXPECT_FALSE(p.node(1).status().peer.connected);
}

// Node 1's clock is 10 s behind. It saw node 0's write before the split, so its own later write
// still outranks it: the HLC follows what a node has seen, not only its wall clock.
TEST(Reconcile, WriteMadeAfterSeeingAnotherWinsDespiteASlowClock) {
  Pair p(TestConfig(1, 200), TestConfig(2, 100));
  p.SkewWallClock(1, -10'000);
  p.StartConnected();
  ASSERT_TRUE(Put(p, 0, "k", "first").ok());
  p.Run(100ms);
  p.Partition(true);
  p.Run(300ms);
  ASSERT_TRUE(Put(p, 1, "k", "second").ok());
  p.Partition(false);
  p.Connect();
  p.Run(500ms);
  ExpectConverged(p);
  EXPECT_EQ(Value(p, 0, "k"), "second");
}

TEST(Reconcile, MergeFunctionWritesACombinedValue) {
  Pair p = SplitBrain(0);
  MergeFunction larger = [](const MergeRecord& local, const MergeRecord& incoming) {
    return MergeDecision{MergeChoice::kWrite, std::string(std::max(local.value, incoming.value))};
  };
  p.node(0).SetMergeFunction(kTable, larger);
  ASSERT_TRUE(Put(p, 0, "k", "bbb").ok());
  p.Run(10ms);
  ASSERT_TRUE(Put(p, 1, "k", "aaa").ok());  // later: last writer wins would keep it
  p.Connect();
  p.Run(500ms);
  ExpectConverged(p);
  EXPECT_EQ(Value(p, 1, "k"), "bbb");
  EXPECT_EQ(p.node(0).counters().merge_written, 1u);
}

// The yielder (node 1) reconciles 2000 records at 2000/s, so node 0 is in reconciliation mode
// for about a second after the heal.
Pair SlowReconciliation(CoreConfig a = TestConfig(1, 200)) {
  CoreConfig b = TestConfig(2, 100);
  b.reconcile_rate = 2000;
  Pair p = SplitBrain(2000, std::move(a), b);
  p.Connect();
  p.Run(100ms);
  EXPECT_EQ(p.node(0).status().sync, SyncState::kReconciling);
  return p;
}

TEST(Reconcile, AllocateAndReleaseWaitForTheEndOfReconciliation) {
  Pair p = SlowReconciliation();
  auto alloc =
      p.node(0).Put(p.now(), kTable, "lease", "v1", Durability::kAsync, 11, WriteIntent::kAllocate);
  EXPECT_TRUE(alloc.status.ok());
  EXPECT_TRUE(alloc.postponed);
  EXPECT_TRUE(alloc.pending);
  ASSERT_TRUE(Put(p, 0, "lease", "v2", WriteIntent::kAllocate, 12).ok());
  ASSERT_TRUE(Put(p, 0, "update", "now", WriteIntent::kUpdate).ok());
  auto release =
      p.node(0).Erase(p.now(), kTable, Key(5), Durability::kReplicated, 13, WriteIntent::kRelease);
  EXPECT_TRUE(release.postponed);
  EXPECT_EQ(Value(p, 0, "lease"), std::nullopt);  // not applied yet
  EXPECT_EQ(Value(p, 0, "update"), "now");        // updates proceed
  EXPECT_EQ(p.node(0).status().postponed, 3u);
  p.Run(2s);
  ExpectConverged(p);
  EXPECT_EQ(p.node(0).status().postponed, 0u);
  EXPECT_EQ(Value(p, 1, "lease"), "v2");  // ran in arrival order
  EXPECT_EQ(Value(p, 1, Key(5)), std::nullopt);
  std::vector<uint64_t> completed;
  for (const WriteCompleted& w : EventsOf<WriteCompleted>(p, 0)) {
    EXPECT_TRUE(w.status.ok()) << w.status.ToString();
    EXPECT_NE(w.stamp, 0u);
    completed.push_back(w.token);
  }
  EXPECT_EQ(completed, (std::vector<uint64_t>{11, 12, 13}));
}

TEST(Reconcile, PostponedWritesFailClearlyWhenTheyWaitTooLong) {
  CoreConfig a = TestConfig(1, 200);
  a.postpone_timeout = 100ms;
  a.max_postponed_writes = 2;
  Pair p = SlowReconciliation(a);
  ASSERT_TRUE(Put(p, 0, "x", "1", WriteIntent::kAllocate, 21).ok());
  ASSERT_TRUE(Put(p, 0, "y", "1", WriteIntent::kAllocate, 22).ok());
  EXPECT_EQ(Put(p, 0, "z", "1", WriteIntent::kAllocate, 23).code(), Code::kUnavailable);
  p.Run(2s);
  auto completed = EventsOf<WriteCompleted>(p, 0);
  ASSERT_EQ(completed.size(), 2u);
  for (const WriteCompleted& w : completed) EXPECT_EQ(w.status.code(), Code::kTimeout);
  EXPECT_EQ(Value(p, 0, "x"), std::nullopt);
  EXPECT_EQ(p.node(0).counters().postponed_expired, 2u);
}

TEST(Reconcile, PostponedWritesFailWhenTheNodeGivesUpTheActiveRole) {
  Pair p = SlowReconciliation();
  ASSERT_TRUE(Put(p, 0, "x", "1", WriteIntent::kAllocate, 31).ok());
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Run(3s);
  auto completed = EventsOf<WriteCompleted>(p, 0);
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].status.code(), Code::kNotActive);
  ExpectConverged(p);
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  EXPECT_EQ(p.node(1).store().records(), 2000u);
}

TEST(Reconcile, ChannelLossEndsReconciliationModeAndRunsPostponedWrites) {
  Pair p = SlowReconciliation();
  ASSERT_TRUE(Put(p, 0, "x", "1", WriteIntent::kAllocate, 41).ok());
  p.Disconnect();
  auto completed = EventsOf<WriteCompleted>(p, 0);
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_TRUE(completed[0].status.ok());
  EXPECT_EQ(Value(p, 0, "x"), "1");
  // The yielder took over (a new split-brain); the next connection reconciles again.
  EXPECT_EQ(p.node(1).status().role, Role::kActive);
  p.Connect();
  p.Run(3s);
  ExpectConverged(p);
  EXPECT_EQ(Value(p, 1, "x"), "1");
}

}  // namespace
}  // namespace hasync::core::testing
