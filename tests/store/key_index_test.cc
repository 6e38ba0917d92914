#include "store/key_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace hasync::store {
namespace {

class KeyIndexTest : public testing::Test {
 protected:
  ~KeyIndexTest() override {
    for (Record* r : records_) FreeRecord(r);
  }
  Record* Make(const std::string& key) { return records_.emplace_back(NewRecord(key, "")); }

  // Inserts "key0", "key1", ... up to (excluding) "key<end>", from "key<begin>".
  void InsertKeys(KeyIndex& index, int begin, int end) {
    for (int i = begin; i < end; ++i) index.Insert(Make(Key(i)));
  }
  static std::string Key(int i) { return "key" + std::to_string(i); }

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

// --- Incremental resizing ---

// Expects Find and FindSlot to see exactly the records of `live` (by key) and none of `gone`.
void ExpectHolds(const KeyIndex& index, const std::unordered_map<std::string, Record*>& live,
                 const std::vector<std::string>& gone = {}) {
  ASSERT_EQ(index.size(), live.size());
  for (const auto& [key, r] : live) ASSERT_EQ(index.Find(key), r) << key;
  for (const std::string& key : gone) ASSERT_EQ(index.Find(key), nullptr) << key;
}

TEST_F(KeyIndexTest, GrowthMovesRecordsOverManyOperationsThenFreesOldSlots) {
  KeyIndex index;
  InsertKeys(index, 0, 896);  // 7/8 of 1024
  ASSERT_EQ(index.capacity(), 1024u);
  ASSERT_FALSE(index.migrating());
  InsertKeys(index, 896, 897);
  EXPECT_EQ(index.capacity(), 2048u);
  EXPECT_EQ(index.old_capacity(), 1024u);
  EXPECT_EQ(index.slot_bytes(), (1024 + 2048) * 9u);  // both arrays, until the old one drains
  int ops = 1;
  for (int i = 897; index.migrating(); ++i, ++ops) index.Insert(Make(Key(i)));
  // Each insert moved a bounded batch: neither all at once nor slower than 8 records a step.
  EXPECT_GT(ops, 896 / int{KeyIndex::kStepRecords} - 1);
  EXPECT_LE(ops, 1024 / int{KeyIndex::kStepRecords} + 1);
  EXPECT_EQ(index.slot_bytes(), 2048 * 9u);
  for (size_t i = 0; i < records_.size(); ++i) ASSERT_EQ(index.Find(Key(int(i))), records_[i]);
}

TEST_F(KeyIndexTest, MigrationEndsBeforeTheNextResizeIsDue) {
  // With the default step, growing to 200k records and erasing them all never meets a resize
  // while a migration is in progress (which would have to finish it all at once).
  KeyIndex index;
  constexpr int kKeys = 200'000;
  int resizes = 0;
  for (int i = 0; i < kKeys; ++i) {
    if ((index.size() + 1) * 8 > index.capacity() * 7) {
      ASSERT_FALSE(index.migrating()) << i;
      ++resizes;
    }
    index.Insert(Make(Key(i)));
  }
  for (int i = 0; i < kKeys; ++i) {
    if (index.capacity() > 8 && (index.size() - 1) * 8 < index.capacity()) {
      ASSERT_FALSE(index.migrating()) << i;
      ++resizes;
    }
    index.Erase(records_[i]);
  }
  EXPECT_GE(resizes, 30);  // 8 -> 256k slots and back
  EXPECT_EQ(index.capacity(), 8u);
}

TEST_F(KeyIndexTest, EveryKeyFoundErasedAndReinsertedMidMigration) {
  KeyIndex index;
  index.SetStepRecordsForTesting(0);  // frozen: half the records stay in the old array
  InsertKeys(index, 0, 897);
  ASSERT_TRUE(index.migrating());
  std::unordered_map<std::string, Record*> live;
  for (int i = 0; i < 897; ++i) live[Key(i)] = records_[i];
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
  index.SetStepRecordsForTesting(1);
  int mid_migration = 0;
  for (int i = 0; i < 897; ++i) {
    mid_migration += index.migrating();
    std::string key = Key(i);
    Record** slot = index.FindSlot(key);
    ASSERT_NE(slot, nullptr) << key;
    ASSERT_EQ(*slot, live[key]);
    *slot = live[key] = Make(key);  // a replacement block, wherever the slot is
    ASSERT_EQ(index.Find(key), live[key]);
    index.Erase(live[key]);
    ASSERT_EQ(index.Find(key), nullptr) << key;
    ASSERT_EQ(index.FindSlot(key), nullptr) << key;
    index.Insert(live[key] = Make(key));
    ASSERT_EQ(index.Find(key), live[key]) << key;
    if (i % 50 == 0) {
      ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live, {"absent", Key(-1 - i)}));
    }
  }
  EXPECT_GT(mid_migration, 150);  // 4 steps an iteration, of 1 record: ~224 iterations
  index.FinishMigration();
  EXPECT_FALSE(index.migrating());
  EXPECT_EQ(index.capacity(), 2048u);
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
}

