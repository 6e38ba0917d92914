// The Publisher while nothing fails: subscriptions, live updates and their fragments, acks
// forwarded or direct, the standby's copy of every history, resumes on the same node.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "replay/sections.h"
#include "replay_pair.h"

namespace hasync::replay::testing {
namespace {

// The standby holds the active's history of `channel`: same acked point, same entries, and
// the same keys for this channel's table.
void ExpectSameHistory(ReplayPair& p, uint64_t channel) {
  const ChannelHistory* a = p.publisher(0).History(channel);
  const ChannelHistory* s = p.publisher(1).History(channel);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(a->acked_op(), s->acked_op());
  EXPECT_EQ(a->acked_term(), s->acked_term());
  ASSERT_EQ(a->pending().size(), s->pending().size());
  for (size_t i = 0; i < a->pending().size(); ++i) {
    const PendingEntry& x = a->pending()[i];
    const PendingEntry& y = s->pending()[i];
    EXPECT_EQ(x.first_op, y.first_op) << i;
    EXPECT_EQ(x.last_op, y.last_op) << i;
    EXPECT_EQ(x.term, y.term) << i;
    EXPECT_EQ(x.mask, y.mask) << i;
    EXPECT_EQ(x.key_count, y.key_count) << i;
    ASSERT_EQ(x.keys == nullptr, y.keys == nullptr) << i;
    if (x.keys == nullptr) continue;
    ASSERT_EQ(x.keys->size(), y.keys->size()) << i;
    for (size_t t = 0; t < x.keys->size(); ++t) {
      EXPECT_EQ((*x.keys)[t].table, (*y.keys)[t].table) << i;
      EXPECT_EQ((*x.keys)[t].keys, (*y.keys)[t].keys) << i;
    }
  }
}

// Node 0 active with table "t" holding k0..k{n-1}, node 1 its standby.
void StartWithRecords(ReplayPair& p, int n) {
  p.StartConnected();
  for (int i = 0; i < n; ++i) p.Put(0, "t", "k" + std::to_string(i), "v" + std::to_string(i));
}

TEST(Publisher, NewConsumerGetsAFullReplayThenLiveUpdates) {
  ReplayPair p;
  StartWithRecords(p, 3);
  FakeConsumer c("t");
  p.Connect(0, c);
  ASSERT_EQ(c.welcomes.size(), 1u);
  EXPECT_EQ(c.welcomes[0].status, wire::WelcomeStatus::kOk);
  EXPECT_EQ(c.welcomes[0].node_id, 1);
  EXPECT_EQ(c.channel >> 48, 1u);  // made by node 1
  ASSERT_EQ(c.applied.size(), 1u);
  EXPECT_TRUE(c.applied[0].replay);
  EXPECT_EQ(c.applied[0].reset, kAllSections);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
  for (const auto& [key, held] : c.data) EXPECT_EQ(held.first, DefaultSection(key)) << key;

  p.Put(0, "t", "k1", "new");
  p.Erase(0, "t", "k2");
  ASSERT_EQ(c.applied.size(), 3u);
  EXPECT_FALSE(c.applied[1].replay);
  EXPECT_EQ(c.applied[1].keys, std::vector<std::string>{"k1"});
  EXPECT_EQ(c.applied[1].mask, SectionBit(DefaultSection("k1")));
  EXPECT_EQ(c.applied[2].keys, std::vector<std::string>{"k2"});
  EXPECT_GT(c.applied[2].op, c.applied[1].op);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
  EXPECT_TRUE(c.error.empty()) << c.error;
  EXPECT_EQ(p.publisher(0).counters().replays[static_cast<size_t>(ReplayKind::kFull)], 1u);
}

TEST(Publisher, OneTurnIsOneOpPerChannelAndOnlyItsPrefix) {
  ReplayPair p;
  StartWithRecords(p, 1);
  FakeConsumer a("t", "a/");
  FakeConsumer b("t", "b/");
  p.Connect(0, a);
  p.Connect(0, b);
  const size_t a_ops = a.applied.size();
  const size_t b_ops = b.applied.size();
  // One turn: three writes, two of them under a/.
  const core::TimePoint t = p.now();
  p.node(0).Put(t, "t", "a/1", "x", Durability::kAsync, 0);
  p.node(0).Put(t, "t", "a/2", "y", Durability::kAsync, 0);
  p.node(0).Put(t, "t", "a/1", "z", Durability::kAsync, 0);
  p.node(0).Put(t, "t", "c/1", "w", Durability::kAsync, 0);
  p.Pump();
  ASSERT_EQ(a.applied.size(), a_ops + 1);
  EXPECT_EQ(a.applied.back().keys, (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(a.data["a/1"].second, "z");
  EXPECT_EQ(b.applied.size(), b_ops);  // nothing under b/
  EXPECT_EQ(a.Values(), Records(p.node(0), "t", "a/"));
}

TEST(Publisher, LargeOpsAreCutIntoFragments) {
  ReplayPair p;
  StartWithRecords(p, 1);
  FakeConsumer c("t");
  p.Connect(0, c);
  const core::TimePoint t = p.now();
  for (int i = 0; i < 10; ++i) {
    p.node(0).Put(t, "t", "big" + std::to_string(i), std::string(300, 'x'), Durability::kAsync, 0);
  }
  p.Pump();
  ASSERT_FALSE(c.applied.empty());
  EXPECT_GT(c.applied.back().frames, 2u);  // 1 KiB fragments
  EXPECT_EQ(c.applied.back().keys.size(), 10u);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Publisher, ForwardedAcksReachTheStandby) {
  ReplayPair p;
  StartWithRecords(p, 2);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(0, c);
  p.Put(0, "t", "k0", "a");
  p.Put(0, "t", "k1", "b");
  EXPECT_EQ(p.publisher(1).History(c.channel)->pending_ops(), 3u);
  ExpectSameHistory(p, c.channel);
  p.Ack(conn);
  EXPECT_EQ(p.publisher(0).History(c.channel)->acked_op(), c.last_op);
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_op(), c.last_op);
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_term(), c.last_term);
  EXPECT_EQ(p.publisher(1).History(c.channel)->pending_ops(), 0u);
  ExpectSameHistory(p, c.channel);
}

TEST(Publisher, StandbyHistoryEqualsTheActivesThroughOpsReplaysAndResumes) {
  ReplayPair p;
  StartWithRecords(p, 5);
  FakeConsumer c("t");
  ConnId conn = p.Connect(0, c);
  for (int round = 0; round < 3; ++round) {
    p.Put(0, "t", "k" + std::to_string(round), "r" + std::to_string(round));
    ExpectSameHistory(p, c.channel);
  }
  p.Send(conn, c.Ack(c.channel, c.applied[1].op, c.applied[1].term));
  ExpectSameHistory(p, c.channel);
  p.Close(conn);
  p.Put(0, "t", "k4", "while away");
  ExpectSameHistory(p, c.channel);
  conn = p.Connect(0, c);  // resumes: a keyed replay of k4
  EXPECT_TRUE(c.applied.back().replay);
  ExpectSameHistory(p, c.channel);
  p.Put(0, "t", "k3", "after");
  ExpectSameHistory(p, c.channel);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Publisher, ConsumerBackOnTheSameNodeInSyncGetsOnlyAWelcome) {
  ReplayPair p;
  StartWithRecords(p, 3);
  FakeConsumer c("t");
  const ConnId first = p.Connect(0, c);
  p.Put(0, "t", "k0", "x");
  const size_t ops = c.applied.size();
  p.Close(first);
  p.Connect(0, c);
  EXPECT_EQ(c.welcomes.size(), 2u);
  EXPECT_EQ(c.welcomes.back().status, wire::WelcomeStatus::kOk);
  EXPECT_EQ(c.applied.size(), ops);
  EXPECT_EQ(p.publisher(0).counters().resumes_in_sync, 1u);
  p.Put(0, "t", "k1", "live again");
  EXPECT_EQ(c.applied.size(), ops + 1);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Publisher, ConsumerBackWhileTheOldConnectionIsOpenReplacesIt) {
  ReplayPair p;
  StartWithRecords(p, 3);
  FakeConsumer c("t");
  const ConnId first = p.Connect(0, c);
  FakeConsumer again = c;  // the same consumer, its process restarted with its state
  const ConnId second = p.Connect(0, again);
  EXPECT_FALSE(p.open(first));
  EXPECT_TRUE(p.open(second));
  p.Put(0, "t", "k2", "x");
  EXPECT_EQ(again.Values(), Records(p.node(0), "t"));
}

TEST(Publisher, ConsumerThatMissedOpsGetsTheirKeysOnly) {
  ReplayPair p;
  StartWithRecords(p, 20);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(0, c);
  p.Close(conn);
  p.Put(0, "t", "k3", "x");
  p.Erase(0, "t", "k4");
  p.Put(0, "t", "new", "y");
  p.Connect(0, c);
  const FakeConsumer::Applied& r = c.applied.back();
  EXPECT_TRUE(r.replay);
  EXPECT_EQ(r.reset, 0u);  // keys only: no section replaced
  EXPECT_EQ(r.keys, (std::vector<std::string>{"k3", "k4", "new"}));
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
  EXPECT_EQ(p.publisher(0).counters().replays[static_cast<size_t>(ReplayKind::kKeys)], 1u);
}

TEST(Publisher, CustomSectionFunctionNamesTheSections) {
  ReplayPair p;
  p.SetSectionFunction("t", [](std::string_view key) { return static_cast<uint8_t>(key.size()); });
  StartWithRecords(p, 2);
  FakeConsumer c("t");
  p.Connect(0, c);
  p.Put(0, "t", "abcde", "x");
  EXPECT_EQ(c.data["abcde"].first, 5);
  EXPECT_EQ(c.applied.back().mask, SectionBit(5));
  EXPECT_EQ(c.data["k0"].first, 2);
  EXPECT_EQ(p.publisher(1).History(c.channel)->pending().back().mask, SectionBit(5));
}

TEST(Publisher, DirectAcksGoToTheStandbyOnAnAckOnlyConnection) {
  PublisherConfig config = TestPublisherConfig();
  config.ack_mode = wire::AckMode::kDirect;
  ReplayPair p(config);
  StartWithRecords(p, 2);
  FakeConsumer c("t");
  const ConnId main = p.Connect(0, c);
  EXPECT_EQ(c.welcomes[0].ack_mode, wire::AckMode::kDirect);
  p.Put(0, "t", "k0", "x");
  p.Ack(main);
  EXPECT_EQ(p.publisher(0).History(c.channel)->acked_op(), c.last_op);
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_op(), 0u);  // not forwarded
  FakeConsumer acker = c;                                        // its second connection
  const ConnId side = p.Connect(1, acker, /*hello=*/true, /*ack_only=*/true);
  ASSERT_EQ(acker.welcomes.size(), 2u);
  EXPECT_EQ(acker.welcomes[1].status, wire::WelcomeStatus::kOk);
  EXPECT_EQ(acker.welcomes[1].channel, c.channel);
  p.Send(side, acker.Ack(c.channel, c.last_op, c.last_term));
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_op(), c.last_op);
  EXPECT_EQ(p.publisher(1).History(c.channel)->pending_ops(), 0u);
  EXPECT_TRUE(p.open(side));
}

