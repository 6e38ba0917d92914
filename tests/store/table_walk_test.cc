#include "store/table_walk.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "store/table.h"

namespace hasync::store {
namespace {

// What a walk visits: key -> value, "-" for a tombstone.
using Seen = std::map<std::string, std::string>;

void StepInto(TableWalk& walk, size_t max, Seen& seen) {
  walk.Step(max, [&](const RecordView& r) {
    const bool first =
        seen.emplace(std::string(r.key), r.tombstone ? "-" : std::string(r.value)).second;
    EXPECT_TRUE(first) << "visited twice: " << r.key;
  });
}

TEST(TableWalkTest, VisitsEveryRecordInVersionOrderAcrossSteps) {
  Table t("t", Limits{});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(t.Upsert("k" + std::to_string(i), "v", 1, 1, 1).ok());
  std::unique_ptr<TableWalk> walk = t.Walk();
  std::vector<std::string> seen;
  auto note = [&](const RecordView& r) { seen.emplace_back(r.key); };
  EXPECT_EQ(walk->Step(4, note), 4u);
  EXPECT_FALSE(walk->done());
  EXPECT_EQ(walk->Step(4, note), 4u);
  EXPECT_EQ(walk->Step(4, note), 2u);
  EXPECT_TRUE(walk->done());
  EXPECT_FALSE(walk->lost());
  std::vector<std::string> want;
  for (int i = 0; i < 10; ++i) want.push_back("k" + std::to_string(i));
  EXPECT_EQ(seen, want);
}

TEST(TableWalkTest, SkipsWhatChangedAfterItBeganAndWhatCameAfterIt) {
  Table t("t", Limits{});
  for (const char* k : {"a", "b", "c", "d"}) ASSERT_TRUE(t.Upsert(k, "1", 1, 1, 1).ok());
  std::unique_ptr<TableWalk> walk = t.Walk();
  Seen seen;
  StepInto(*walk, 1, seen);  // a
  // The record it stands on moves (to a bigger block), the next is deleted, the last (its end)
  // is rewritten, and a new one comes.
  ASSERT_TRUE(t.Upsert("a", std::string(200, 'x'), 1, 2, 1).ok());
  t.Erase("b", 1, 3, 1);
  ASSERT_TRUE(t.Upsert("d", "2", 1, 4, 1).ok());
  ASSERT_TRUE(t.Upsert("e", "1", 1, 5, 1).ok());
  while (!walk->done()) StepInto(*walk, 1, seen);
  EXPECT_EQ(seen, (Seen{{"a", "1"}, {"c", "1"}}));
}

TEST(TableWalkTest, OnAnEmptyTableIsDoneAtOnce) {
  Table t("t", Limits{});
  std::unique_ptr<TableWalk> walk = t.Walk();
  ASSERT_TRUE(t.Upsert("a", "1", 1, 1, 1).ok());
  EXPECT_TRUE(walk->done());
  EXPECT_EQ(walk->Step(10, [](const RecordView&) { FAIL(); }), 0u);
}

TEST(TableWalkTest, IsLostWhenTheTableGoesFirst) {
  auto t = std::make_unique<Table>("t", Limits{});
  ASSERT_TRUE(t->Upsert("a", "1", 1, 1, 1).ok());
  std::unique_ptr<TableWalk> walk = t->Walk();
  t.reset();
  EXPECT_TRUE(walk->lost());
  EXPECT_TRUE(walk->done());
  EXPECT_EQ(walk->Step(10, [](const RecordView&) { FAIL(); }), 0u);
}

TEST(TableWalkTest, AClosedWalkLeavesTheOthersAsTheyWere) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 1, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "1", 1, 1, 1).ok());
  std::unique_ptr<TableWalk> closed = t.Walk();
  std::unique_ptr<TableWalk> open = t.Walk();
  closed.reset();
  ASSERT_TRUE(t.Remove("a"));
  Seen seen;
  StepInto(*open, 10, seen);
  EXPECT_EQ(seen, (Seen{{"b", "1"}}));
}

TEST(TableWalkTest, VisitsAtItsEndWhatABulkSyncMovedBeforeItMetIt) {
  Table t("t", Limits{});
  for (const char* k : {"a", "b", "c", "d"}) ASSERT_TRUE(t.Upsert(k, "1", 1, 1, 1).ok());
  std::unique_ptr<TableWalk> walk = t.Walk();
  std::vector<std::string> order;
  auto note = [&](const RecordView& r) { order.emplace_back(r.key); };
  EXPECT_EQ(walk->Step(1, note), 1u);             // a
  ASSERT_TRUE(t.RestampOldest(2, 2));             // a: visited already
  ASSERT_TRUE(t.RestampOldest(2, 2));             // b: not yet, so at the end
  ASSERT_TRUE(t.Upsert("e", "1", 3, 2, 1).ok());  // after the walk began: not visited
  ASSERT_TRUE(t.RestampOldest(4, 4));             // c: not yet
  ASSERT_TRUE(t.Upsert("c", "2", 5, 3, 1).ok());  // ...and then written: an op tells of it
  ASSERT_TRUE(t.RestampOldest(4, 4));             // d: not yet
  ASSERT_TRUE(t.RestampOldest(6, 6));  // the next bulk sync: d and a move again, unchanged
  ASSERT_TRUE(t.RestampOldest(6, 6));
  while (!walk->done()) walk->Step(1, note);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "d"}));
}