TEST_F(KeyIndexTest, ShrinkDuringGrowthFinishesTheGrowthFirst) {
  KeyIndex index;
  index.SetStepRecordsForTesting(0);
  InsertKeys(index, 0, 897);  // 1024 -> 2048 slots, migration frozen
  ASSERT_EQ(index.old_capacity(), 1024u);
  std::unordered_map<std::string, Record*> live;
  for (int i = 0; i < 897; ++i) live[Key(i)] = records_[i];
  int i = 0;
  while (index.size() >= 256) {  // a halving is due below 2048/8
    live.erase(Key(i));
    index.Erase(records_[i++]);
  }
  EXPECT_EQ(index.capacity(), 1024u);
  EXPECT_EQ(index.old_capacity(), 2048u);  // the grown array, now draining
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live, {Key(0), Key(i - 1)}));
  index.FinishMigration();
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
}

TEST_F(KeyIndexTest, GrowthDuringShrinkFinishesTheShrinkFirst) {
  KeyIndex index;
  InsertKeys(index, 0, 1000);
  ASSERT_EQ(index.capacity(), 2048u);
  index.FinishMigration();
  index.SetStepRecordsForTesting(0);
  std::unordered_map<std::string, Record*> live;
  for (int i = 0; i < 1000; ++i) live[Key(i)] = records_[i];
  for (int i = 0; index.size() >= 256; ++i) {
    live.erase(Key(i));
    index.Erase(records_[i]);
  }
  ASSERT_EQ(index.capacity(), 1024u);
  ASSERT_EQ(index.old_capacity(), 2048u);
  for (int i = 1000; index.size() < 896; ++i)
    live[Key(i)] = Make(Key(i)), index.Insert(records_.back());
  ASSERT_EQ(index.capacity(), 1024u);  // full, not over
  live[Key(5000)] = Make(Key(5000));
  index.Insert(records_.back());
  EXPECT_EQ(index.capacity(), 2048u);
  EXPECT_EQ(index.old_capacity(), 1024u);  // the shrunk array, now draining
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live, {Key(0)}));
  index.FinishMigration();
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
}

TEST_F(KeyIndexTest, ReserveOnEmptyIndexAllocatesOnceAndHoldsTheSize) {
  KeyIndex index;
  index.Reserve(5000);
  EXPECT_EQ(index.capacity(), 8192u);  // 5000 fit under 7/8 of 8192
  EXPECT_FALSE(index.migrating());
  InsertKeys(index, 0, 1000);
  for (int i = 0; i < 990; ++i) index.Erase(records_[i]);  // would halve it, but for Reserve
  InsertKeys(index, 1000, 5990);
  EXPECT_EQ(index.size(), 5000u);
  EXPECT_EQ(index.capacity(), 8192u);
  EXPECT_FALSE(index.migrating());
  for (int i = 990; i < 5990; ++i) index.Erase(records_[i]);  // reservation over: shrinks again
  EXPECT_EQ(index.capacity(), 8u);
}

