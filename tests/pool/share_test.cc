// ShareMap (src/pool/share.h): both nodes must derive complementary shares from the same pool
// and ids, and each share's progression must list exactly the ordinals Owns() says it owns.
#include "pool/share.h"

#include <gtest/gtest.h>

#include <vector>

namespace hasync::pool {
namespace {

constexpr NodeId kLower = 1;
constexpr NodeId kHigher = 2;

std::vector<uint64_t> Ordinals(const Share& share) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < share.count; ++i) out.push_back(share.OrdinalAt(i));
  return out;
}

TEST(ShareMap, OddEvenGivesTheLowerIdTheEvenOrdinals) {
  ShareMap lower(ShareRule::kOddEven, 8, kLower, kHigher);
  ShareMap higher(ShareRule::kOddEven, 8, kHigher, kLower);
  EXPECT_EQ(Ordinals(lower.own()), (std::vector<uint64_t>{0, 2, 4, 6}));
  EXPECT_EQ(Ordinals(lower.peer()), (std::vector<uint64_t>{1, 3, 5, 7}));
  EXPECT_EQ(Ordinals(higher.own()), (std::vector<uint64_t>{1, 3, 5, 7}));
  EXPECT_EQ(Ordinals(higher.peer()), (std::vector<uint64_t>{0, 2, 4, 6}));
  EXPECT_TRUE(lower.Owns(0));
  EXPECT_FALSE(lower.Owns(7));
  EXPECT_TRUE(higher.Owns(7));
}

TEST(ShareMap, OddEvenWithAnOddSizeGivesTheLowerIdOneMore) {
  ShareMap lower(ShareRule::kOddEven, 7, kLower, kHigher);
  EXPECT_EQ(Ordinals(lower.own()), (std::vector<uint64_t>{0, 2, 4, 6}));
  EXPECT_EQ(Ordinals(lower.peer()), (std::vector<uint64_t>{1, 3, 5}));
  ShareMap one(ShareRule::kOddEven, 1, kHigher, kLower);
  EXPECT_EQ(one.own().count, 0u);
  EXPECT_EQ(Ordinals(one.peer()), (std::vector<uint64_t>{0}));
}

TEST(ShareMap, HalvesGiveTheLowerIdTheFirstAndLargerHalf) {
  ShareMap lower(ShareRule::kHalves, 7, kLower, kHigher);
  ShareMap higher(ShareRule::kHalves, 7, kHigher, kLower);
  EXPECT_EQ(Ordinals(lower.own()), (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(Ordinals(higher.own()), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(Ordinals(higher.peer()), (std::vector<uint64_t>{0, 1, 2, 3}));
  ShareMap even(ShareRule::kHalves, 8, kHigher, kLower);
  EXPECT_EQ(Ordinals(even.own()), (std::vector<uint64_t>{4, 5, 6, 7}));
  EXPECT_FALSE(even.Owns(3));
  EXPECT_TRUE(even.Owns(4));
}

TEST(ShareMap, WhichIdIsLowerNotWhichIsSelfDecides) {
  ShareMap a(ShareRule::kOddEven, 10, 7, 3);  // self is the higher id
  EXPECT_EQ(a.own().first, 1u);
  ShareMap b(ShareRule::kHalves, 10, 3, 7);
  EXPECT_EQ(b.own().first, 0u);
}

TEST(ShareMap, WithoutAPeerTheNodeOwnsEverything) {
  for (ShareRule rule : {ShareRule::kOddEven, ShareRule::kHalves}) {
    ShareMap alone(rule, 5, kHigher, 0);
    EXPECT_EQ(Ordinals(alone.own()), (std::vector<uint64_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(alone.peer().count, 0u);
    for (uint64_t o = 0; o < 5; ++o) EXPECT_TRUE(alone.Owns(o));
  }
}

// For every small size and both rules: the own and peer progressions of each node list every
// ordinal exactly once between them, each in the share Owns() puts it in, and the two nodes'
// maps are complementary.
TEST(ShareMap, SharesPartitionEveryOrdinalExactlyOnce) {
  for (ShareRule rule : {ShareRule::kOddEven, ShareRule::kHalves}) {
    for (uint64_t size = 0; size <= 33; ++size) {
      SCOPED_TRACE(::testing::Message() << ShareRuleName(rule) << " size " << size);
      ShareMap lower(rule, size, kLower, kHigher);
      ShareMap higher(rule, size, kHigher, kLower);
      for (const ShareMap* map : {&lower, &higher}) {
        std::vector<int> seen(size, 0);
        for (uint64_t o : Ordinals(map->own())) {
          ASSERT_LT(o, size);
          EXPECT_TRUE(map->Owns(o)) << o;
          ++seen[o];
        }
        for (uint64_t o : Ordinals(map->peer())) {
          ASSERT_LT(o, size);
          EXPECT_FALSE(map->Owns(o)) << o;
          ++seen[o];
        }
        for (uint64_t o = 0; o < size; ++o) EXPECT_EQ(seen[o], 1) << o;
      }
      for (uint64_t o = 0; o < size; ++o) EXPECT_NE(lower.Owns(o), higher.Owns(o)) << o;
      EXPECT_EQ(lower.own().count, (size + 1) / 2);
      EXPECT_EQ(higher.own().count, size / 2);
    }
  }
}

}  // namespace
}  // namespace hasync::pool
