// What a slow, absent or hostile consumer can cost: a window then a catch-up, a limit on
// replays in flight, channels dropped after consumer_timeout, hellos and silence bounded in
// time, connections and channels in number, pending ops per channel; and bad input closes only
// the connection that sent it, counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "replay_pair.h"
#include "wire/frame.h"

namespace hasync::replay::testing {
namespace {

ConnId StartSubscribed(ReplayPair& p, FakeConsumer& c, int n) {
  p.StartConnected();
  for (int i = 0; i < n; ++i) p.Put(0, "t", "k" + std::to_string(i), "v" + std::to_string(i));
  return p.Connect(0, c);
}

ChannelInfo Info(ReplayPair& p, int i, uint64_t channel) {
  for (const ChannelInfo& info : p.publisher(i).Channels()) {
    if (info.channel == channel) return info;
  }
  ADD_FAILURE() << "no channel " << channel << " on node " << i;
  return {};
}

TEST(Bounds, FullWindowTurnsTheConsumerBehindThenACatchUpReplay) {
  ReplayPair p;  // 4 KiB window
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 3);
  p.Stall(conn, true);
  for (int i = 0; i < 12; ++i) p.Put(0, "t", "w" + std::to_string(i), std::string(500, 'x'));
  EXPECT_EQ(Info(p, 0, c.channel).phase, ChannelPhase::kBehind);
  EXPECT_EQ(p.publisher(0).counters().behind, 1u);
  const uint64_t sent = Info(p, 0, c.channel).sent_op;
  p.Stall(conn, false);  // drains: the catch-up replays what was not sent
  ASSERT_TRUE(c.applied.back().replay);
  EXPECT_EQ(c.applied.back().reset, 0u);
  // The catch-up carries exactly the keys of the ops the window held back.
  std::vector<std::string> held_back;
  for (int i = 0; i < 12; ++i) held_back.push_back("w" + std::to_string(i));
  for (const FakeConsumer::Applied& a : c.applied) {
    if (a.replay) continue;
    EXPECT_LE(a.op, sent) << "sent past the window";
    for (const std::string& key : a.keys) std::erase(held_back, key);
  }
  EXPECT_FALSE(held_back.empty());
  std::sort(held_back.begin(), held_back.end());
  EXPECT_EQ(c.applied.back().keys, held_back);
  EXPECT_EQ(Info(p, 0, c.channel).phase, ChannelPhase::kLive);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
  p.Put(0, "t", "after", "live");
  EXPECT_FALSE(c.applied.back().replay);
  EXPECT_TRUE(c.error.empty()) << c.error;
}

TEST(Bounds, ReplaysInFlightAreLimited) {
  ReplayPair p;  // two at once
  p.StartConnected();
  for (int i = 0; i < 5; ++i) p.Put(0, "t", "k" + std::to_string(i), "v");
  std::vector<FakeConsumer> consumers(3, FakeConsumer("t"));
  std::vector<ConnId> conns;
  for (FakeConsumer& c : consumers) {
    conns.push_back(p.Connect(0, c, /*hello=*/false));
    p.Stall(conns.back(), true);  // the replay stays queued in the driver
    p.Send(conns.back(), c.Hello());
  }
  std::vector<ChannelInfo> channels = p.publisher(0).Channels();
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[0].phase, ChannelPhase::kLive);
  EXPECT_EQ(channels[1].phase, ChannelPhase::kLive);
  EXPECT_EQ(channels[2].phase, ChannelPhase::kReplaying);
  EXPECT_EQ(p.publisher(0).counters().replays[static_cast<size_t>(ReplayKind::kFull)], 2u);
  p.Stall(conns[0], false);  // its replay drained: the slot goes to the third
  EXPECT_EQ(p.publisher(0).Channels()[2].phase, ChannelPhase::kLive);
  EXPECT_EQ(p.publisher(0).counters().replays[static_cast<size_t>(ReplayKind::kFull)], 3u);
  for (ConnId conn : conns) p.Stall(conn, false);
  for (FakeConsumer& c : consumers) EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Bounds, ConsumerAwayPastTheTimeoutIsDroppedOnBothNodes) {
  ReplayPair p;  // 10 s
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 3);
  p.Close(conn);
  p.Put(0, "t", "k0", "while away");
  p.Run(9s);
  ASSERT_NE(p.publisher(1).History(c.channel), nullptr);
  EXPECT_EQ(Info(p, 0, c.channel).phase, ChannelPhase::kAway);
  p.Run(2s);
  EXPECT_TRUE(p.publisher(0).Channels().empty());
  EXPECT_EQ(p.publisher(0).History(c.channel), nullptr);
  EXPECT_EQ(p.publisher(1).History(c.channel), nullptr);
  EXPECT_EQ(p.publisher(0).counters().dropped, 1u);
  // Back later: a channel of that id is made again, with a full replay.
  p.Connect(0, c);
  EXPECT_EQ(c.applied.back().reset, kAllSections);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Bounds, ChannelsOfANewActiveTimeOutFromTheFailover) {
  ReplayPair p;
  FakeConsumer c("t");
  StartSubscribed(p, c, 3);
  p.Crash(0);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  p.Run(9s);
  EXPECT_NE(p.publisher(1).History(c.channel), nullptr);
  p.Run(2s);
  EXPECT_EQ(p.publisher(1).History(c.channel), nullptr);
}