// Records the restamps the observer hears of.
class RestampLog : public TableObserver {
 public:
  void OnLive(std::string_view, std::string_view) override {}
  void OnGone(std::string_view) override {}
  void OnCleared() override {}
  void OnRestamped(std::string_view key) override { keys.emplace_back(key); }
  std::vector<std::string> keys;
};

TEST(TableWalkTest, ARestampItCannotFollowIsToldToTheObserverWhileAWalkIsUnderWay) {
  Table t("t", Limits{});
  auto log = std::make_shared<RestampLog>();
  t.SetObserver(log);
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(t.Upsert(k, "1", 1, 1, 1).ok());
  ASSERT_TRUE(t.Restamp("a", 2));  // no walk
  std::unique_ptr<TableWalk> walk = t.Walk();
  ASSERT_TRUE(t.Restamp("c", 3));
  Seen seen;
  StepInto(*walk, 10, seen);
  EXPECT_EQ(seen, (Seen{{"b", "1"}, {"a", "1"}}));
  ASSERT_TRUE(t.Restamp("b", 4));  // the walk is done
  walk.reset();
  EXPECT_EQ(log->keys, (std::vector<std::string>{"c"}));
}

// Any mix of writes, deletes, purges, removals, restamps, bulk-sync steps and sweeps between
// steps: the walk visits every record held at its start that nothing but bulk-sync steps touched
// since, and nothing else but records held at its start, as they were then.
TEST(TableWalkTest, VisitsExactlyTheUntouchedRecordsWhateverChangesBetweenSteps) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    Table t("t", Limits{});
    uint64_t rvn = 1;
    uint64_t stamp = 1;
    std::vector<std::string> keys;
    for (int i = 0; i < 40; ++i) keys.push_back("k" + std::to_string(i));
    auto key = [&] { return keys[rng() % keys.size()]; };
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(t.Upsert(key(), std::string(rng() % 50, 'v'), rvn, stamp++, 1).ok());
      if (rng() % 4 == 0) t.Erase(key(), rvn, stamp++, 1);
    }
    Seen at_start;
    for (const std::string& k : keys) {
      if (auto r = t.Lookup(k)) at_start[k] = r->tombstone ? "-" : std::string(r->value);
    }
    std::set<std::string> touched;
    std::unique_ptr<TableWalk> walk = t.Walk();
    Seen seen;
    while (!walk->done()) {
      for (int n = static_cast<int>(rng() % 6); n > 0; --n) {
        const std::string k = key();
        switch (rng() % 8) {
          case 0:
          case 1:
            ASSERT_TRUE(t.Upsert(k, std::string(rng() % 90, 'a'), rvn, stamp++, 1).ok());
            touched.insert(k);
            break;
          case 2:
            t.Erase(k, rvn, stamp++, 1);
            touched.insert(k);
            break;
          case 3:
            if (auto r = t.Lookup(k); r && r->tombstone && t.Purge(k, r->rvn, r->stamp)) {
              touched.insert(k);
            }
            break;
          case 4:
            if (t.Remove(k)) touched.insert(k);
            break;
          case 5:
            if (t.Restamp(k, ++rvn)) touched.insert(k);
            break;
          case 6: {  // a bulk sync's steps: the oldest records move unchanged
            ++rvn;
            for (int steps = static_cast<int>(rng() % 8); steps > 0; --steps) {
              if (!t.RestampOldest(rvn, rvn)) break;
            }
            break;
          }
          default:
            for (const std::string& each : keys) {
              if (auto r = t.Lookup(each); r && r->rvn < rvn) touched.insert(each);
            }
            t.EraseOlderThan(rvn);
            break;
        }
      }
      StepInto(*walk, 1 + rng() % 8, seen);
    }
    // Visited before it was touched, a record still shows its value at the start.
    for (const auto& [k, v] : seen) {
      ASSERT_TRUE(at_start.contains(k)) << "seed " << seed << ": " << k;
      ASSERT_EQ(at_start.at(k), v) << "seed " << seed << ": " << k;
    }
    for (const auto& [k, v] : at_start) {
      ASSERT_TRUE(touched.contains(k) || seen.contains(k)) << "seed " << seed << ": " << k;
    }
  }
}

}  // namespace
}  // namespace hasync::store
