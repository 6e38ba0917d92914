// Following the active node across the endpoints, and Stop.
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

TEST(SessionFollow, NotActiveAndFailedDialsMoveToTheNextEndpoint) {
  ScriptedNodes n(Config(3));
  n.Start();
  n.Accept(0);
  n.NextHello(0);
  n.SendWelcome(0, wire::WelcomeStatus::kNotActive, 0);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  ASSERT_EQ(n.dials, (std::vector<size_t>{0, 1}));
  n.Refuse(1);
  ASSERT_EQ(n.dials, (std::vector<size_t>{0, 1, 2}));
  n.Subscribe(2, 5);
  SessionStatus s = n.session().status();
  EXPECT_EQ(s.active_endpoint, 2);
  EXPECT_EQ(s.node_id, 3);  // ScriptedNodes numbers node i + 1
  EXPECT_EQ(s.resumes, 1u);
  EXPECT_EQ(s.reconnects, 2u);
  EXPECT_EQ(s.protocol_errors, 0u);
}

TEST(SessionFollow, AfterAFullRoundItWaitsReconnectDelay) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Refuse(0);
  n.Refuse(1);
  EXPECT_EQ(n.dials, (std::vector<size_t>{0, 1}));
  n.Advance(99ms);
  EXPECT_EQ(n.dials.size(), 2u);
  n.Advance(1ms);
  EXPECT_EQ(n.dials, (std::vector<size_t>{0, 1, 0}));
}

TEST(SessionFollow, RefusedSubscriptionIsRetriedSlowly) {
  ScriptedNodes n(Config(1));
  n.Start();
  n.Accept(0);
  n.SendWelcome(0, wire::WelcomeStatus::kRefused, 0);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  n.Advance(999ms);
  EXPECT_EQ(n.dials.size(), 1u);
  n.Advance(1ms);
  EXPECT_EQ(n.dials.size(), 2u);
  bool logged = false;
  for (const core::LogLine& line : n.logs) {
    logged |= line.severity == core::Severity::kWarning &&
              line.text.find("refused the subscription") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

TEST(SessionFollow, LostSubscriptionResumesOnTheOtherNodeAtOnce) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Subscribe(0, 5);
  n.SendUpdate(0, {.channel = 5, .op = 1, .term = 1, .mask = 1}, {Put("a", "1")});
  n.Refuse(0, "reset by peer");
  ASSERT_EQ(n.dials, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(n.session().status().active_endpoint, -1);
  n.Accept(1);
  wire::ConsumerHello hello = n.NextHello(1);
  EXPECT_EQ(hello.channel, 5u);
  EXPECT_EQ(hello.last_op, 1u);
  n.SendWelcome(1, wire::WelcomeStatus::kOk, 5);
  EXPECT_EQ(n.session().status().active_endpoint, 1);
  EXPECT_EQ(n.session().status().resumes, 2u);
}

TEST(SessionFollow, DialThatNeverCompletesIsAbandonedAfterDeadAfter) {
  ScriptedNodes n(Config(2));
  n.Start();
  n.Advance(2999ms);
  EXPECT_EQ(n.dials, std::vector<size_t>{0});
  n.Advance(1ms);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.dials, (std::vector<size_t>{0, 1}));
}

TEST(SessionFollow, StopClosesEveryConnectionAndIgnoresWhatFollows) {
  ScriptedNodes n(Config(3));
  n.Start();
  n.Subscribe(0, 5, wire::AckMode::kDirect);
  ASSERT_EQ(n.dials, (std::vector<size_t>{0, 1, 2}));
  n.Accept(1);
  n.session().Stop(n.now());
  SessionEffects& effects = n.session().effects();
  EXPECT_EQ(effects.close, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(effects.timer, core::kNever);
  effects = {};
  n.session().OnBytes(n.now(), 0, std::vector<uint8_t>(30, 0xff));
  n.session().OnClosed(n.now(), 1, "gone");
  n.session().OnTimer(n.now() + 10s);
  n.session().OnConnected(n.now(), 2);
  n.session().Stop(n.now());
  EXPECT_TRUE(effects.connect.empty());
  EXPECT_TRUE(effects.sends.empty());
  EXPECT_TRUE(effects.close.empty());
  EXPECT_EQ(effects.timer, core::kNever);
  EXPECT_EQ(n.session().status().protocol_errors, 0u);
}

}  // namespace
}  // namespace hasync::consumer::testing