TEST(Publisher, DirectAckAheadOfTheReplayStreamIsIgnored) {
  PublisherConfig config = TestPublisherConfig();
  config.ack_mode = wire::AckMode::kDirect;
  ReplayPair p(config);
  StartWithRecords(p, 2);
  FakeConsumer c("t");
  p.Connect(0, c);
  FakeConsumer acker = c;
  const ConnId side = p.Connect(1, acker, true, true);
  p.pair().Stall(0, true);  // the replay stream lags
  p.Put(0, "t", "k0", "x");
  p.Send(side, acker.Ack(c.channel, c.last_op, c.last_term));
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_op(), 0u);  // an op it does not know
  p.pair().Stall(0, false);
  p.Pump();
  EXPECT_EQ(p.publisher(1).History(c.channel)->pending_ops(),
            2u);                                               // the full replay and the new op
  p.Send(side, acker.Ack(c.channel, c.last_op, c.last_term));  // acked again, every interval
  EXPECT_EQ(p.publisher(1).History(c.channel)->acked_op(), c.last_op);
  EXPECT_EQ(p.publisher(1).History(c.channel)->pending_ops(), 0u);
  EXPECT_TRUE(p.open(side));
}

TEST(Publisher, AckOfAnOpOfAnotherTermIsIgnored) {
  // A consumer back from another active's split-brain acks that active's op, which this node
  // numbered too: it says nothing of this node's op, and the consumer is not at fault.
  ReplayPair p;
  StartWithRecords(p, 2);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(0, c);
  p.Put(0, "t", "k0", "x");
  p.Send(conn, c.Ack(c.channel, c.last_op, c.last_term + 1));
  EXPECT_TRUE(p.open(conn));
  EXPECT_EQ(p.publisher(0).History(c.channel)->acked_op(), 0u);
  EXPECT_EQ(p.publisher(0).counters().protocol_errors, 0u);
  p.Ack(conn);
  EXPECT_EQ(p.publisher(0).History(c.channel)->acked_op(), c.last_op);
}