TEST(Bounds, HelloMustComeWithinDeadAfter) {
  ReplayPair p;
  FakeConsumer c("t");
  StartSubscribed(p, c, 1);
  FakeConsumer mute("t");
  const ConnId conn = p.Connect(0, mute, /*hello=*/false);
  p.Run(2900ms);
  EXPECT_TRUE(p.open(conn));
  p.Run(200ms);
  EXPECT_FALSE(p.open(conn));
  EXPECT_EQ(p.publisher(0).counters().silent, 1u);
}

TEST(Bounds, SilentConsumerIsCutAndItsChannelGoesAway) {
  ReplayPair p;
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 1);
  c.auto_ping = false;
  p.Run(3100ms);
  EXPECT_FALSE(p.open(conn));
  EXPECT_EQ(Info(p, 0, c.channel).phase, ChannelPhase::kAway);
  EXPECT_EQ(p.publisher(0).counters().silent, 1u);
}

TEST(Bounds, ConnectionsAndChannelsAreLimited) {
  PublisherConfig config = TestPublisherConfig();
  config.max_connections = 2;
  config.max_channels = 1;
  ReplayPair p(config);
  FakeConsumer a("t");
  StartSubscribed(p, a, 1);
  FakeConsumer b("t");
  const ConnId second = p.Connect(0, b);
  ASSERT_EQ(b.welcomes.size(), 1u);
  EXPECT_EQ(b.welcomes[0].status, wire::WelcomeStatus::kRefused);
  EXPECT_FALSE(p.open(second));
  FakeConsumer x("t");
  const ConnId hold = p.Connect(0, x, /*hello=*/false);
  FakeConsumer y("t");
  const ConnId over = p.Connect(0, y, /*hello=*/false);
  EXPECT_TRUE(p.open(hold));
  EXPECT_FALSE(p.open(over));
  EXPECT_EQ(p.publisher(0).counters().refused, 2u);
}

TEST(Bounds, PendingOpsOfAConsumerThatNeverAcksStayBounded) {
  PublisherConfig config = TestPublisherConfig();
  config.max_pending_ops = 4;
  ReplayPair p(config);
  FakeConsumer c("t");
  const ConnId conn = StartSubscribed(p, c, 30);
  p.Close(conn);
  for (int i = 0; i < 20; ++i) p.Put(0, "t", "k" + std::to_string(i), "again");
  EXPECT_LE(p.publisher(0).History(c.channel)->pending().size(), 4u);
  EXPECT_LE(p.publisher(1).History(c.channel)->pending().size(), 4u);
  EXPECT_EQ(p.publisher(0).History(c.channel)->pending_ops(), 21u);  // the full replay, 20 ops
  p.Connect(0, c);
  EXPECT_EQ(c.Values(), Records(p.node(0), "t"));
}

TEST(Bounds, HistoriesOfEveryChannelFitTheStandbysUnackedBytes) {
  PublisherConfig config = TestPublisherConfig();
  config.max_channels = 64;
  config.max_pending_ops = 100000;
  core::CoreConfig a = core::testing::TestConfig(1, 200);
  a.max_unacked_bytes = 1u << 20;
  ReplayPair p(config, a);
  p.Start(0);
  EXPECT_EQ(p.publisher(0).config().max_pending_ops, 256u);  // 512 KiB / 32 B / 64 channels
  EXPECT_EQ(p.publisher(0).config().max_channels, 64u);
}

// --- hostile input: only that connection closes ---

class Hostile : public ::testing::Test {
 protected:
  Hostile() {
    good_conn_ = StartSubscribed(p_, good_, 3);
    bad_conn_ = p_.Connect(0, bad_);
  }
  // The bad connection is closed and counted; the good one still gets updates.
  void ExpectOnlyTheBadOneClosed(uint64_t protocol_errors = 1) {
    EXPECT_FALSE(p_.open(bad_conn_));
    EXPECT_TRUE(p_.open(good_conn_));
    EXPECT_EQ(p_.publisher(0).counters().protocol_errors, protocol_errors);
    p_.Put(0, "t", "k1", "still live");
    EXPECT_EQ(good_.data["k1"].second, "still live");
    EXPECT_EQ(good_.Values(), Records(p_.node(0), "t"));
  }

  ReplayPair p_;
  FakeConsumer good_{"t"};
  FakeConsumer bad_{"t"};
  ConnId good_conn_ = 0;
  ConnId bad_conn_ = 0;
};

