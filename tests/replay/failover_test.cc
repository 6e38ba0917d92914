// The Publisher across a failover: a consumer in sync gets a welcome and nothing else; one that
// is behind gets exactly what its missed ops touched; one ahead of the new active loses what
// the new active never had; changes no op announced become ops; a node that takes over
// without a completed bulk sync replays everything; a restarted node follows again.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "replay/sections.h"
#include "replay_pair.h"

namespace hasync::replay::testing {
namespace {

uint64_t Replays(ReplayPair& p, int i, ReplayKind kind) {
  return p.publisher(i).counters().replays[static_cast<size_t>(kind)];
}

uint64_t AllReplays(ReplayPair& p, int i) {
  uint64_t n = 0;
  for (uint64_t r : p.publisher(i).counters().replays) n += r;
  return n;
}

// Node 0 active with "t" holding k0..k{n-1}; `c` subscribed to it and in sync.
ConnId StartSubscribed(ReplayPair& p, FakeConsumer& c, int n) {
  p.StartConnected();
  for (int i = 0; i < n; ++i) p.Put(0, "t", "k" + std::to_string(i), "v" + std::to_string(i));
  return p.Connect(0, c);
}

// Node 0 dies; node 1 takes over at once (it sees the connection close).
void FailOver(ReplayPair& p) {
  p.Crash(0);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
}

TEST(Failover, ConsumerInSyncGetsAWelcomeAndNoReplay) {
  ReplayPair p;
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 10);
  p.Put(0, "t", "k1", "acked");
  p.Ack(conn);
  p.Put(0, "t", "k2", "not acked");  // its ack never reaches the standby
  const size_t ops = c.applied.size();
  FailOver(p);
  p.Connect(1, c);
  ASSERT_EQ(c.welcomes.size(), 2u);
  EXPECT_EQ(c.welcomes[1].status, wire::WelcomeStatus::kOk);
  EXPECT_EQ(c.welcomes[1].node_id, 2);
  EXPECT_EQ(c.applied.size(), ops);  // nothing but the welcome
  EXPECT_EQ(AllReplays(p, 1), 0u);
  EXPECT_EQ(p.publisher(1).counters().resumes_in_sync, 1u);
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_op(), c.last_op);

  const uint64_t old_term = c.last_term;
  p.Put(1, "t", "k3", "from the new active");
  ASSERT_EQ(c.applied.size(), ops + 1);
  EXPECT_GT(c.last_term, old_term);
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
  EXPECT_TRUE(c.error.empty()) << c.error;
}

TEST(Failover, ConsumerBehindGetsExactlyTheKeysOfItsMissedOps) {
  ReplayPair p;
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 10);
  p.Stall(conn, true);  // what node 0 sends now never arrives
  p.Put(0, "t", "k3", "x");
  p.Erase(0, "t", "k5");
  p.Put(0, "t", "k3", "y");
  FailOver(p);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_EQ(r.reset, 0u);
  EXPECT_EQ(r.keys, (std::vector<std::string>{"k3", "k5"}));
  EXPECT_EQ(r.mask, SectionBit(DefaultSection("k3")) | SectionBit(DefaultSection("k5")));
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
  EXPECT_EQ(Replays(p, 1, ReplayKind::kKeys), 1u);
  EXPECT_EQ(p.publisher(1).counters().failover_replayed_records, 2u);
  EXPECT_EQ(p.publisher(1).counters().failover_full_resend_records, 9u);
}

TEST(Failover, ConsumerBehindOnUnkeyedOpsGetsExactlyTheirSections) {
  PublisherConfig config = TestPublisherConfig();
  config.max_op_keys = 1;  // a turn of two keys is sent by sections
  ReplayPair p(config);
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 200);
  p.Stall(conn, true);
  const core::TimePoint t = p.now();
  p.node(0).Put(t, "t", "k7", "x", Durability::kAsync, 0);
  p.node(0).Put(t, "t", "k8", "y", Durability::kAsync, 0);
  p.Pump();
  FailOver(p);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  const SectionMask sections = SectionBit(DefaultSection("k7")) | SectionBit(DefaultSection("k8"));
  EXPECT_EQ(r.reset, sections);
  EXPECT_EQ(r.mask, sections);
  std::set<std::string> expected;
  for (const auto& [key, value] : Records(p.node(1), "t")) {
    if ((sections & SectionBit(DefaultSection(key))) != 0) expected.insert(key);
  }
  EXPECT_EQ(std::set<std::string>(r.keys.begin(), r.keys.end()), expected);
  EXPECT_LT(r.keys.size(), 200u);
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
  EXPECT_EQ(Replays(p, 1, ReplayKind::kSections), 1u);
}