TEST(Publisher, StandbyAnswersASubscriptionNotActive) {
  ReplayPair p;
  StartWithRecords(p, 1);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(1, c);
  ASSERT_EQ(c.welcomes.size(), 1u);
  EXPECT_EQ(c.welcomes[0].status, wire::WelcomeStatus::kNotActive);
  EXPECT_EQ(c.welcomes[0].node_id, 2);
  EXPECT_FALSE(p.open(conn));
  EXPECT_EQ(p.publisher(1).counters().refused, 1u);
}

TEST(Publisher, IdleConnectionsArePinged) {
  ReplayPair p;
  StartWithRecords(p, 1);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(0, c);
  p.Run(2500ms);
  EXPECT_GE(c.pings, 2u);
  EXPECT_TRUE(p.open(conn));
}

TEST(Publisher, ChannelsListWhatEachConsumerWasSentAndAcked) {
  ReplayPair p;
  StartWithRecords(p, 2);
  FakeConsumer c("t", "k");
  const ConnId conn = p.Connect(0, c);
  p.Put(0, "t", "k0", "x");
  p.Ack(conn);
  p.Put(0, "t", "k1", "y");
  std::vector<ChannelInfo> channels = p.publisher(0).Channels();
  ASSERT_EQ(channels.size(), 1u);
  const ChannelInfo& info = channels[0];
  EXPECT_EQ(info.channel, c.channel);
  EXPECT_EQ(info.table, "t");
  EXPECT_EQ(info.prefix, "k");
  EXPECT_EQ(info.name, "fake");
  EXPECT_EQ(info.phase, ChannelPhase::kLive);
  EXPECT_EQ(info.sent_op, c.last_op);
  EXPECT_EQ(info.acked_op, c.applied[1].op);
  EXPECT_EQ(info.pending_ops, 1u);
  EXPECT_EQ(info.replays, 1u);
  EXPECT_EQ(info.last_replay, ReplayKind::kFull);
  EXPECT_EQ(info.replayed_records, 2u);
  EXPECT_EQ(PhaseName(info.phase), "live");
}

