// Pings and the silence deadline.
#include <gtest/gtest.h>

#include "scripted_node.h"

namespace hasync::consumer::testing {
namespace {

SessionConfig Config(size_t endpoints) {
  SessionConfig c;
  c.endpoints = endpoints;
  c.table = "nat";
  return c;
}

TEST(SessionLiveness, PingsWhenItHasSentNothingForPingInterval) {
  ScriptedNodes n(Config(1));
  n.Start();
  n.Subscribe(0, 5);
  n.Advance(999ms);
  EXPECT_TRUE(n.inbox(0).empty());
  n.Advance(1ms);
  n.Next(0, wire::MsgType::kConsumerPing);
  EXPECT_TRUE(n.inbox(0).empty());
}

TEST(SessionLiveness, NodePingsKeepTheConnection) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Subscribe(0, 5);
  for (int i = 0; i < 10; ++i) {
    n.Advance(1s);
    n.SendPing(0);
  }
  EXPECT_TRUE(n.closes.empty());
  EXPECT_EQ(n.session().status().active_endpoint, 0);
  EXPECT_EQ(n.session().status().protocol_errors, 0u);
}

TEST(SessionLiveness, SilenceClosesAndFollowsTheNextNode) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Subscribe(0, 5);
  n.Advance(2999ms);
  EXPECT_TRUE(n.closes.empty());
  n.Advance(1ms);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.dials, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(n.session().status().active_endpoint, -1);
  EXPECT_EQ(n.session().status().protocol_errors, 0u);
}

TEST(SessionLiveness, SilentNodeBeforeItsWelcomeIsLeftToo) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Accept(0);
  n.Advance(3s);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.dials, (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace hasync::consumer::testing