TEST(Failover, ConsumerAheadOfTheNewActiveLosesWhatItNeverHad) {
  ReplayPair p;
  FakeConsumer c("t");
  StartSubscribed(p, c, 10);
  p.pair().Stall(0, true);  // the standby hears nothing more from node 0
  p.Put(0, "t", "ahead", "only on node 0");
  p.Put(0, "t", "k4", "changed on node 0 only");
  EXPECT_EQ(c.data["ahead"].second, "only on node 0");
  FailOver(p);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_EQ(r.reset, SectionBit(DefaultSection("ahead")) | SectionBit(DefaultSection("k4")));
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
  EXPECT_FALSE(c.data.contains("ahead"));
  EXPECT_EQ(c.data["k4"].second, "v4");
  EXPECT_TRUE(c.error.empty()) << c.error;  // the replay's op is above every op it held
}

TEST(Failover, DirectAckOfOpsTheStandbyNeverHadDoesNotHideThem) {
  PublisherConfig config = TestPublisherConfig();
  config.ack_mode = wire::AckMode::kDirect;
  ReplayPair p(config);
  FakeConsumer c("t");
  StartSubscribed(p, c, 10);
  FakeConsumer acker = c;
  const ConnId side = p.Connect(1, acker, /*hello=*/true, /*ack_only=*/true);
  p.pair().Stall(0, true);  // neither the record nor its op reach node 1
  p.Put(0, "t", "k6", "lost with node 0");
  p.Send(side, acker.Ack(c.channel, c.last_op, c.last_term));
  FailOver(p);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_EQ(r.reset, SectionBit(DefaultSection("k6")));
  EXPECT_EQ(c.data["k6"].second, "v6");
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
}

TEST(Failover, AcksOfAnotherActivesOpsWhileTheReplayWaitsHideNothing) {
  PublisherConfig config = TestPublisherConfig();
  config.max_concurrent_replays = 1;
  ReplayPair p(config);
  FakeConsumer c("t");
  const ConnId first = StartSubscribed(p, c, 10);
  p.Close(first);
  p.Put(0, "t", "k1", "missed");
  p.Put(0, "t", "k2", "missed too");
  // A consumer whose replay holds the only slot.
  FakeConsumer blocker("t");
  const ConnId blocking = p.Connect(0, blocker, /*hello=*/false);
  p.Stall(blocking, true);
  p.Send(blocking, blocker.Hello());
  // `c` comes back from another active (term 999) that numbered ops 2..4 its own way.
  const uint64_t foreign = 999;
  for (uint64_t op = c.last_op + 1; op <= c.last_op + 3; ++op) {
    c.ring.push_back(wire::ResumeEntry{op, foreign, SectionBit(DefaultSection("k7"))});
  }
  c.last_op += 3;
  c.last_term = foreign;
  const ConnId conn = p.Connect(0, c);
  ASSERT_EQ(c.welcomes.back().status, wire::WelcomeStatus::kOk);
  p.Send(conn, c.Ack());  // its own last op, unknown here: ignored, not an error
  p.Send(conn, c.Ack(c.channel, c.last_op - 1, foreign));
  EXPECT_TRUE(p.open(conn));
  p.Stall(blocking, false);  // the slot frees: the replay is planned now
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_NE(std::find(r.keys.begin(), r.keys.end(), "k1"), r.keys.end());
  EXPECT_NE(std::find(r.keys.begin(), r.keys.end(), "k2"), r.keys.end());
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Failover, ChangesNoOpAnnouncedBecomeAnOpOfTheNewActive) {
  ReplayPair p;
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 10);
  // Node 0 writes, then stops before the end of its turn: the records reach node 1, the op
  // that would have announced them never does (and the consumer never gets it).
  p.node(0).Put(p.now(), "t", "k2", "unannounced", Durability::kAsync, 0);
  p.node(0).Shutdown(p.now());
  p.Pump();
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  EXPECT_EQ(c.data["k2"].second, "v2");
  const PendingEntry& e = p.publisher(1).History(c.channel)->pending().back();
  ASSERT_NE(e.keys, nullptr);
  EXPECT_EQ(e.mask, SectionBit(DefaultSection("k2")));
  p.Close(conn);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_EQ(r.keys, std::vector<std::string>{"k2"});
  EXPECT_EQ(c.data["k2"].second, "unannounced");
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
}