// A replay larger than a slice is written over several turns; what changes meanwhile reaches
// the consumer as a catch-up once the replay is done, and the copy ends equal to the table.
TEST(Publisher, AReplayLargerThanASliceGoesOnOverTurnsThenCatchesUp) {
  PublisherConfig config = TestPublisherConfig();
  config.replay_slice_records = 8;
  config.window_bytes = 2048;  // about two slices of these records
  ReplayPair p(config);
  p.StartConnected();
  const std::string value(100, 'v');
  for (int i = 0; i < 100; ++i) p.Put(0, "t", "k" + std::to_string(i), value);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(0, c, /*hello=*/false);
  p.Stall(conn, true);
  p.Send(conn, c.Hello());
  p.Run(100ms);  // the window fills, the walk waits
  ASSERT_EQ(p.publisher(0).Channels().size(), 1u);
  EXPECT_EQ(p.publisher(0).Channels()[0].phase, ChannelPhase::kReplaying);
  EXPECT_EQ(p.publisher(0).counters().replays[static_cast<size_t>(ReplayKind::kFull)], 0u);

  p.Put(0, "t", "k6", "changed after the walk met it");
  p.Put(0, "t", "k50", "changed before the walk met it");
  p.Erase(0, "t", "k51");
  p.Put(0, "t", "new", "added");
  p.Stall(conn, false);
  ASSERT_TRUE(c.error.empty()) << c.error;
  ASSERT_EQ(c.applied.size(), 2u);
  EXPECT_TRUE(c.applied[0].replay);
  EXPECT_EQ(c.applied[0].reset, kAllSections);
  EXPECT_GT(c.applied[0].frames, 3u);
  // The walk sent the records as they were, less those changed before it met them; then the
  // keys changed meanwhile, as they are now, so that the reset drops none of them for a while.
  const std::vector<std::string>& replayed = c.applied[0].keys;
  ASSERT_EQ(replayed.size(), 98u + 4);
  const std::vector<std::string> walked(replayed.begin(), replayed.end() - 4);
  EXPECT_EQ(std::count(walked.begin(), walked.end(), "k6"), 1);
  for (const char* skipped : {"k50", "k51", "new"}) {
    EXPECT_EQ(std::count(walked.begin(), walked.end(), skipped), 0) << skipped;
  }
  std::vector<std::string> changed(replayed.end() - 4, replayed.end());
  std::sort(changed.begin(), changed.end());
  EXPECT_EQ(changed, (std::vector<std::string>{"k50", "k51", "k6", "new"}));
  EXPECT_TRUE(c.applied[1].replay);
  EXPECT_EQ(c.applied[1].reset, 0u);
  std::vector<std::string> caught_up = c.applied[1].keys;
  std::sort(caught_up.begin(), caught_up.end());
  EXPECT_EQ(caught_up, (std::vector<std::string>{"k50", "k51", "k6", "new"}));
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
  EXPECT_EQ(p.publisher(0).Channels()[0].phase, ChannelPhase::kLive);

  p.Put(0, "t", "k1", "live again");
  EXPECT_FALSE(c.applied.back().replay);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

// A standby that takes over while a replay is being written replays it again: the consumer
// never applied it.
TEST(Publisher, AReplayCutShortByAFailoverIsReplayedByTheNewActive) {
  PublisherConfig config = TestPublisherConfig();
  config.replay_slice_records = 8;
  config.window_bytes = 1 << 20;
  ReplayPair p(config);
  StartWithRecords(p, 100);
  FakeConsumer c("t");
  const ConnId conn = p.Connect(0, c, /*hello=*/false);
  p.Stall(conn, true);
  p.Send(conn, c.Hello());
  p.Put(0, "t", "k5", "changed");
  p.Crash(0);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  EXPECT_TRUE(c.applied.empty());
  p.Connect(1, c);
  ASSERT_TRUE(c.error.empty()) << c.error;
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
  // (Its welcome from node 0 was held too, so it subscribed anew.)
  for (const ChannelInfo& ch : p.publisher(1).Channels()) {
    if (ch.channel == c.channel) {
      EXPECT_EQ(ch.phase, ChannelPhase::kLive);
    }
  }
  p.Put(1, "t", "k1", "live");
  EXPECT_FALSE(c.applied.back().replay);
  EXPECT_EQ(c.Values(), Records(p.node(1), "t"));
}

// A replay written over several turns, with a write meanwhile: its catch-up waits for the
// connection to drain and reuses its slot. (It once took a second slot at once and gave back
// one: two such replays left one slot of three, and one consumer that never reads then held
// every other replay back.)
void ReplayOverTurnsWithAWriteMeanwhile(ReplayPair& p, FakeConsumer& c) {
  const ConnId conn = p.Connect(0, c, false);
  p.Stall(conn, true);
  p.Send(conn, c.Hello());
  p.Run(100ms);
  p.Put(0, "t", "k50", "changed for " + std::to_string(c.welcomes.size()) + c.table);
  p.Stall(conn, false);
  p.Run(100ms);
}

TEST(PublisherLive, ReplaysOverTurnsGiveTheirSlotsBack) {
  PublisherConfig config = TestPublisherConfig();
  config.replay_slice_records = 8;
  config.window_bytes = 2048;
  config.max_concurrent_replays = 3;
  ReplayPair p(config);
  p.StartConnected();
  for (int i = 0; i < 100; ++i) p.Put(0, "t", "k" + std::to_string(i), std::string(100, 'v'));
  FakeConsumer a("t");
  FakeConsumer b("t");
  ReplayOverTurnsWithAWriteMeanwhile(p, a);
  ASSERT_EQ(a.applied.size(), 2u);  // the replay, then its catch-up
  ReplayOverTurnsWithAWriteMeanwhile(p, b);
  ASSERT_EQ(b.applied.size(), 2u);
  FakeConsumer stuck("t");
  const ConnId stuck_conn = p.Connect(0, stuck, false);
  p.Stall(stuck_conn, true);
  p.Send(stuck_conn, stuck.Hello());
  p.Run(100ms);
  FakeConsumer next("t");
  p.Connect(0, next);
  p.Run(3s);
  EXPECT_EQ(next.Values(), Records(p.node(0), "t"));
}

}  // namespace
}  // namespace hasync::replay::testing