TEST_F(KeyIndexTest, ReserveWithLiveRecordsMigratesThem) {
  KeyIndex index;
  index.SetStepRecordsForTesting(1);
  InsertKeys(index, 0, 500);
  index.FinishMigration();
  index.Reserve(100'000);
  EXPECT_EQ(index.capacity(), 131072u);
  EXPECT_EQ(index.old_capacity(), 1024u);
  std::unordered_map<std::string, Record*> live;
  for (int i = 0; i < 500; ++i) live[Key(i)] = records_[i];
  for (int i = 500; index.migrating(); ++i) {
    ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
    index.Insert(live[Key(i)] = Make(Key(i)));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
  EXPECT_EQ(index.capacity(), 131072u);
}

TEST_F(KeyIndexTest, ReserveDuringMigrationStartsTheNextWhenItEnds) {
  KeyIndex index;
  index.SetStepRecordsForTesting(1);
  InsertKeys(index, 0, 897);  // 1024 -> 2048 slots
  ASSERT_EQ(index.old_capacity(), 1024u);
  index.Reserve(1'000'000);
  EXPECT_EQ(index.capacity(), 2048u);  // not yet
  std::unordered_map<std::string, Record*> live;
  for (int i = 0; i < 897; ++i) live[Key(i)] = records_[i];
  int i = 897;
  for (; index.capacity() == 2048; ++i) index.Insert(live[Key(i)] = Make(Key(i)));
  EXPECT_EQ(index.capacity(), 1u << 21);
  EXPECT_EQ(index.old_capacity(), 2048u);
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
  index.FinishMigration();
  EXPECT_FALSE(index.migrating());
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
}

TEST_F(KeyIndexTest, RunTooLongDuringMigrationRebuildsAndKeepsEveryKey) {
  // Runs capped at 4 slots and frozen migrations: an insert whose run gets too long rebuilds
  // under a new seed while a migration is in progress, and the records of both arrays must all
  // end up in the rebuilt one. (With steps of 0, nothing else ends a migration without starting
  // the next.)
  KeyIndex index(4);
  index.SetStepRecordsForTesting(0);
  std::unordered_map<std::string, Record*> live;
  int rebuilt_mid_migration = 0;
  for (int i = 0; i < 3000; ++i) {
    bool was_migrating = index.migrating();
    index.Insert(live[Key(i)] = Make(Key(i)));
    rebuilt_mid_migration += was_migrating && !index.migrating();
  }
  EXPECT_GT(rebuilt_mid_migration, 0);
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
  index.SetStepRecordsForTesting(1);
  for (int i = 0; i < 3000; i += 2) live.erase(Key(i)), index.Erase(records_[i]);
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live, {Key(0), Key(2998)}));
}

TEST_F(KeyIndexTest, RandomOperationsMidMigrationMatchAMap) {
  // Random inserts, erases, lookups and block swaps against a map, with steps of 0 to 3 records,
  // so that operations meet migrations in every state, resizes come due during migrations (which
  // finish them first), and Reserve and FinishMigration land anywhere.
  std::mt19937_64 rng(20240601);
  auto below = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  KeyIndex index;
  std::unordered_map<std::string, Record*> live;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back(Key(i));
  int mid_migration = 0, grew_mid = 0, shrank_mid = 0;
  size_t target = 1500;  // the live count drifts toward it; it moves now and then
  for (int step = 0; step < 60'000; ++step) {
    SCOPED_TRACE(testing::Message() << "step " << step);
    if (step % 500 == 0) index.SetStepRecordsForTesting(below(4));
    if (step % 7000 == 0) target = below(3000);
    const std::string& key = keys[below(keys.size())];
    auto it = live.find(key);
    size_t capacity = index.capacity();
    bool was_migrating = index.migrating();
    mid_migration += was_migrating;
    // A resize during a migration: the capacity changed and a new migration, from the array
    // that was current, is under way.
    auto resized_mid = [&] {
      return was_migrating && index.capacity() != capacity && index.old_capacity() == capacity;
    };
    uint64_t op = below(100);
    if (op < 45) {
      bool grow = live.size() < target;
      if (it == live.end() && (grow || below(3) == 0)) {
        index.Insert(live[key] = Make(key));
        grew_mid += resized_mid();
      } else if (it != live.end() && (!grow || below(3) == 0)) {
        index.Erase(it->second);
        live.erase(it);
        shrank_mid += resized_mid();
      }
    } else if (op < 75) {
      ASSERT_EQ(index.Find(key), it == live.end() ? nullptr : it->second);
    } else if (op < 97) {
      Record** slot = index.FindSlot(key);
      ASSERT_EQ(slot == nullptr, it == live.end());
      if (slot != nullptr) *slot = it->second = Make(key);
    } else if (op < 98) {
      index.Reserve(below(4000));
    } else if (op < 99) {
      index.FinishMigration();
      ASSERT_FALSE(index.migrating());
    } else if (below(20) == 0) {
      index.Clear();
      live.clear();
    }
    ASSERT_EQ(index.size(), live.size());
    if (step % 100 == 0) {
      ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
    }
  }
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(index, live));
  EXPECT_GT(mid_migration, 5000);
  EXPECT_GT(grew_mid, 0);
  EXPECT_GT(shrank_mid, 0);
}

}  // namespace
}  // namespace hasync::store
