// ChannelHistory: appends and acks, ranges cut by an ack, the two bounds, snapshots, TermOf.
#include "replay/history.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace hasync::replay {
namespace {

std::shared_ptr<const KeyList> Keys(std::vector<std::string> keys) {
  return std::make_shared<const KeyList>(KeyList{wire::TableKeys{"t", std::move(keys)}});
}

std::vector<uint64_t> FirstOps(const ChannelHistory& h) {
  std::vector<uint64_t> out;
  for (const PendingEntry& e : h.pending()) out.push_back(e.first_op);
  return out;
}

TEST(ChannelHistory, AppendsInOrderAndAckPopsTheFront) {
  ChannelHistory h(100, 100);
  EXPECT_TRUE(h.Append(1, 7, 0b1, Keys({"a"}), 1));
  EXPECT_TRUE(h.Append(2, 7, 0b10, Keys({"b"}), 1));
  EXPECT_TRUE(h.Append(5, 7, 0b100, nullptr, 0));
  EXPECT_EQ(h.last_op(), 5u);
  EXPECT_EQ(h.pending_ops(), 3u);
  EXPECT_EQ(h.keys_held(), 2u);
  h.Ack(2, 7);
  EXPECT_EQ(h.acked_op(), 2u);
  EXPECT_EQ(h.acked_term(), 7u);
  EXPECT_EQ(FirstOps(h), std::vector<uint64_t>{5});
  EXPECT_EQ(h.keys_held(), 0u);
}

TEST(ChannelHistory, AppendRefusesAnOpNotAboveTheLast) {
  ChannelHistory h(100, 100);
  ASSERT_TRUE(h.Append(3, 7, 1, nullptr, 0));
  EXPECT_FALSE(h.Append(3, 7, 1, nullptr, 0));
  EXPECT_FALSE(h.Append(2, 7, 1, nullptr, 0));
  h.Ack(10, 7);  // a direct ack ahead of the ops it covers
  EXPECT_TRUE(h.pending().empty());
  EXPECT_EQ(h.last_op(), 10u);
  EXPECT_FALSE(h.Append(9, 7, 1, nullptr, 0));
  EXPECT_TRUE(h.Append(11, 7, 1, nullptr, 0));
}

TEST(ChannelHistory, StaleAckChangesNothing) {
  ChannelHistory h(100, 100);
  h.Append(1, 7, 1, nullptr, 0);
  h.Append(2, 7, 1, nullptr, 0);
  h.Ack(2, 7);
  h.Ack(1, 7);
  EXPECT_EQ(h.acked_op(), 2u);
  EXPECT_EQ(h.acked_term(), 7u);
}

TEST(ChannelHistory, AckInsideARangeCutsIt) {
  ChannelHistory h(100, 100);
  h.Reset(0, 0, {{1, 10, 7, 0b11}});
  h.Ack(4, 7);
  ASSERT_EQ(h.pending().size(), 1u);
  EXPECT_EQ(h.pending()[0].first_op, 5u);
  EXPECT_EQ(h.pending()[0].last_op, 10u);
  EXPECT_EQ(h.pending_ops(), 6u);
}

TEST(ChannelHistory, PendingOpsBoundMergesTheOldestIntoARange) {
  ChannelHistory h(3, 100);
  for (uint64_t op = 1; op <= 5; ++op) h.Append(op, 7, SectionMask{1} << op, Keys({"k"}), 1);
  ASSERT_EQ(h.pending().size(), 3u);
  const PendingEntry& range = h.pending()[0];
  EXPECT_EQ(range.first_op, 1u);
  EXPECT_EQ(range.last_op, 3u);
  EXPECT_EQ(range.term, 7u);
  EXPECT_EQ(range.mask, 0b1110u);
  EXPECT_EQ(range.keys, nullptr);
  EXPECT_EQ(h.keys_held(), 2u);  // the two newest keep theirs
  EXPECT_EQ(h.pending_ops(), 5u);
  EXPECT_EQ(h.TermOf(2), 7u);
}

TEST(ChannelHistory, RangeOfTwoTermsHasNoTerm) {
  ChannelHistory h(2, 100);
  h.Append(1, 7, 1, nullptr, 0);
  h.Append(2, 8, 1, nullptr, 0);
  h.Append(3, 8, 1, nullptr, 0);
  ASSERT_EQ(h.pending().size(), 2u);
  EXPECT_EQ(h.pending()[0].term, 0u);
  EXPECT_FALSE(h.TermOf(1).has_value());
  EXPECT_FALSE(h.TermOf(2).has_value());
  EXPECT_EQ(h.TermOf(3), 8u);
}

TEST(ChannelHistory, KeysBoundDropsTheOldestKeysFirst) {
  ChannelHistory h(100, 4);
  h.Append(1, 7, 1, Keys({"a", "b"}), 2);
  h.Append(2, 7, 1, Keys({"c", "d"}), 2);
  h.Append(3, 7, 1, nullptr, 0);
  h.Append(4, 7, 1, Keys({"e"}), 1);
  EXPECT_EQ(h.keys_held(), 3u);
  EXPECT_EQ(h.pending()[0].keys, nullptr);
  EXPECT_NE(h.pending()[1].keys, nullptr);
  EXPECT_NE(h.pending()[3].keys, nullptr);
  h.Append(5, 7, 1, Keys({"f", "g", "h", "i"}), 4);
  EXPECT_EQ(h.keys_held(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(h.pending()[i].keys, nullptr) << i;
  EXPECT_NE(h.pending()[4].keys, nullptr);
}

TEST(ChannelHistory, KeysBoundStaysRightAfterAcksAndMerges) {
  ChannelHistory h(3, 2);
  for (uint64_t op = 1; op <= 20; ++op) {
    h.Append(op, 7, 1, Keys({"k"}), 1);
    if (op % 3 == 0) h.Ack(op - 1, 7);
    size_t held = 0;
    for (const PendingEntry& e : h.pending()) held += e.key_count;
    ASSERT_EQ(held, h.keys_held()) << op;
    ASSERT_LE(h.keys_held(), 2u) << op;
    ASSERT_LE(h.pending().size(), 3u) << op;
    ASSERT_NE(h.pending().back().keys, nullptr) << op;  // the newest keeps its keys
  }
}

TEST(ChannelHistory, TermOfKnowsTheAckedPointAndPendingOps) {
  ChannelHistory h(100, 100);
  h.Reset(4, 6, {{5, 5, 6, 1}, {8, 9, 7, 1}});
  EXPECT_EQ(h.TermOf(4), 6u);
  EXPECT_EQ(h.TermOf(5), 6u);
  EXPECT_FALSE(h.TermOf(6).has_value());  // a gap
  EXPECT_EQ(h.TermOf(8), 7u);
  EXPECT_EQ(h.TermOf(9), 7u);
  EXPECT_FALSE(h.TermOf(10).has_value());
  EXPECT_FALSE(h.TermOf(3).has_value());  // below the acked point: forgotten
  EXPECT_FALSE(h.TermOf(0).has_value());
}

TEST(ChannelHistory, ResetKeepsTheKeysOfIdenticalEntries) {
  ChannelHistory h(100, 100);
  h.Append(1, 7, 1, Keys({"a"}), 1);
  h.Append(2, 7, 2, Keys({"b"}), 1);
  h.Append(3, 7, 4, Keys({"c"}), 1);
  // The snapshot acks op 1, changes op 2's mask and keeps op 3.
  h.Reset(1, 7, {{2, 2, 7, 3}, {3, 3, 7, 4}});
  ASSERT_EQ(h.pending().size(), 2u);
  EXPECT_EQ(h.pending()[0].keys, nullptr);
  ASSERT_NE(h.pending()[1].keys, nullptr);
  EXPECT_EQ((*h.pending()[1].keys)[0].keys[0], "c");
  EXPECT_EQ(h.keys_held(), 1u);
}

TEST(ChannelHistory, RangesRoundTripThroughReset) {
  ChannelHistory h(100, 100);
  h.Append(3, 7, 1, nullptr, 0);
  h.Append(4, 8, 6, Keys({"x"}), 1);
  ChannelHistory copy(100, 100);
  copy.Reset(h.acked_op(), h.acked_term(), h.Ranges());
  ASSERT_EQ(copy.Ranges().size(), 2u);
  EXPECT_EQ(copy.Ranges()[1].term, 8u);
  EXPECT_EQ(copy.Ranges()[1].mask, 6u);
  EXPECT_EQ(copy.last_op(), 4u);
}

}  // namespace
}  // namespace hasync::replay