TEST_F(Hostile, GarbageBytes) {
  std::vector<uint8_t> garbage(64, 0xab);
  p_.Send(bad_conn_, garbage);
  ExpectOnlyTheBadOneClosed();
}

TEST_F(Hostile, FrameLengthOverTheLimit) {
  std::vector<uint8_t> header = {0xff, 0xff, 0xff, 0x00};  // 16 MiB announced
  p_.Send(bad_conn_, header);
  ExpectOnlyTheBadOneClosed();
}

TEST_F(Hostile, AckForAnotherChannel) {
  p_.Send(bad_conn_, bad_.Ack(good_.channel, good_.last_op, good_.last_term));
  ExpectOnlyTheBadOneClosed();
  EXPECT_EQ(p_.publisher(0).History(good_.channel)->acked_op(), 0u);
}

TEST_F(Hostile, AckForAnOpNeverSent) {
  p_.Send(bad_conn_, bad_.Ack(bad_.channel, bad_.last_op + 100, bad_.last_term));
  ExpectOnlyTheBadOneClosed();
}

TEST_F(Hostile, SecondHello) {
  p_.Send(bad_conn_, bad_.Hello());
  ExpectOnlyTheBadOneClosed();
}

TEST_F(Hostile, MessageOnlyANodeSends) {
  p_.Send(bad_conn_, bad_.Frame(wire::ChannelDrop{0, wire::ChannelDropReason::kForgetAll}));
  ExpectOnlyTheBadOneClosed();
  EXPECT_NE(p_.publisher(1).History(good_.channel), nullptr);
}

TEST_F(Hostile, AckBeforeTheHello) {
  FakeConsumer early("t");
  const ConnId conn = p_.Connect(0, early, /*hello=*/false);
  p_.Send(conn, early.Ack(good_.channel, 1, 1));
  EXPECT_FALSE(p_.open(conn));
  p_.Close(bad_conn_);
  bad_conn_ = conn;
  ExpectOnlyTheBadOneClosed();
}

TEST_F(Hostile, HelloForAKnownChannelWithAnotherTable) {
  p_.Put(0, "other", "x", "y");
  FakeConsumer thief("other");
  thief.channel = good_.channel;
  const ConnId conn = p_.Connect(0, thief);
  ASSERT_EQ(thief.welcomes.size(), 1u);
  EXPECT_EQ(thief.welcomes[0].status, wire::WelcomeStatus::kRefused);
  EXPECT_FALSE(p_.open(conn));
  p_.Close(bad_conn_);
  bad_conn_ = conn;
  ExpectOnlyTheBadOneClosed(0);
  EXPECT_EQ(p_.publisher(0).counters().refused, 1u);
}

// A consumer may start before the table's first record (a line card booting before its
// routes): the table is made, empty, and its records reach the consumer as they come.
TEST_F(Hostile, HelloForATableWithNoRecordYet) {
  FakeConsumer early("later");
  const ConnId conn = p_.Connect(0, early);
  ASSERT_EQ(early.welcomes.size(), 1u);
  EXPECT_EQ(early.welcomes[0].status, wire::WelcomeStatus::kOk);
  EXPECT_TRUE(p_.open(conn));
  ASSERT_NE(p_.node(0).store().Find("later"), nullptr);
  p_.Put(0, "later", "k", "v");
  p_.Pump();
  EXPECT_EQ(early.Values(), Records(p_.node(0), "later"));
  EXPECT_EQ(early.Values().size(), 1u);
}

TEST_F(Hostile, HelloWithAnOpIdNearTheEnd) {
  FakeConsumer greedy("t");
  greedy.channel = good_.channel + 1;
  greedy.last_op = ~uint64_t{0} - 1;
  greedy.last_term = 1;
  const ConnId conn = p_.Connect(0, greedy);
  ASSERT_EQ(greedy.welcomes.size(), 1u);
  EXPECT_EQ(greedy.welcomes[0].status, wire::WelcomeStatus::kRefused);
  EXPECT_FALSE(p_.open(conn));
  p_.Close(bad_conn_);
  bad_conn_ = conn;
  ExpectOnlyTheBadOneClosed(0);
  EXPECT_TRUE(p_.node(0).peer().in_sync);  // the standby took every op
}

TEST_F(Hostile, HelloOfAnotherVersion) {
  FakeConsumer future("t");
  const ConnId conn = p_.Connect(0, future, /*hello=*/false);
  wire::ConsumerHello h;
  h.version = wire::kConsumerProtocolVersion + 1;
  h.table = "t";
  p_.Send(conn, future.Frame(h));
  ASSERT_EQ(future.welcomes.size(), 1u);
  EXPECT_EQ(future.welcomes[0].status, wire::WelcomeStatus::kRefused);
  EXPECT_FALSE(p_.open(conn));
}

}  // namespace
}  // namespace hasync::replay::testing
