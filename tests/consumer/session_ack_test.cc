// Acknowledgements: cumulative, at the node's interval, and in ack_mode direct also on ack-only
// connections to the other nodes.
#include <gtest/gtest.h>

#include "scripted_node.h"

namespace hasync::consumer::testing {
namespace {

constexpr uint64_t kChannel = 0x20002;

SessionConfig Config(size_t endpoints = 1) {
  SessionConfig c;
  c.endpoints = endpoints;
  c.table = "nat";
  return c;
}

void Op(ScriptedNodes& n, size_t endpoint, uint64_t op, uint64_t term = 6) {
  n.SendUpdate(endpoint, {.channel = kChannel, .op = op, .term = term, .mask = 1},
               {Put("k" + std::to_string(op), "v")});
}

TEST(SessionAck, OneCumulativeAckPerIntervalWhenOpsWereApplied) {
  ScriptedNodes n(Config());
  n.Start();
  n.Subscribe(0, kChannel, wire::AckMode::kForwarded, 10);
  Op(n, 0, 1);
  Op(n, 0, 2);
  Op(n, 0, 3);
  EXPECT_TRUE(n.inbox(0).empty());
  n.Advance(9ms);
  EXPECT_TRUE(n.inbox(0).empty());
  n.Advance(1ms);
  wire::ConsumerAck ack = n.NextAck(0);
  EXPECT_EQ(ack.channel, kChannel);
  EXPECT_EQ(ack.op, 3u);
  EXPECT_EQ(ack.term, 6u);
  EXPECT_TRUE(n.inbox(0).empty());
  EXPECT_EQ(n.session().status().acked_op, 3u);
  Op(n, 0, 4, 7);
  n.Advance(10ms);
  ack = n.NextAck(0);
  EXPECT_EQ(ack.op, 4u);
  EXPECT_EQ(ack.term, 7u);
  n.Advance(500ms);  // nothing applied: no ack (and no ping before ping_interval)
  EXPECT_TRUE(n.inbox(0).empty());
}

TEST(SessionAck, IntervalZeroStillWaitsForTheTimer) {
  ScriptedNodes n(Config());
  n.Start();
  n.Subscribe(0, kChannel, wire::AckMode::kForwarded, 0);
  Op(n, 0, 1);
  // The driver hands the op to the application before it runs the timer: never ack first.
  EXPECT_TRUE(n.inbox(0).empty());
  EXPECT_EQ(n.session().effects().timer, n.now());
  n.Advance(0ms);
  EXPECT_EQ(n.NextAck(0).op, 1u);
}

TEST(SessionAck, TheHelloOfAResumeCountsAsTheAck) {
  ScriptedNodes n(Config());
  n.Start();
  n.Subscribe(0, kChannel);
  Op(n, 0, 1);
  n.Refuse(0);  // before the ack went out
  n.Advance(100ms);
  n.Subscribe(0, kChannel);
  EXPECT_EQ(n.session().status().acked_op, 1u);
  n.Advance(500ms);
  EXPECT_TRUE(n.inbox(0).empty());
}

TEST(SessionAck, DirectModeAcksOnAckOnlyConnectionsToo) {
  ScriptedNodes n(Config(3));
  n.Start();
  n.Subscribe(0, kChannel, wire::AckMode::kDirect, 10);
  ASSERT_EQ(n.dials, (std::vector<size_t>{0, 1, 2}));
  n.Accept(1);
  wire::ConsumerHello hello = n.NextHello(1);
  EXPECT_TRUE(hello.ack_only);
  EXPECT_EQ(hello.channel, kChannel);
  EXPECT_EQ(hello.table, "nat");
  EXPECT_TRUE(hello.ring.empty());
  n.SendWelcome(1, wire::WelcomeStatus::kOk, kChannel, wire::AckMode::kDirect);
  Op(n, 0, 1);
  Op(n, 0, 2);
  n.Advance(10ms);
  EXPECT_EQ(n.NextAck(0).op, 2u);
  EXPECT_EQ(n.NextAck(1).op, 2u);
  // A late ack-only connection gets the current ack one interval after it opens.
  n.Advance(5ms);
  n.Accept(2);
  EXPECT_TRUE(n.NextHello(2).ack_only);
  n.Advance(10ms);
  EXPECT_EQ(n.NextAck(2).op, 2u);
  EXPECT_TRUE(n.inbox(0).empty());
  EXPECT_TRUE(n.inbox(1).empty());
}

TEST(SessionAck, AckOnlyConnectionIsDialedAgainAfterReconnectDelay) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Subscribe(0, kChannel, wire::AckMode::kDirect);
  n.Accept(1);
  n.Refuse(1, "reset by peer");
  n.dials.clear();
  n.Advance(99ms);
  EXPECT_TRUE(n.dials.empty());
  n.Advance(1ms);
  EXPECT_EQ(n.dials, std::vector<size_t>{1});
  EXPECT_EQ(n.session().status().active_endpoint, 0);
}

TEST(SessionAck, UpdateOnAnAckOnlyConnectionClosesOnlyIt) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Subscribe(0, kChannel, wire::AckMode::kDirect);
  n.Accept(1);
  n.SendUpdate(1, {.channel = kChannel, .op = 1}, {Put("a", "1")});
  EXPECT_EQ(n.closes, std::vector<size_t>{1});
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
  EXPECT_EQ(n.session().status().active_endpoint, 0);
  EXPECT_TRUE(n.applied.empty());
}

TEST(SessionAck, LosingTheSubscriptionClosesTheAckOnlyConnections) {
  ScriptedNodes n(Config(3));
  n.Start();
  n.Subscribe(0, kChannel, wire::AckMode::kDirect);
  n.Accept(1);
  EXPECT_TRUE(n.NextHello(1).ack_only);
  n.Accept(2);
  n.dials.clear();
  n.Refuse(0, "reset by peer");
  EXPECT_EQ(n.closes, (std::vector<size_t>{1, 2}));
  // The node that took only acks may be the new active: it is dialed for the subscription.
  EXPECT_EQ(n.dials, std::vector<size_t>{1});
  n.Accept(1);
  EXPECT_FALSE(n.NextHello(1).ack_only);
}

}  // namespace
}  // namespace hasync::consumer::testing
