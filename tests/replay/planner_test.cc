// PlanResume and PlanCatchUp: the fork point (common case, consumer ahead, split-brain, none),
// and the policy (keys, then sections, then full).
#include "replay/planner.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace hasync::replay {
namespace {

constexpr uint64_t kA = 100;  // terms of three actives
constexpr uint64_t kB = 200;
constexpr uint64_t kC = 300;

// Key "x..." is in section x - 'a', so tests name the sections they touch.
uint8_t SectionOfFirstLetter(std::string_view key) { return static_cast<uint8_t>(key[0] - 'a'); }
const SectionFunction kSectionOf = SectionOfFirstLetter;

SectionMask Bits(std::string_view letters) {
  SectionMask m = 0;
  for (char c : letters) m |= SectionBit(static_cast<uint8_t>(c - 'a'));
  return m;
}

// One op whose keys are `keys` in table "t" (plus one of another table); mask from the keys.
void Op(ChannelHistory& h, uint64_t op, uint64_t term, std::vector<std::string> keys) {
  SectionMask mask = 0;
  for (const std::string& k : keys) mask |= SectionBit(SectionOfFirstLetter(k));
  const size_t n = keys.size();
  auto list = std::make_shared<const KeyList>(
      KeyList{wire::TableKeys{"other", {"zzz"}}, wire::TableKeys{"t", std::move(keys)}});
  h.Append(op, term, mask, std::move(list), n);
}

ResumePoint Resume(uint64_t last_op, uint64_t last_term, std::vector<wire::ResumeEntry> ring) {
  return ResumePoint{last_op, last_term, std::move(ring)};
}

ReplayPlan Plan(const ChannelHistory& h, const ResumePoint& r, ReplayPolicy policy = {}) {
  return PlanResume(h, "t", r, policy, kSectionOf);
}

TEST(PlanResume, ConsumerInSyncNeedsNothing) {
  ChannelHistory h(100, 100);
  h.Ack(3, kA);
  Op(h, 4, kA, {"a1"});
  ReplayPlan p = Plan(h, Resume(4, kA, {{3, kA, 1}, {4, kA, 1}}));
  EXPECT_EQ(p.kind, ReplayKind::kNone);
  EXPECT_EQ(p.fork_op, 4u);
  EXPECT_EQ(p.fork_term, kA);
  EXPECT_EQ(p.missing_ops, 0u);
  EXPECT_TRUE(p.keys.empty());
}

TEST(PlanResume, CommonCaseForksAtLastOpAndResendsTheNewerKeys) {
  ChannelHistory h(100, 100);
  h.Ack(3, kA);
  Op(h, 4, kA, {"a1", "b1"});
  Op(h, 5, kA, {"b1", "c1"});
  ReplayPlan p = Plan(h, Resume(3, kA, {{2, kA, 0}, {3, kA, 0}}));
  EXPECT_EQ(p.kind, ReplayKind::kKeys);
  EXPECT_EQ(p.fork_op, 3u);
  EXPECT_EQ(p.missing_ops, 2u);
  EXPECT_EQ(p.sections, 0u);
  EXPECT_EQ(p.keys, (std::vector<std::string>{"a1", "b1", "c1"}));  // only table t, once each
  EXPECT_EQ(p.mask, Bits("abc"));
}

TEST(PlanResume, ForkInsidePendingQueueAfterAnUnackedOp) {
  ChannelHistory h(100, 100);
  Op(h, 1, kA, {"a1"});
  Op(h, 2, kA, {"b1"});
  Op(h, 3, kA, {"c1"});
  ReplayPlan p = Plan(h, Resume(2, kA, {{1, kA, 1}, {2, kA, 2}}));
  EXPECT_EQ(p.kind, ReplayKind::kKeys);
  EXPECT_EQ(p.fork_op, 2u);
  EXPECT_EQ(p.keys, std::vector<std::string>{"c1"});
  EXPECT_EQ(p.mask, Bits("c"));
}

TEST(PlanResume, ConsumerAheadOfTheHistoryResendsTheSectionsOfItsOwnOps) {
  // The old active sent ops 8 and 9 that never reached this node.
  ChannelHistory h(100, 100);
  h.Ack(5, kA);
  Op(h, 6, kA, {"a1"});
  Op(h, 7, kA, {"b1"});
  ReplayPlan p = Plan(
      h, Resume(9, kA,
                {{6, kA, Bits("a")}, {7, kA, Bits("b")}, {8, kA, Bits("d")}, {9, kA, Bits("e")}}));
  EXPECT_EQ(p.kind, ReplayKind::kSections);
  EXPECT_EQ(p.fork_op, 7u);
  EXPECT_EQ(p.fork_term, kA);
  EXPECT_EQ(p.missing_ops, 2u);
  EXPECT_EQ(p.sections, Bits("de"));
  EXPECT_TRUE(p.keys.empty());
  EXPECT_EQ(p.mask, Bits("de"));
}

TEST(PlanResume, ConsumerAheadAndBehindAtOnce) {
  // This node took over (term B) and made op 8 of its own; the consumer got 8 and 9 from A.
  ChannelHistory h(100, 100);
  h.Ack(7, kA);
  Op(h, 8, kB, {"c1"});
  ReplayPlan p = Plan(h, Resume(9, kA, {{7, kA, Bits("a")}, {8, kA, Bits("d")}, {9, kA, 0}}));
  EXPECT_EQ(p.fork_op, 7u);
  EXPECT_EQ(p.kind, ReplayKind::kSections);
  EXPECT_EQ(p.missing_ops, 3u);
  EXPECT_EQ(p.sections, Bits("d"));
  EXPECT_EQ(p.keys, std::vector<std::string>{"c1"});
  EXPECT_EQ(p.mask, Bits("cd"));
}

TEST(PlanResume, SplitBrainForksWhereTheTermsDiverge) {
  // Ops 1-6 of term A; then this history's active (B) made 7 and 8 while the consumer followed
  // another active (C) that numbered its own 7 and 8.
  ChannelHistory h(100, 100);
  h.Ack(5, kA);
  Op(h, 6, kA, {"a1"});
  Op(h, 7, kB, {"b1"});
  Op(h, 8, kB, {"c1"});
  ReplayPlan p = Plan(
      h, Resume(8, kC,
                {{5, kA, Bits("a")}, {6, kA, Bits("a")}, {7, kC, Bits("f")}, {8, kC, Bits("g")}}));
  EXPECT_EQ(p.fork_op, 6u);
  EXPECT_EQ(p.fork_term, kA);
  EXPECT_EQ(p.kind, ReplayKind::kSections);
  EXPECT_EQ(p.missing_ops, 4u);
  EXPECT_EQ(p.sections, Bits("fg"));
  EXPECT_EQ(p.keys, (std::vector<std::string>{"b1", "c1"}));
  EXPECT_EQ(p.mask, Bits("bcfg"));
}

TEST(PlanResume, NoCommonOpIsFull) {
  ChannelHistory h(100, 100);
  h.Ack(10, kB);
  Op(h, 11, kB, {"a1"});
  ReplayPlan p = Plan(h, Resume(12, kC, {{11, kC, 1}, {12, kC, 1}}));
  EXPECT_EQ(p.kind, ReplayKind::kFull);
  EXPECT_EQ(p.fork_op, 0u);
  EXPECT_EQ(p.sections, kAllSections);
  EXPECT_EQ(p.mask, kAllSections);
  EXPECT_TRUE(p.keys.empty());
}

TEST(PlanResume, ConsumerHoldingNothingIsFull) {
  ChannelHistory h(100, 100);
  EXPECT_EQ(Plan(h, Resume(0, 0, {})).kind, ReplayKind::kFull);
  Op(h, 1, kA, {"a1"});
  EXPECT_EQ(Plan(h, Resume(0, 0, {})).kind, ReplayKind::kFull);
}

TEST(PlanResume, EmptyHistoryKnowsNoOpIsFull) {
  ChannelHistory h(100, 100);  // a channel this node just made for a returning consumer
  EXPECT_EQ(Plan(h, Resume(5, kA, {{5, kA, 1}})).kind, ReplayKind::kFull);
}

TEST(PlanResume, RingNotReachingTheForkWhileAheadIsFull) {
  // The consumer's ring skips from op 4 to its last op 20: ops in between are unknown here.
  ChannelHistory h(100, 100);
  h.Ack(3, kA);
  Op(h, 4, kA, {"a1"});
  Op(h, 5, kA, {"b1"});
  ReplayPlan p = Plan(h, Resume(20, kB, {{4, kA, 1}}));
  EXPECT_EQ(p.kind, ReplayKind::kFull);
  EXPECT_EQ(p.fork_op, 4u);
}

TEST(PlanResume, RangeAcrossTheForkIsResentBySections) {
  ChannelHistory h(100, 100);
  h.Reset(0, 0, {{1, 6, kA, Bits("ab")}});
  ReplayPlan p = Plan(h, Resume(3, kA, {{3, kA, 0}}));
  EXPECT_EQ(p.fork_op, 3u);
  EXPECT_EQ(p.kind, ReplayKind::kSections);
  EXPECT_EQ(p.missing_ops, 3u);
  EXPECT_EQ(p.sections, Bits("ab"));
}

TEST(ReplayPolicy, NewestByKeysWithinKeysMaxThenSections) {
  ChannelHistory h(100, 100);
  h.Ack(1, kA);
  Op(h, 2, kA, {"a1", "a2"});
  Op(h, 3, kA, {"b1", "b2"});
  Op(h, 4, kA, {"c1", "c2"});
  ReplayPolicy policy;
  policy.keys_max = 4;
  ReplayPlan p = Plan(h, Resume(1, kA, {{1, kA, 0}}), policy);
  EXPECT_EQ(p.kind, ReplayKind::kSections);
  EXPECT_EQ(p.sections, Bits("a"));
  EXPECT_EQ(p.keys, (std::vector<std::string>{"b1", "b2", "c1", "c2"}));
  EXPECT_EQ(p.mask, Bits("abc"));
  EXPECT_EQ(p.missing_ops, 3u);
}

TEST(ReplayPolicy, AnEntryWithoutKeysSendsItAndEveryOlderOneBySections) {
  ChannelHistory h(100, 100);
  Op(h, 1, kA, {"a1"});
  h.Append(2, kA, Bits("b"), nullptr, 0);  // a turn that changed too many keys
  Op(h, 3, kA, {"c1"});
  ReplayPlan p = Plan(h, Resume(0, 0, {}));
  EXPECT_EQ(p.kind, ReplayKind::kFull);  // holds nothing
  h.Ack(1, kA);
  Op(h, 4, kA, {"d1"});
  // Fork at 1: 4 and 3 by keys, 2 by sections.
  p = Plan(h, Resume(1, kA, {{1, kA, 0}}));
  EXPECT_EQ(p.kind, ReplayKind::kSections);
  EXPECT_EQ(p.sections, Bits("b"));
  EXPECT_EQ(p.keys, (std::vector<std::string>{"c1", "d1"}));
}

TEST(ReplayPolicy, KeysInAResentSectionAreNotSentTwice) {
  ChannelHistory h(100, 100);
  h.Ack(1, kA);
  h.Append(2, kA, Bits("a"), nullptr, 0);
  Op(h, 3, kA, {"a7", "b7"});
  ReplayPlan p = Plan(h, Resume(1, kA, {{1, kA, 0}}));
  EXPECT_EQ(p.sections, Bits("a"));
  EXPECT_EQ(p.keys, std::vector<std::string>{"b7"});
  EXPECT_EQ(p.mask, Bits("ab"));
}

TEST(ReplayPolicy, TooManyMissingOpsIsFull) {
  ChannelHistory h(100, 100);
  h.Ack(1, kA);
  for (uint64_t op = 2; op <= 5; ++op) Op(h, op, kA, {"a1"});
  ReplayPolicy policy;
  policy.full_after_ops = 4;
  EXPECT_EQ(Plan(h, Resume(1, kA, {{1, kA, 0}}), policy).kind, ReplayKind::kKeys);
  Op(h, 6, kA, {"a1"});
  ReplayPlan p = Plan(h, Resume(1, kA, {{1, kA, 0}}), policy);
  EXPECT_EQ(p.kind, ReplayKind::kFull);
  EXPECT_EQ(p.fork_op, 1u);  // the consumer's point is still known
  EXPECT_EQ(p.missing_ops, 5u);
}

TEST(ReplayPolicy, TooManySectionsIsFull) {
  ChannelHistory h(100, 100);
  h.Ack(1, kA);
  h.Append(2, kA, Bits("abc"), nullptr, 0);
  ReplayPolicy policy;
  policy.full_after_sections = 4;
  EXPECT_EQ(Plan(h, Resume(1, kA, {{1, kA, 0}}), policy).kind, ReplayKind::kSections);
  h.Append(3, kA, Bits("d"), nullptr, 0);
  EXPECT_EQ(Plan(h, Resume(1, kA, {{1, kA, 0}}), policy).kind, ReplayKind::kFull);
}

TEST(PlanCatchUp, ResendsTheEntriesAboveTheLastSentOp) {
  ChannelHistory h(100, 100);
  h.Ack(2, kA);
  Op(h, 3, kA, {"a1"});
  Op(h, 4, kA, {"b1"});
  Op(h, 5, kA, {"c1"});
  ReplayPlan p = PlanCatchUp(h, "t", 3, ReplayPolicy{}, kSectionOf);
  EXPECT_EQ(p.kind, ReplayKind::kKeys);
  EXPECT_EQ(p.fork_op, 2u);  // only what was acknowledged counts as delivered
  EXPECT_EQ(p.fork_term, kA);
  EXPECT_EQ(p.missing_ops, 2u);
  EXPECT_EQ(p.keys, (std::vector<std::string>{"b1", "c1"}));
  EXPECT_EQ(PlanCatchUp(h, "t", 5, ReplayPolicy{}, kSectionOf).kind, ReplayKind::kNone);
}

}  // namespace
}  // namespace hasync::replay
