#include "store/key_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hasync::store {
namespace {

class KeyIndexTest : public testing::Test {
 protected:
  ~KeyIndexTest() override {
    for (Record* r : records_) FreeRecord(r);
  }
  Record* Make(const std::string& key) { return records_.emplace_back(NewRecord(key, "")); }

  std::vector<Record*> records_;
};

TEST_F(KeyIndexTest, EmptyIndexHoldsNoSlots) {
  KeyIndex index;
  EXPECT_EQ(index.capacity(), 0u);
  EXPECT_EQ(index.Find("k"), nullptr);
}

TEST_F(KeyIndexTest, GrowsByDoublingPastSevenEighths) {
  KeyIndex index;
  for (int i = 0; i < 7; ++i) index.Insert(Make(std::to_string(i)));
  EXPECT_EQ(index.capacity(), 8u);
  index.Insert(Make("8th"));
  EXPECT_EQ(index.capacity(), 16u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(index.Find(std::to_string(i)), records_[i]);
}

TEST_F(KeyIndexTest, ShrinksBelowOneEighthButKeepsEightSlots) {
  KeyIndex index;
  for (int i = 0; i < 1000; ++i) index.Insert(Make(std::to_string(i)));
  EXPECT_EQ(index.capacity(), 2048u);
  for (int i = 0; i < 1000; ++i) index.Erase(records_[i]);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.capacity(), 8u);
  index.Clear();
  EXPECT_EQ(index.capacity(), 0u);
}

TEST_F(KeyIndexTest, FindSlotLetsCallerSwapBlock) {
  KeyIndex index;
  index.Insert(Make("k"));
  Record** slot = index.FindSlot("k");
  ASSERT_NE(slot, nullptr);
  Record* fresh = Make("k");
  *slot = fresh;
  EXPECT_EQ(index.Find("k"), fresh);
  EXPECT_EQ(index.FindSlot("missing"), nullptr);
}

TEST_F(KeyIndexTest, DeletesKeepEveryOtherKeyReachable) {
  // Backward-shift deletion in the middle of long runs, at a high load.
  KeyIndex index;
  constexpr int kKeys = 7000;  // 7000 / 8192 = 0.85 full
  for (int i = 0; i < kKeys; ++i) index.Insert(Make("key" + std::to_string(i)));
  ASSERT_EQ(index.capacity(), 8192u);
  for (int i = 0; i < kKeys; i += 3) index.Erase(records_[i]);
  for (int i = 0; i < kKeys; ++i) {
    Record* want = i % 3 == 0 ? nullptr : records_[i];
    ASSERT_EQ(index.Find("key" + std::to_string(i)), want) << i;
  }
}

TEST_F(KeyIndexTest, RunTooLongRebuildsAndKeepsEveryKey) {
  // With runs capped at 3 slots, inserts keep hitting the cap: the index must rebuild under new
  // seeds (and grow) without losing or duplicating a record.
  KeyIndex index(3);
  constexpr int kKeys = 3000;
  for (int i = 0; i < kKeys; ++i) index.Insert(Make("key" + std::to_string(i)));
  EXPECT_EQ(index.size(), size_t{kKeys});
  EXPECT_GT(index.capacity(), 4096u);  // load alone would stop at 4096 slots
  for (int i = 0; i < kKeys; i += 2) index.Erase(records_[i]);
  for (int i = 0; i < kKeys; ++i) {
    Record* want = i % 2 == 0 ? nullptr : records_[i];
    ASSERT_EQ(index.Find("key" + std::to_string(i)), want) << i;
  }
  EXPECT_EQ(index.size(), size_t{kKeys / 2});
}

}  // namespace
}  // namespace hasync::store
