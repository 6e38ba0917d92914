// The replay_bounded check's bound, on fabricated histories: what it allows, and that it
// refuses what it must.
#include "sim/replay_bound.h"

#include <gtest/gtest.h>

namespace hasync::sim {
namespace {

constexpr uint64_t kA = 100;  // terms
constexpr uint64_t kB = 200;

std::shared_ptr<const replay::KeyList> Keys(std::vector<std::string> keys) {
  return std::make_shared<const replay::KeyList>(
      replay::KeyList{wire::TableKeys{"t", std::move(keys)}});
}

// A history acknowledged to op 2 (term A), then ops 3..5 of term A, then the replay op 9.
struct Fixture {
  replay::ChannelHistory history{64, 4096};
  BoundInput in;

  Fixture() {
    history.Reset(2, kA, {});
    history.Append(3, kA, 0x1, Keys({"k3"}), 1);
    history.Append(4, kA, 0x2, Keys({"k4"}), 1);
    history.Append(5, kA, 0x4, Keys({"k5"}), 1);
    history.Append(9, kB, ~uint64_t{0}, nullptr, 0);
    in.history = &history;
    in.replay_op = 9;
    in.replay_term = kB;
    in.table = "t";
    in.applied = {{1, kA, 0x10, false}, {2, kA, 0x20, false}, {3, kA, 0x1, false}};
  }
};

TEST(BoundReplay, AllowsTheSectionsAndKeysOfTheMissingOps) {
  Fixture f;
  const ReplayBound b = BoundReplay(f.in);
  EXPECT_EQ(b.sections, 0x6u);
  EXPECT_EQ(b.keys, (std::set<std::string>{"k4", "k5"}));
  EXPECT_EQ(b.missing_ops, 2u);
  EXPECT_EQ(b.full, FullWhy::kNo);
}

TEST(BoundReplay, OpsOnTheirWayAreNotMissing) {
  Fixture f;
  f.in.on_way = {{4, kA, 0x2, false}};
  EXPECT_EQ(BoundReplay(f.in).sections, 0x4u);
}

TEST(BoundReplay, TheConsumersOwnUnknownOpsAreMissing) {
  Fixture f;
  f.in.applied.push_back({4, kB, 0x100, false});  // another active's op 4
  const ReplayBound b = BoundReplay(f.in);
  EXPECT_EQ(b.sections, 0x106u);
  EXPECT_EQ(b.missing_ops, 3u);
}

TEST(BoundReplay, AReplayOfTheSameTermCoversWhatIsBelowIt) {
  Fixture f;
  f.history.Append(10, kB, 0x8, Keys({"k10"}), 1);
  f.in.replay_op = 11;
  f.in.applied.push_back({9, kB, ~uint64_t{0}, true});
  const ReplayBound b = BoundReplay(f.in);
  EXPECT_EQ(b.sections, 0x8u);
  EXPECT_EQ(b.keys, (std::set<std::string>{"k10"}));
}

TEST(BoundReplay, AMergedRangeKeepsTheKeysItsOpsNamed) {
  replay::ChannelHistory history(64, 4096);
  history.Reset(2, kA, {{3, 5, kA, 0x7}});  // a range: no keys
  OpKeys seen = {{{4, kA}, Keys({"k4"})}, {{5, kB}, Keys({"other"})}, {{6, kA}, Keys({"k6"})}};
  BoundInput in;
  in.history = &history;
  in.replay_op = 9;
  in.table = "t";
  in.applied = {{2, kA, 0x20, false}};
  in.keys = &seen;
  const ReplayBound b = BoundReplay(in);
  EXPECT_EQ(b.sections, 0x7u);
  EXPECT_EQ(b.keys, (std::set<std::string>{"k4"}));
}

TEST(BoundReplay, KeysOutsideThePrefixAreNotAllowed) {
  Fixture f;
  f.in.prefix = "k4";
  EXPECT_EQ(BoundReplay(f.in).keys, (std::set<std::string>{"k4"}));
}

TEST(BoundReplay, FullOnlyWhereTheDesignAllowsIt) {
  {
    Fixture f;
    f.in.applied.clear();
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kHoldsNothing);
  }
  {
    Fixture f;
    f.in.flagged = true;
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kFlagged);
  }
  {
    Fixture f;
    for (OpRef& x : f.in.applied) x.term = kB;
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kNoFork);
  }
  {
    Fixture f;
    f.in.applied = {{1, kA, 0, false}, {3, kA, 0, false}, {6, kB, 0, false}, {7, kB, 0, false}};
    f.in.ring_size = 2;  // the ring holds ops 6 and 7 only, which the node does not know
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kNoFork);
    f.in.ring_size = 3;  // op 3 is the fork
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kNo);
  }
  {
    Fixture f;
    f.in.policy.full_after_ops = 1;
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kThresholds);
    f.in.policy.full_after_ops = 2;
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kNo);
    f.in.policy.full_after_sections = 2;
    EXPECT_EQ(BoundReplay(f.in).full, FullWhy::kThresholds);
  }
}

}  // namespace
}  // namespace hasync::sim
