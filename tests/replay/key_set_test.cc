// KeySet: each key once, in first-insertion order, hashes kept, emptied by Take at any size.
#include "replay/key_set.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <string>
#include <vector>

namespace hasync::replay {
namespace {

TEST(KeySet, KeepsEachKeyOnceInFirstInsertionOrder) {
  KeySet s;
  EXPECT_TRUE(s.Insert("b"));
  EXPECT_TRUE(s.Insert("a"));
  EXPECT_FALSE(s.Insert("b"));
  EXPECT_TRUE(s.Insert("c"));
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.key(1), "a");
  EXPECT_EQ(s.hash(1), XXH3_64bits("a", 1));
  EXPECT_EQ(s.Take(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_TRUE(s.empty());
}

TEST(KeySet, TakeEmptiesTheSetForTheNextTurn) {
  KeySet s;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(s.Insert("key" + std::to_string(i))) << i;
    for (int i = 0; i < 1000; i += 7) ASSERT_FALSE(s.Insert("key" + std::to_string(i))) << i;
    std::vector<std::string> keys = s.Take();
    ASSERT_EQ(keys.size(), 1000u);
    EXPECT_EQ(keys[999], "key999");
  }
  EXPECT_TRUE(s.Insert("key5"));  // nothing left behind
  EXPECT_EQ(s.size(), 1u);
}

TEST(KeySet, ClearOfAFewKeysAfterALargeTurn) {
  KeySet s;
  for (int i = 0; i < 5000; ++i) s.Insert(std::to_string(i));
  s.Clear();
  EXPECT_TRUE(s.Insert("7"));
  EXPECT_FALSE(s.Insert("7"));
  s.Clear();
  EXPECT_TRUE(s.Insert("7"));
}

}  // namespace
}  // namespace hasync::replay
