// Applying live updates, replays and fragments: the changes the application sees.
#include <gtest/gtest.h>

#include "consumer/key_index.h"
#include "scripted_node.h"

namespace hasync::consumer::testing {
namespace {

constexpr uint64_t kChannel = 0x10001;

SessionConfig Config() {
  SessionConfig c;
  c.endpoints = 2;
  c.table = "nat";
  return c;
}

std::string Describe(const Change& c) {
  return c.deleted ? "del " + c.key : "put " + c.key + "=" + c.value;
}

std::vector<std::string> Changes(const AppliedOp& op) {
  std::vector<std::string> out;
  for (const Change& c : op.changes) out.push_back(Describe(c));
  return out;
}

uint64_t Bit(int section) { return uint64_t{1} << section; }

class SessionApply : public ::testing::Test {
 protected:
  SessionApply() : n(Config()) {
    n.Start();
    n.Subscribe(0, kChannel);
  }
  // Sections 1 and 2 hold a, b, e and c; section 3 holds d.
  void Hold() {
    n.SendUpdate(
        0, {.channel = kChannel, .op = 1, .mask = Bit(1) | Bit(2) | Bit(3)},
        {Put("a", "1", 1), Put("b", "2", 1), Put("c", "3", 2), Put("d", "4", 3), Put("e", "5", 1)});
    n.applied.clear();
  }
  ScriptedNodes n;
};

TEST_F(SessionApply, LiveUpdatesAreAppliedInOrder) {
  n.SendUpdate(0, {.channel = kChannel, .op = 1, .term = 4, .mask = Bit(1) | Bit(2)},
               {Put("a", "1", 1), Put("b", "2", 2)});
  n.SendUpdate(0, {.channel = kChannel, .op = 2, .term = 4, .mask = Bit(1) | Bit(2)},
               {Del("a", 1), Put("b", "3", 2)});
  ASSERT_EQ(n.applied.size(), 2u);
  EXPECT_EQ(n.applied[0].op, 1u);
  EXPECT_EQ(n.applied[0].term, 4u);
  EXPECT_FALSE(n.applied[0].replay);
  EXPECT_EQ(Changes(n.applied[0]), (std::vector<std::string>{"put a=1", "put b=2"}));
  EXPECT_EQ(Changes(n.applied[1]), (std::vector<std::string>{"del a", "put b=3"}));
  ASSERT_EQ(n.session().index().size(), 1u);
  EXPECT_EQ(n.session().index().at("b"), std::make_pair(uint8_t{2}, ValueHash("3")));
  SessionStatus s = n.session().status();
  EXPECT_EQ(s.last_op, 2u);
  EXPECT_EQ(s.last_term, 4u);
  EXPECT_EQ(s.records, 1u);
  EXPECT_EQ(s.ops, 2u);
  EXPECT_EQ(s.updates, 2u);
  EXPECT_EQ(s.replays, 0u);
}

TEST_F(SessionApply, EveryLiveRecordIsAChangeEvenARepeat) {
  n.SendUpdate(0, {.channel = kChannel, .op = 1}, {Put("a", "1")});
  n.SendUpdate(0, {.channel = kChannel, .op = 2}, {Put("a", "1"), Del("zz")});
  ASSERT_EQ(n.applied.size(), 2u);
  EXPECT_EQ(Changes(n.applied[1]), (std::vector<std::string>{"put a=1", "del zz"}));
}

TEST_F(SessionApply, ReplayReplacesTheResetSectionsOnly) {
  Hold();
  // a unchanged, b changed, f new; e and c not carried: gone; d (section 3) not reset: kept.
  n.SendUpdate(0,
               {.channel = kChannel,
                .op = 10,
                .term = 2,
                .mask = Bit(1) | Bit(2),
                .replay = true,
                .reset = Bit(1) | Bit(2)},
               {Put("a", "1", 1), Put("b", "22", 1), Put("f", "6", 2)});
  ASSERT_EQ(n.applied.size(), 1u);
  EXPECT_TRUE(n.applied[0].replay);
  EXPECT_EQ(n.applied[0].op, 10u);
  EXPECT_EQ(Changes(n.applied[0]),
            (std::vector<std::string>{"put b=22", "put f=6", "del e", "del c"}));
  const IndexMap& index = n.session().index();
  EXPECT_EQ(index.size(), 4u);
  for (const char* key : {"a", "b", "d", "f"}) EXPECT_EQ(index.count(key), 1u) << key;
  SessionStatus s = n.session().status();
  EXPECT_EQ(s.replays, 1u);
  EXPECT_EQ(s.replayed_records, 3u);
  EXPECT_EQ(s.replayed_bytes, 7u);  // a1, b22, f6
  EXPECT_EQ(s.last_op, 10u);
}

TEST_F(SessionApply, ReplayOfUnchangedRecordsIsAnOpWithNoChange) {
  Hold();
  n.SendUpdate(0, {.channel = kChannel, .op = 2, .mask = Bit(3), .replay = true, .reset = Bit(3)},
               {Put("d", "4", 3)});
  ASSERT_EQ(n.applied.size(), 1u);
  EXPECT_TRUE(n.applied[0].changes.empty());
  EXPECT_EQ(n.session().status().last_op, 2u);
  EXPECT_EQ(n.session().index().size(), 5u);
}

TEST_F(SessionApply, KeyedReplayChangesOnlyTheKeysItCarries) {
  Hold();
  // No reset section: a per-key replay. A delete of a held key is a change, of a key not held
  // is none; d (section 3) is not carried and stays.
  n.SendUpdate(0, {.channel = kChannel, .op = 2, .mask = Bit(1) | Bit(3), .replay = true},
               {Del("a", 1), Del("zz", 1), Put("g", "7", 3)});
  ASSERT_EQ(n.applied.size(), 1u);
  EXPECT_EQ(Changes(n.applied[0]), (std::vector<std::string>{"del a", "put g=7"}));
  EXPECT_EQ(n.session().index().count("d"), 1u);
  EXPECT_EQ(n.session().index().size(), 5u);
}

TEST_F(SessionApply, RecordMovingSectionIsNoChangeButMovesInTheIndex) {
  Hold();
  n.SendUpdate(0, {.channel = kChannel, .op = 2, .replay = true, .reset = Bit(5)},
               {Put("d", "4", 5)});
  EXPECT_TRUE(n.applied.at(0).changes.empty());
  // Section 3 is now empty: resetting it deletes nothing.
  n.SendUpdate(0, {.channel = kChannel, .op = 3, .replay = true, .reset = Bit(3)}, {});
  EXPECT_TRUE(n.applied.at(1).changes.empty());
  EXPECT_EQ(n.session().index().at("d").first, 5);
}

TEST_F(SessionApply, FullReplayFromNothingReportsEveryRecord) {
  n.SendUpdate(
      0,
      {.channel = kChannel, .op = 3, .mask = ~uint64_t{0}, .replay = true, .reset = ~uint64_t{0}},
      {Put("a", "1", 0), Put("b", "2", 63)});
  ASSERT_EQ(n.applied.size(), 1u);
  EXPECT_EQ(Changes(n.applied[0]), (std::vector<std::string>{"put a=1", "put b=2"}));
}

TEST_F(SessionApply, FragmentsAreAppliedAsOneOpOnceTheLastArrives) {
  Hold();
  UpdateHeader h{.channel = kChannel,
                 .op = 2,
                 .term = 3,
                 .mask = Bit(1),
                 .replay = true,
                 .more = true,
                 .reset = Bit(1)};
  n.SendUpdate(0, h, {Put("a", "1", 1)});
  n.SendUpdate(0, h, {Put("b", "9", 1)});
  EXPECT_TRUE(n.applied.empty());
  h.more = false;
  n.SendUpdate(0, h, {Put("x", "8", 1)});
  ASSERT_EQ(n.applied.size(), 1u);
  // a, carried by the first fragment, is not deleted by the last one's reset.
  EXPECT_EQ(Changes(n.applied[0]), (std::vector<std::string>{"put b=9", "put x=8", "del e"}));
  SessionStatus s = n.session().status();
  EXPECT_EQ(s.updates, 4u);
  EXPECT_EQ(s.ops, 2u);
  EXPECT_EQ(s.replayed_records, 3u);
}

TEST_F(SessionApply, LiveOpInFragments) {
  n.SendUpdate(0, {.channel = kChannel, .op = 1, .more = true}, {Put("a", "1")});
  EXPECT_TRUE(n.applied.empty());
  n.SendUpdate(0, {.channel = kChannel, .op = 1}, {Del("a")});
  ASSERT_EQ(n.applied.size(), 1u);
  EXPECT_EQ(Changes(n.applied[0]), (std::vector<std::string>{"put a=1", "del a"}));
  EXPECT_EQ(n.session().index().size(), 0u);
}

TEST_F(SessionApply, PartialOpIsDroppedWithItsConnection) {
  n.SendUpdate(0, {.channel = kChannel, .op = 1}, {Put("a", "1")});
  n.SendUpdate(0, {.channel = kChannel, .op = 2, .more = true}, {Put("b", "2")});
  n.Refuse(0, "reset by peer");
  n.Accept(1);
  EXPECT_EQ(n.NextHello(1).last_op, 1u);
  n.SendWelcome(1, wire::WelcomeStatus::kOk, kChannel);
  n.SendUpdate(1, {.channel = kChannel, .op = 2}, {Put("c", "3")});
  ASSERT_EQ(n.applied.size(), 2u);
  EXPECT_EQ(Changes(n.applied[1]), (std::vector<std::string>{"put c=3"}));
  EXPECT_EQ(n.session().index().count("b"), 0u);
}

TEST(SessionApplyBounds, OpPastTheAssemblyBoundIsAProtocolError) {
  SessionConfig config = Config();
  config.assembly.max_records = 3;
  ScriptedNodes n(config);
  n.Start();
  n.Subscribe(0, kChannel);
  UpdateHeader h{.channel = kChannel, .op = 1, .replay = true, .more = true, .reset = 1};
  n.SendUpdate(0, h, {Put("a", "1"), Put("b", "2")});
  n.SendUpdate(0, h, {Put("c", "3"), Put("d", "4")});
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
  EXPECT_TRUE(n.applied.empty());
  EXPECT_EQ(n.dials, (std::vector<size_t>{0, 1}));
}

TEST(SessionApplyBounds, OpPastTheAssemblyByteBoundIsAProtocolError) {
  SessionConfig config = Config();
  config.assembly.max_bytes = 1000;
  ScriptedNodes n(config);
  n.Start();
  n.Subscribe(0, kChannel);
  UpdateHeader h{.channel = kChannel, .op = 1, .more = true};
  n.SendUpdate(0, h, {Put("a", std::string(500, 'x'))});
  EXPECT_TRUE(n.closes.empty());
  n.SendUpdate(0, h, {Put("b", std::string(500, 'y'))});
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
}

// The same inputs give the same outputs, byte for byte.
TEST(SessionApplyDeterminism, SameScriptSameEffects) {
  auto run = [] {
    ScriptedNodes n(Config());
    n.Start();
    n.Subscribe(0, kChannel, wire::AckMode::kDirect);
    n.Accept(1);
    for (uint64_t op = 1; op <= 20; ++op) {
      n.SendUpdate(0, {.channel = kChannel, .op = op, .mask = Bit(op % 64)},
                   {Put("k" + std::to_string(op % 7), std::to_string(op), op % 64)});
      n.Advance(3ms);
    }
    n.SendUpdate(0, {.channel = kChannel, .op = 30, .replay = true, .reset = ~uint64_t{0}},
                 {Put("k1", "x", 1)});
    n.Advance(2s);
    std::vector<std::string> out;
    for (const AppliedOp& op : n.applied) {
      for (const Change& c : op.changes) out.push_back(std::to_string(op.op) + Describe(c));
    }
    for (size_t i = 0; i < 2; ++i) {
      for (const Frame& f : n.inbox(i)) {
        out.push_back(std::to_string(i) + ":" + std::to_string(static_cast<int>(f.type)) + ":" +
                      std::string(f.payload.begin(), f.payload.end()));
      }
    }
    return out;
  };
  std::vector<std::string> first = run();
  EXPECT_GT(first.size(), 20u);
  EXPECT_EQ(first, run());
}

}  // namespace
}  // namespace hasync::consumer::testing
