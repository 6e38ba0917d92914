// Randomised tests: drive a Table and a naive reference model (a std::map plus a write counter for
// version order) with the same random operations and compare everything observable after each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reference_digest.h"
#include "store/table.h"
#include "store/table_test_peer.h"

namespace hasync::store {
namespace {

struct ModelRecord {
  std::string value;
  uint64_t rvn = 0;
  uint64_t stamp = 0;
  NodeIdWire origin = 0;
  bool tombstone = false;
  uint64_t order = 0;  // position in version order: larger is newer
};

// The oldest record of a model's map (const or not), or end().
template <typename Records>
auto Oldest(Records& records) {
  return std::min_element(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.second.order < b.second.order;
  });
}

class Model {
 public:
  void Upsert(const std::string& key, const std::string& value, uint64_t rvn, uint64_t stamp,
              NodeIdWire origin) {
    records_[key] = {value, rvn, stamp, origin, false, next_order_++};
  }
  bool Erase(const std::string& key, uint64_t rvn, uint64_t stamp, NodeIdWire origin) {
    auto it = records_.find(key);
    bool live = it != records_.end() && !it->second.tombstone;
    records_[key] = {"", rvn, stamp, origin, true, next_order_++};
    return live;
  }
  bool Remove(const std::string& key) { return records_.erase(key) > 0; }
  bool Purge(const std::string& key, uint64_t rvn, uint64_t stamp) {
    auto it = records_.find(key);
    if (it == records_.end() || !it->second.tombstone || it->second.rvn != rvn ||
        it->second.stamp != stamp) {
      return false;
    }
    records_.erase(it);
    return true;
  }
  // The key of the oldest record, if its RVN is below `below`, after restamping it.
  std::optional<std::string> RestampOldest(uint64_t below, uint64_t new_rvn) {
    auto it = Oldest(records_);
    if (it == records_.end() || it->second.rvn >= below) return std::nullopt;
    it->second.rvn = new_rvn;
    it->second.order = next_order_++;
    return it->first;
  }
  size_t EraseOlderThan(uint64_t below) {  // by the definition, not by walking
    size_t live = 0;
    std::erase_if(records_, [&](const auto& kv) {
      bool old = kv.second.rvn < below;
      live += old && !kv.second.tombstone;
      return old;
    });
    return live;
  }
  std::optional<uint64_t> OldestRvn() const {
    auto it = Oldest(records_);
    if (it == records_.end()) return std::nullopt;
    return it->second.rvn;
  }
  std::vector<std::pair<std::string, ModelRecord>> LiveInVersionOrder() const {
    std::vector<std::pair<std::string, ModelRecord>> live;
    for (const auto& [key, r] : records_) {
      if (!r.tombstone) live.emplace_back(key, r);
    }
    std::sort(live.begin(), live.end(),
              [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
    return live;
  }
  const std::map<std::string, ModelRecord>& records() const { return records_; }

 private:
  std::map<std::string, ModelRecord> records_;
  uint64_t next_order_ = 0;
};

void ExpectSame(const Table& table, const Model& model, const std::vector<std::string>& keys) {
  size_t live = 0, tombstones = 0, bytes = 0;
  uint64_t digest = 0;
  for (const auto& [key, r] : model.records()) {
    if (r.tombstone) {
      ++tombstones;
      continue;
    }
    ++live;
    bytes += key.size() + r.value.size();
    digest += ReferenceRecordDigest(key, r.value);
  }
  ASSERT_EQ(table.size(), live);
  ASSERT_EQ(table.tombstones(), tombstones);
  ASSERT_EQ(table.key_value_bytes(), bytes);
  ASSERT_EQ(table.digest(), digest);
  ASSERT_EQ(table.OldestRvn(), model.OldestRvn());
  for (const std::string& key : keys) {
    std::optional<RecordView> got = table.Get(key);
    auto it = model.records().find(key);
    bool want = it != model.records().end() && !it->second.tombstone;
    ASSERT_EQ(got.has_value(), want) << key;
    if (!want) continue;
    ASSERT_EQ(got->value, it->second.value);
    ASSERT_EQ(got->rvn, it->second.rvn);
    ASSERT_EQ(got->stamp, it->second.stamp);
    ASSERT_EQ(got->origin, it->second.origin);
  }
  std::vector<std::pair<std::string, ModelRecord>> order = model.LiveInVersionOrder();
  size_t i = 0;
  table.ForEach([&](const RecordView& r) {
    ASSERT_LT(i, order.size());
    EXPECT_EQ(r.key, order[i].first);
    EXPECT_EQ(r.value, order[i].second.value);
    ++i;
  });
  ASSERT_EQ(i, order.size());
}

constexpr int kDefaultStep = -1;

// 5000 random operations on a table and a model, compared after each. With `step_records` >= 0,
// the table's key index moves at most that many records per migration step, alternating with
// frozen migrations (0), and Reserve is called now and then: index resizes then stay in progress
// across hundreds of operations. Counts the operations that ran mid-migration in *mid_migration.
void RunRandomOperations(uint32_t seed, int step_records, int* mid_migration) {
  constexpr size_t kMaxValue = 300;
  Limits limits{.max_key_bytes = 40, .max_value_bytes = kMaxValue};
  Table table("t", limits);
  KeyIndex& index = TableTestPeer::Index(table);
  Model model;
  std::mt19937_64 rng(seed);
  *mid_migration = 0;
  auto below = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };

  std::vector<std::string> keys;  // binary keys of 1..40 bytes
  for (int i = 0; i < 200; ++i) {
    std::string key(1 + below(40), '\0');
    for (char& c : key) c = static_cast<char>(below(256));
    keys.push_back(key);
  }
  auto random_value = [&] {
    // Sizes around the block slack boundaries, and now and then one over the limit.
    static constexpr size_t kSizes[] = {0, 1, 20, 62, 63, 64, 65, 100, 200, 299, 300, 301};
    std::string value(kSizes[below(std::size(kSizes))] + below(3), '\0');
    for (char& c : value) c = static_cast<char>('a' + below(26));
    return value;
  };

  uint64_t gvn = 1;
  for (int step = 0; step < 5000; ++step) {
    if (step_records != kDefaultStep) {
      if (step % 300 == 0) index.SetStepRecordsForTesting(step % 600 == 0 ? 0 : step_records);
      if (below(50) == 0) table.Reserve(below(1000));
    }
    *mid_migration += index.migrating();
    gvn += below(3);  // equal RVNs happen too
    const std::string& key = keys[below(keys.size())];
    uint64_t stamp = below(1000);
    auto origin = static_cast<NodeIdWire>(1 + below(3));
    uint64_t op = below(100);
    SCOPED_TRACE(testing::Message() << "step " << step << " op " << op);
    if (op < 40) {
      std::string value = random_value();
      Status s = table.Upsert(key, value, gvn, stamp, origin);
      ASSERT_EQ(s.ok(), value.size() <= kMaxValue);
      if (s.ok()) model.Upsert(key, value, gvn, stamp, origin);
    } else if (op < 60) {
      ASSERT_EQ(table.Erase(key, gvn, stamp, origin), model.Erase(key, gvn, stamp, origin));
    } else if (op < 67) {
      ASSERT_EQ(table.Remove(key), model.Remove(key));
    } else if (op < 77) {
      auto it = model.records().find(key);
      uint64_t rvn = it == model.records().end() ? gvn : it->second.rvn + (below(4) == 0);
      uint64_t stamp_of = it == model.records().end() ? stamp : it->second.stamp + (below(4) == 0);
      ASSERT_EQ(table.Purge(key, rvn, stamp_of), model.Purge(key, rvn, stamp_of));
    } else if (op < 95) {
      uint64_t bound = below(gvn + 2);
      std::optional<RecordView> got = table.RestampOldest(bound, gvn);
      std::optional<std::string> want = model.RestampOldest(bound, gvn);
      ASSERT_EQ(got.has_value(), want.has_value());
      if (got) {
        ASSERT_EQ(got->key, *want);
        const ModelRecord& r = model.records().at(*want);
        ASSERT_EQ(got->tombstone, r.tombstone);
        ASSERT_EQ(got->value, r.value);
        ASSERT_EQ(got->rvn, gvn);
        ASSERT_EQ(got->stamp, r.stamp);
      }
    } else {
      uint64_t bound = model.OldestRvn().value_or(0) + below(4);
      ASSERT_EQ(table.EraseOlderThan(bound), model.EraseOlderThan(bound));
    }
    ASSERT_NO_FATAL_FAILURE(ExpectSame(table, model, keys));
  }
}

class TableModelTest : public testing::TestWithParam<uint32_t> {};

TEST_P(TableModelTest, RandomOperationsMatchReferenceModel) {
  int mid_migration;
  RunRandomOperations(GetParam(), kDefaultStep, &mid_migration);
}

TEST_P(TableModelTest, RandomOperationsMidMigrationMatchReferenceModel) {
  int mid_migration;
  RunRandomOperations(GetParam(), 1, &mid_migration);
  EXPECT_GT(mid_migration, 1000) << "migrations too rare to test";
}

INSTANTIATE_TEST_SUITE_P(Seeds, TableModelTest, testing::Values(1u, 2u, 3u, 20240601u));

TEST(TableReserveTest, LoadingReservedRecordsCausesNoResize) {
  Table table("t", Limits{});
  const KeyIndex& index = TableTestPeer::Index(table);
  table.Reserve(100'000);
  EXPECT_EQ(index.capacity(), 131072u);  // one allocation, at once
  for (int i = 0; i < 100'000; ++i) {
    std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(table.Upsert(key, "v", i + 1, 0, 1).ok());
    if (i % 100 == 0) {  // removals while loading do not shrink the index either
      ASSERT_TRUE(table.Remove(key));
      ASSERT_TRUE(table.Upsert(key, "v", i + 1, 0, 1).ok());
    }
    ASSERT_EQ(index.capacity(), 131072u) << i;
    ASSERT_FALSE(index.migrating()) << i;
  }
  EXPECT_EQ(table.size(), 100'000u);
}

TEST(TableReserveTest, ReserveWithLiveRecordsKeepsThemReadable) {
  Table table("t", Limits{});
  KeyIndex& index = TableTestPeer::Index(table);
  index.SetStepRecordsForTesting(1);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(table.Upsert("k" + std::to_string(i), std::to_string(i), i + 1, 0, 1).ok());
  }
  index.FinishMigration();
  uint64_t digest = table.digest();
  table.Reserve(50'000);
  ASSERT_TRUE(index.migrating());
  EXPECT_EQ(index.capacity(), 65536u);
  int ops = 0;
  for (; index.migrating(); ++ops) {
    // Overwrites with the same value: each takes a migration step and keeps the digest.
    std::string key = "k" + std::to_string(ops % 5000);
    ASSERT_TRUE(table.Upsert(key, std::to_string(ops % 5000), 5001 + ops, 0, 1).ok());
    if (ops % 500 == 0) {
      for (int i = 0; i < 5000; ++i) {
        std::optional<RecordView> got = table.Get("k" + std::to_string(i));
        ASSERT_TRUE(got.has_value()) << i;
        ASSERT_EQ(got->value, std::to_string(i));
      }
    }
  }
  EXPECT_GT(ops, 1000);
  EXPECT_EQ(table.digest(), digest);
  EXPECT_EQ(table.size(), 5000u);
}

TEST(TableDigestTest, DigestMatchesFullRecomputeAfterRandomOps) {
  // Many keys and varied value sizes, so the index grows and shrinks and blocks get replaced;
  // the incremental digest must always equal one recomputed from the table's own contents.
  Table table("t", Limits{});
  std::mt19937_64 rng(7);
  uint64_t rvn = 0;
  for (int step = 0; step < 20000; ++step) {
    std::string key = "k" + std::to_string(rng() % 5000);
    switch (rng() % 5) {
      case 0:
      case 1:
        ASSERT_TRUE(table.Upsert(key, std::string(rng() % 400, 'v'), ++rvn, 0, 1).ok());
        break;
      case 2:
        table.Erase(key, ++rvn, 0, 1);
        break;
      case 3:
        table.Remove(key);
        break;
      case 4:
        table.EraseOlderThan(rvn > 300 ? rvn - 300 : 0);
        break;
    }
    if (step % 97 != 0) continue;
    uint64_t digest = 0;
    table.ForEach([&](const RecordView& r) { digest += ReferenceRecordDigest(r.key, r.value); });
    ASSERT_EQ(table.digest(), digest) << "step " << step;
  }
}

}  // namespace
}  // namespace hasync::store