TEST(Failover, UnannouncedChangesPastTheBoundAreReplayedBySections) {
  PublisherConfig config = TestPublisherConfig();
  config.max_op_keys = 2;
  ReplayPair p(config);
  FakeConsumer c("t", "k");
  const ConnId conn = StartSubscribed(p, c, 100);
  SectionMask sections = 0;
  for (int i = 10; i < 15; ++i) {
    const std::string key = "k" + std::to_string(i);
    p.node(0).Put(p.now(), "t", key, "unannounced", Durability::kAsync, 0);
    sections |= SectionBit(DefaultSection(key));
  }
  p.node(0).Put(p.now(), "t", "other", "no channel takes it", Durability::kAsync, 0);
  p.node(0).Shutdown(p.now());
  p.Pump();
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  const PendingEntry& e = p.publisher(1).History(c.channel)->pending().back();
  EXPECT_EQ(e.keys, nullptr);
  EXPECT_EQ(e.mask, sections);
  p.Close(conn);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_EQ(r.reset, sections);
  EXPECT_EQ(c.Values(), Records(p.node(1), "t", "k"));
}

TEST(Failover, TakeoverWithoutACompletedBulkSyncReplaysInFull) {
  core::CoreConfig a = core::testing::TestConfig(1, 200);
  a.bulk_rate = 50;  // records/s: the bulk sync takes seconds
  ReplayPair p(TestPublisherConfig(), a);
  p.StartAlone();
  for (int i = 0; i < 100; ++i) p.Put(0, "t", "k" + std::to_string(i), "v");
  FakeConsumer c("t");
  p.Connect(0, c);
  p.Start(1);
  p.pair().Connect();
  p.Run(300ms);
  ASSERT_EQ(p.node(1).role(), Role::kStandby);
  ASSERT_FALSE(p.node(0).peer().in_sync);
  ASSERT_NE(p.publisher(1).History(c.channel), nullptr);  // the snapshot came first
  FailOver(p);
  p.Connect(1, c);
  const FakeConsumer::Applied& r = c.applied.back();
  ASSERT_TRUE(r.replay);
  EXPECT_EQ(r.reset, kAllSections);
  EXPECT_EQ(Replays(p, 1, ReplayKind::kFull), 1u);
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
}

TEST(Failover, RestartedNodeFollowsAgainAndTakesOverInSync) {
  ReplayPair p;
  FakeConsumer c("t");
  StartSubscribed(p, c, 10);
  FailOver(p);
  ConnId conn = p.Connect(1, c);
  p.Put(1, "t", "k1", "on node 1");
  p.Start(0);  // comes back as node 1's standby: a bulk sync carries the channels
  p.pair().Connect();
  p.Run(200ms);
  ASSERT_EQ(p.node(0).role(), Role::kStandby);
  ASSERT_TRUE(p.node(1).peer().in_sync);
  p.Put(1, "t", "k2", "replicated");
  p.Ack(conn);
  EXPECT_EQ(p.publisher(0).History(c.channel)->acked_op(), c.last_op);
  p.Crash(1);
  ASSERT_EQ(p.node(0).role(), Role::kActive);
  const size_t ops = c.applied.size();
  conn = p.Connect(0, c);
  EXPECT_EQ(c.applied.size(), ops);
  EXPECT_EQ(c.welcomes.back().status, wire::WelcomeStatus::kOk);
  p.Put(0, "t", "k3", "back on node 0");
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
  EXPECT_TRUE(c.error.empty()) << c.error;
}

TEST(Failover, NewActiveClosesNothingButItsConsumersMoveOnFromTheOldOne) {
  ReplayPair p;
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 3);
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  p.Run(200ms);
  ASSERT_EQ(p.node(0).role(), Role::kStandby);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  EXPECT_FALSE(p.open(conn));  // the old active closed its subscriptions
  p.Connect(1, c);
  EXPECT_EQ(AllReplays(p, 1), 0u);  // a planned switchover loses nothing
  p.Put(1, "t", "k0", "x");
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
  EXPECT_EQ(p.publisher(0).History(c.channel)->last_op(), c.last_op);  // the new standby follows
}

// A subscription taken by an active waiting for its switchover's answer would reach the new
// active after the takeover, too late: it is refused like a write, and taken by the new active.
TEST(Failover, AnActiveHandingOverTakesNoSubscription) {
  ReplayPair p;
  FakeConsumer c("t");
  StartSubscribed(p, c, 3);
  p.pair().Stall(1, true);  // the standby has not answered yet
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.now()).ok());
  FakeConsumer late("t");
  p.Connect(0, late);
  ASSERT_EQ(p.node(0).role(), Role::kActive);
  ASSERT_EQ(late.welcomes.size(), 1u);
  EXPECT_EQ(late.welcomes[0].status, wire::WelcomeStatus::kNotActive);
  EXPECT_EQ(late.channel, 0u);
  p.pair().Stall(1, false);
  p.Run(200ms);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  p.Connect(1, late);
  ASSERT_EQ(late.welcomes.size(), 2u);
  EXPECT_EQ(late.welcomes[1].status, wire::WelcomeStatus::kOk);
  EXPECT_EQ(late.Values(), Records(p.node(1), "t"));
}

}  // namespace
}  // namespace hasync::replay::testing
