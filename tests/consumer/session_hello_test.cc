// The hello: what a consumer says of its subscription and of what it holds (the resume point).
#include <gtest/gtest.h>

#include "scripted_node.h"

namespace hasync::consumer::testing {
namespace {

SessionConfig Config() {
  SessionConfig c;
  c.table = "nat";
  c.prefix = "10.";
  c.name = "fw1";
  return c;
}

TEST(SessionHello, FirstHelloNamesTheSubscriptionAndHoldsNothing) {
  ScriptedNodes n(Config());
  n.Start();
  EXPECT_EQ(n.dials, std::vector<size_t>{0});
  n.Accept(0);
  wire::ConsumerHello hello = n.NextHello(0);
  EXPECT_EQ(hello.version, wire::kConsumerProtocolVersion);
  EXPECT_FALSE(hello.ack_only);
  EXPECT_EQ(hello.channel, 0u);
  EXPECT_EQ(hello.last_op, 0u);
  EXPECT_EQ(hello.last_term, 0u);
  EXPECT_EQ(hello.table, "nat");
  EXPECT_EQ(hello.prefix, "10.");
  EXPECT_EQ(hello.name, "fw1");
  EXPECT_TRUE(hello.ring.empty());
  EXPECT_TRUE(n.inbox(0).empty());
}

TEST(SessionHello, ResumeReportsTheLastOpAndTheRingOfAppliedOps) {
  ScriptedNodes n(Config());
  n.Start();
  n.Subscribe(0, 0x42);
  n.SendUpdate(0, {.channel = 0x42, .op = 1, .term = 7, .mask = 1}, {Put("10.1", "a", 0)});
  n.SendUpdate(0, {.channel = 0x42, .op = 2, .term = 7, .mask = 2}, {Put("10.2", "b", 1)});
  // Op ids may skip ahead (a resume does), and a new active has a new term.
  n.SendUpdate(0, {.channel = 0x42, .op = 5, .term = 9, .mask = 4}, {Put("10.3", "c", 2)});
  n.Refuse(0, "reset by peer");
  n.Advance(100ms);  // one endpoint: a round is over, reconnect_delay
  ASSERT_EQ(n.dials, (std::vector<size_t>{0, 0}));
  n.Accept(0);
  n.SkipPings(0);
  wire::ConsumerHello hello = n.NextHello(0);
  EXPECT_EQ(hello.channel, 0x42u);
  EXPECT_EQ(hello.last_op, 5u);
  EXPECT_EQ(hello.last_term, 9u);
  ASSERT_EQ(hello.ring.size(), 3u);
  EXPECT_EQ(hello.ring[0].op, 1u);
  EXPECT_EQ(hello.ring[0].term, 7u);
  EXPECT_EQ(hello.ring[0].mask, 1u);
  EXPECT_EQ(hello.ring[1].op, 2u);
  EXPECT_EQ(hello.ring[1].mask, 2u);
  EXPECT_EQ(hello.ring[2].op, 5u);
  EXPECT_EQ(hello.ring[2].term, 9u);
  EXPECT_EQ(hello.ring[2].mask, 4u);
}

TEST(SessionHello, RingKeepsTheNewestRingSizeOps) {
  SessionConfig config = Config();
  config.ring_size = 2;
  ScriptedNodes n(config);
  n.Start();
  n.Subscribe(0, 9);
  for (uint64_t op = 1; op <= 5; ++op) {
    n.SendUpdate(0, {.channel = 9, .op = op, .term = 3, .mask = op}, {Put("10.k", "v")});
  }
  n.Refuse(0);
  n.Advance(100ms);
  n.Accept(0);
  wire::ConsumerHello hello = n.NextHello(0);
  EXPECT_EQ(hello.last_op, 5u);
  ASSERT_EQ(hello.ring.size(), 2u);
  EXPECT_EQ(hello.ring[0].op, 4u);
  EXPECT_EQ(hello.ring[1].op, 5u);
}

TEST(SessionHello, ConfiguredChannelIsResumedHoldingNothing) {
  SessionConfig config = Config();
  config.channel = 0x77;
  ScriptedNodes n(config);
  n.Start();
  n.Accept(0);
  wire::ConsumerHello hello = n.NextHello(0);
  EXPECT_EQ(hello.channel, 0x77u);
  EXPECT_EQ(hello.last_op, 0u);
  n.SendWelcome(0, wire::WelcomeStatus::kOk, 0x77);
  EXPECT_EQ(n.session().status().channel, 0x77u);
  EXPECT_EQ(n.session().status().active_endpoint, 0);
}

TEST(SessionHello, NewChannelIdIsKeptAcrossReconnects) {
  ScriptedNodes n(Config());
  n.Start();
  n.Subscribe(0, 0x1000000000001);
  n.Refuse(0);
  n.Advance(100ms);
  n.Accept(0);
  EXPECT_EQ(n.NextHello(0).channel, 0x1000000000001u);
}

TEST(SessionHello, WelcomeNamingAnotherChannelIsAProtocolError) {
  SessionConfig config = Config();
  config.channel = 0x77;
  ScriptedNodes n(config);
  n.Start();
  n.Accept(0);
  n.SendWelcome(0, wire::WelcomeStatus::kOk, 0x78);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
  EXPECT_EQ(n.session().status().active_endpoint, -1);
}

TEST(SessionHello, WelcomeWithoutAChannelIsAProtocolError) {
  ScriptedNodes n(Config());
  n.Start();
  n.Accept(0);
  n.SendWelcome(0, wire::WelcomeStatus::kOk, 0);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
}

}  // namespace
}  // namespace hasync::consumer::testing
