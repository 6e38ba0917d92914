#include "store/table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference_digest.h"

namespace hasync::store {
namespace {

std::vector<std::string> LiveKeys(const Table& t) {
  std::vector<std::string> keys;
  t.ForEach([&](const RecordView& r) { keys.emplace_back(r.key); });
  return keys;
}

using Keys = std::vector<std::string>;

TEST(TableTest, UpsertThenGetReturnsTheRecord) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", "v", 7, 99, 3).ok());
  std::optional<RecordView> r = t.Get("k");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key, "k");
  EXPECT_EQ(r->value, "v");
  EXPECT_EQ(r->rvn, 7u);
  EXPECT_EQ(r->stamp, 99u);
  EXPECT_EQ(r->origin, 3);
  EXPECT_FALSE(r->tombstone);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.key_value_bytes(), 2u);
  EXPECT_FALSE(t.Get("other"));
}

TEST(TableTest, UpsertReplacesValueAndStamp) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", "old", 1, 1, 1).ok());
  ASSERT_TRUE(t.Upsert("k", "newer", 2, 5, 2).ok());
  std::optional<RecordView> r = t.Get("k");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "newer");
  EXPECT_EQ(r->rvn, 2u);
  EXPECT_EQ(r->stamp, 5u);
  EXPECT_EQ(r->origin, 2);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.key_value_bytes(), 6u);
}

TEST(TableTest, UpsertMovesRecordToNewestEnd) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 2, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("c", "3", 3, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("a", "1", 4, 0, 1).ok());
  EXPECT_EQ(LiveKeys(t), (Keys{"b", "c", "a"}));
  EXPECT_EQ(t.OldestRvn(), 2u);
}

TEST(TableTest, ValueSizeChangesKeepContentsRight) {
  // Walks a value through sizes that reuse the block (within the slack) and that replace it.
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("other", "x", 1, 0, 1).ok());
  uint64_t rvn = 2;
  for (size_t len : {0, 10, 200, 190, 140, 137, 5, 60000, 0, 63, 64, 1}) {
    std::string value(len, static_cast<char>('a' + len % 26));
    ASSERT_TRUE(t.Upsert("k", value, rvn++, 0, 1).ok());
    ASSERT_EQ(t.Get("k")->value, value) << len;
    EXPECT_EQ(t.digest(), ReferenceRecordDigest("k", value) + ReferenceRecordDigest("other", "x"));
    EXPECT_EQ(t.key_value_bytes(), 1 + len + 6);
    EXPECT_EQ(LiveKeys(t), (Keys{"other", "k"}));
  }
}

TEST(TableTest, UpsertAcceptsViewsOfTheRecordItRewrites) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", "abcdef", 1, 0, 1).ok());
  RecordView r = *t.Get("k");
  ASSERT_TRUE(t.Upsert(r.key, r.value, 2, 0, 1).ok());  // same block, same bytes
  r = *t.Get("k");
  ASSERT_TRUE(t.Upsert(r.key, r.value.substr(2), 3, 0, 1).ok());  // overlapping, shorter
  EXPECT_EQ(t.Get("k")->value, "cdef");
  EXPECT_EQ(t.digest(), ReferenceRecordDigest("k", "cdef"));
}

TEST(TableTest, EmptyKeyRefused) {
  Table t("t", Limits{});
  Status s = t.Upsert("", "v", 1, 0, 1);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.OldestRvn());
}

TEST(TableTest, OverLimitKeyRefusedTableUnchanged) {
  Table t("t", Limits{.max_key_bytes = 8});
  ASSERT_TRUE(t.Upsert("12345678", "v", 1, 0, 1).ok());
  Status s = t.Upsert("123456789", "v", 2, 0, 1);
  EXPECT_EQ(s.code(), Code::kTooLarge);
  EXPECT_EQ(s.message(), "key is 9 bytes; limit is 8");
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.digest(), ReferenceRecordDigest("12345678", "v"));
}

TEST(TableTest, OverLimitValueRefusedTableUnchanged) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", "before", 1, 0, 1).ok());
  uint64_t digest = t.digest();
  Status s = t.Upsert("k", std::string(70000, 'v'), 2, 0, 1);
  EXPECT_EQ(s.code(), Code::kTooLarge);
  EXPECT_EQ(s.message(), "value is 70000 bytes; limit is 65536");
  EXPECT_EQ(t.Get("k")->value, "before");
  EXPECT_EQ(t.Get("k")->rvn, 1u);
  EXPECT_EQ(t.digest(), digest);
  EXPECT_TRUE(t.Upsert("k", std::string(65536, 'v'), 3, 0, 1).ok());
}

TEST(TableTest, LimitsAboveTheHardCapsActAsTheCaps) {
  Table t("t", Limits{.max_key_bytes = 100000, .max_value_bytes = 100u << 20});
  std::string key(kKeyBytesHardCap, 'k');
  ASSERT_TRUE(t.Upsert(key, "v", 1, 0, 1).ok());
  EXPECT_EQ(t.Get(key)->key.size(), kKeyBytesHardCap);
  EXPECT_EQ(t.digest(), ReferenceRecordDigest(key, "v"));  // both length bytes in use
  EXPECT_EQ(t.Upsert(key + "k", "v", 2, 0, 1).message(), "key is 65536 bytes; limit is 65535");
  EXPECT_EQ(t.Upsert("k", std::string(kValueBytesHardCap + 1, 'v'), 2, 0, 1).code(),
            Code::kTooLarge);
  ASSERT_TRUE(t.Upsert("k", std::string(kValueBytesHardCap, 'v'), 2, 0, 1).ok());
  EXPECT_EQ(t.Get("k")->value.size(), kValueBytesHardCap);
}

TEST(TableTest, BinaryKeysAndValuesAreKeptExactly) {
  Table t("t", Limits{});
  std::string key("a\0b", 3), other("a\0c", 3), value("\0\xff\0", 3);
  ASSERT_TRUE(t.Upsert(key, value, 1, 0, 1).ok());
  ASSERT_TRUE(t.Upsert(other, "", 2, 0, 1).ok());
  EXPECT_EQ(t.Get(key)->value, value);
  EXPECT_EQ(t.Get(other)->value, "");
  EXPECT_FALSE(t.Get(std::string("a\0d", 3)));
}

TEST(TableTest, EraseLeavesTombstone) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", "v", 1, 0, 1).ok());
  EXPECT_TRUE(t.Erase("k", 2, 8, 4));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.tombstones(), 1u);
  EXPECT_EQ(t.key_value_bytes(), 0u);
  EXPECT_EQ(t.OldestRvn(), 2u);
  std::optional<RecordView> r = t.RestampOldest(3, 3);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->tombstone);
  EXPECT_EQ(r->key, "k");
  EXPECT_EQ(r->value, "");
  EXPECT_EQ(r->stamp, 8u);
  EXPECT_EQ(r->origin, 4);
}

TEST(TableTest, TombstoneInvisibleToGetAndDigest) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("live", "v", 1, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("dead", std::string(300, 'x'), 2, 0, 1).ok());
  t.Erase("dead", 3, 0, 1);
  EXPECT_FALSE(t.Get("dead"));
  EXPECT_EQ(t.digest(), ReferenceRecordDigest("live", "v"));
  EXPECT_EQ(LiveKeys(t), (Keys{"live"}));
  EXPECT_EQ(t.size(), 1u);
}

TEST(TableTest, EraseOfUnknownKeyCreatesTombstone) {
  Table t("t", Limits{});
  EXPECT_FALSE(t.Erase("k", 5, 0, 1));
  EXPECT_EQ(t.tombstones(), 1u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.digest(), 0u);
  EXPECT_EQ(t.OldestRvn(), 5u);
}

TEST(TableTest, EraseOfTombstoneRestampsItAtNewestEnd) {
  Table t("t", Limits{});
  EXPECT_FALSE(t.Erase("k", 1, 0, 1));
  ASSERT_TRUE(t.Upsert("a", "1", 2, 0, 1).ok());
  EXPECT_FALSE(t.Erase("k", 3, 0, 2));
  EXPECT_EQ(t.tombstones(), 1u);
  EXPECT_EQ(t.OldestRvn(), 2u);
  EXPECT_FALSE(t.Purge("k", 1, 0));
  EXPECT_TRUE(t.Purge("k", 3, 0));
}

TEST(TableTest, EraseMovesRecordToNewestEnd) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 2, 0, 1).ok());
  t.Erase("a", 3, 0, 1);
  EXPECT_EQ(t.OldestRvn(), 2u);
  EXPECT_EQ(t.RestampOldest(10, 10)->key, "b");
  EXPECT_EQ(t.RestampOldest(10, 10)->key, "a");
}

TEST(TableTest, EraseOfKeyUpsertWouldRefuseLeavesNoTombstone) {
  Table t("t", Limits{.max_key_bytes = 4});
  EXPECT_FALSE(t.Erase("", 1, 0, 1));
  EXPECT_FALSE(t.Erase("12345", 1, 0, 1));
  EXPECT_EQ(t.tombstones(), 0u);
  EXPECT_FALSE(t.OldestRvn());
}

TEST(TableTest, UpsertOverTombstoneRevivesKey) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", std::string(100, 'a'), 1, 0, 1).ok());
  t.Erase("k", 2, 0, 1);
  ASSERT_TRUE(t.Upsert("k", "back", 3, 0, 1).ok());
  EXPECT_EQ(t.tombstones(), 0u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Get("k")->value, "back");
  EXPECT_EQ(t.digest(), ReferenceRecordDigest("k", "back"));
}

TEST(TableTest, RemoveDropsLiveRecordsAndTombstones) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("live", "v", 1, 0, 1).ok());
  t.Erase("dead", 2, 0, 1);
  EXPECT_TRUE(t.Remove("live"));
  EXPECT_TRUE(t.Remove("dead"));
  EXPECT_FALSE(t.Remove("live"));
  EXPECT_FALSE(t.Remove("never"));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.tombstones(), 0u);
  EXPECT_EQ(t.digest(), 0u);
  EXPECT_FALSE(t.OldestRvn());
}

TEST(TableTest, PurgeDropsTombstoneWithItsRvn) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("k", "v", 1, 0, 1).ok());
  t.Erase("k", 2, 0, 1);
  EXPECT_FALSE(t.Purge("k", 1, 0));
  EXPECT_TRUE(t.Purge("k", 2, 0));
  EXPECT_EQ(t.tombstones(), 0u);
  EXPECT_FALSE(t.OldestRvn());
  EXPECT_FALSE(t.Purge("k", 2, 0));
}

TEST(TableTest, PurgeKeepsRewrittenKey) {
  Table t("t", Limits{});
  t.Erase("k", 1, 0, 1);
  ASSERT_TRUE(t.Upsert("k", "v", 2, 0, 1).ok());
  EXPECT_FALSE(t.Purge("k", 1, 0));
  EXPECT_FALSE(t.Purge("k", 2, 0));  // live records are never purged
  EXPECT_EQ(t.Get("k")->value, "v");
}

TEST(TableTest, PurgeKeepsALaterDeleteAtTheSameRvn) {
  Table t("t", Limits{});
  t.Erase("k", 1, 10, 1);
  ASSERT_TRUE(t.Upsert("k", "v", 1, 11, 1).ok());
  t.Erase("k", 1, 12, 1);
  EXPECT_FALSE(t.Purge("k", 1, 10));  // the first delete's ack must not drop the second
  EXPECT_EQ(t.tombstones(), 1u);
  EXPECT_TRUE(t.Purge("k", 1, 12));
}

TEST(TableTest, PurgeKeepsLaterTombstone) {
  Table t("t", Limits{});
  t.Erase("k", 1, 0, 1);
  t.Erase("k", 2, 0, 1);
  EXPECT_FALSE(t.Purge("k", 1, 0));
  EXPECT_EQ(t.tombstones(), 1u);
}

TEST(TableTest, LookupFindsTombstonesWithTheirStamp) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("live", "v", 1, 10, 1).ok());
  t.Erase("gone", 2, 20, 2);
  std::optional<RecordView> live = t.Lookup("live");
  ASSERT_TRUE(live);
  EXPECT_FALSE(live->tombstone);
  EXPECT_EQ(live->value, "v");
  std::optional<RecordView> gone = t.Lookup("gone");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->tombstone);
  EXPECT_EQ(gone->stamp, 20u);
  EXPECT_EQ(gone->origin, 2u);
  EXPECT_FALSE(t.Get("gone"));
  EXPECT_FALSE(t.Lookup("never"));
}

TEST(TableTest, DropTombstonesKeepsLiveRecordsInVersionOrder) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 0, 1).ok());
  t.Erase("x", 2, 0, 1);
  ASSERT_TRUE(t.Upsert("b", "2", 3, 0, 1).ok());
  t.Erase("y", 4, 0, 1);
  uint64_t digest = t.digest();
  EXPECT_EQ(t.DropTombstones(), 2u);
  EXPECT_EQ(t.tombstones(), 0u);
  EXPECT_EQ(LiveKeys(t), (Keys{"a", "b"}));
  EXPECT_EQ(t.digest(), digest);
  EXPECT_FALSE(t.Lookup("x"));
  EXPECT_EQ(t.DropTombstones(), 0u);
}

TEST(TableTest, RestampMovesAKeyToTheNewestEndUnchanged) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 10, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 2, 20, 2).ok());
  t.Erase("c", 2, 30, 1);
  EXPECT_TRUE(t.Restamp("a", 3));
  EXPECT_TRUE(t.Restamp("c", 3));
  EXPECT_FALSE(t.Restamp("never", 3));
  EXPECT_EQ(t.OldestRvn(), 2u);
  EXPECT_EQ(LiveKeys(t), (Keys{"b", "a"}));
  EXPECT_EQ(t.Get("a")->value, "1");
  EXPECT_EQ(t.Get("a")->stamp, 10u);
  EXPECT_EQ(t.Lookup("c")->rvn, 3u);
  EXPECT_EQ(t.EraseOlderThan(3), 1u);  // only b
  EXPECT_EQ(t.tombstones(), 1u);
}

TEST(TableTest, RestampOldestWalksVersionOrder) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 11, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 2, 12, 2).ok());
  ASSERT_TRUE(t.Upsert("c", "3", 3, 13, 3).ok());
  uint64_t digest = t.digest();
  for (std::string key : {"a", "b", "c"}) {
    std::optional<RecordView> r = t.RestampOldest(9, 9);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->key, key);
    EXPECT_EQ(r->rvn, 9u);
    EXPECT_EQ(t.Get(key)->rvn, 9u);
  }
  EXPECT_FALSE(t.RestampOldest(9, 9));
  EXPECT_EQ(t.Get("b")->stamp, 12u);  // stamp, origin and value stay as written
  EXPECT_EQ(t.Get("b")->origin, 2);
  EXPECT_EQ(t.digest(), digest);
}

TEST(TableTest, RestampOldestStopsAtBelow) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 2, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("c", "3", 5, 0, 1).ok());
  EXPECT_EQ(t.RestampOldest(3, 6)->key, "a");
  EXPECT_EQ(t.RestampOldest(3, 6)->key, "b");
  EXPECT_FALSE(t.RestampOldest(3, 6));
  EXPECT_EQ(t.OldestRvn(), 5u);
  EXPECT_FALSE(Table("empty", Limits{}).RestampOldest(100, 100));
}

TEST(TableTest, RestampOldestSkipsRecordsWrittenDuringTheWalk) {
  // A bulk sync at GVN 10: records written meanwhile carry RVN >= 10 and end the walk.
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 2, 0, 1).ok());
  EXPECT_EQ(t.RestampOldest(10, 10)->key, "a");
  ASSERT_TRUE(t.Upsert("b", "changed", 10, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("new", "x", 11, 0, 1).ok());
  EXPECT_FALSE(t.RestampOldest(10, 10));
}

TEST(TableTest, EraseOlderThanSweepsOnlyOlder) {
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 1, 0, 1).ok());
  t.Erase("gone", 2, 0, 1);
  ASSERT_TRUE(t.Upsert("b", "2", 2, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("c", "3", 3, 0, 1).ok());
  t.Erase("later", 4, 0, 1);
  EXPECT_EQ(t.EraseOlderThan(3), 2u);  // a and b; the tombstone goes but is not counted
  EXPECT_EQ(LiveKeys(t), (Keys{"c"}));
  EXPECT_EQ(t.tombstones(), 1u);
  EXPECT_EQ(t.OldestRvn(), 3u);
  EXPECT_EQ(t.digest(), ReferenceRecordDigest("c", "3"));
  EXPECT_EQ(t.EraseOlderThan(3), 0u);
  EXPECT_FALSE(t.Erase("a", 5, 0, 1));  // erased without a tombstone: it is unknown now
}

TEST(TableTest, EraseOlderThanCanEmptyTheTable) {
  Table t("t", Limits{});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(t.Upsert(std::to_string(i), "v", i, 0, 1).ok());
  EXPECT_EQ(t.EraseOlderThan(1000), 100u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.digest(), 0u);
  EXPECT_EQ(t.key_value_bytes(), 0u);
  EXPECT_FALSE(t.OldestRvn());
  ASSERT_TRUE(t.Upsert("again", "v", 1000, 0, 1).ok());
  EXPECT_EQ(t.size(), 1u);
}

TEST(TableTest, LowerRvnStillMovesToNewestEnd) {
  // Callers must not do this (table.h); the table stays consistent, in write order.
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("a", "1", 5, 0, 1).ok());
  ASSERT_TRUE(t.Upsert("b", "2", 3, 0, 1).ok());
  EXPECT_EQ(LiveKeys(t), (Keys{"a", "b"}));
  EXPECT_EQ(t.EraseOlderThan(4), 0u);  // stops at "a"
  EXPECT_EQ(t.size(), 2u);
}

TEST(TableTest, DigestIsOrderIndependent) {
  Table one("t", Limits{}), two("t", Limits{});
  ASSERT_TRUE(one.Upsert("a", "1", 1, 0, 1).ok());
  ASSERT_TRUE(one.Upsert("b", "2", 2, 0, 1).ok());
  ASSERT_TRUE(one.Upsert("c", "3", 3, 0, 1).ok());
  ASSERT_TRUE(two.Upsert("c", "old", 7, 5, 2).ok());
  ASSERT_TRUE(two.Upsert("b", "2", 8, 5, 2).ok());
  two.Erase("x", 9, 0, 2);
  ASSERT_TRUE(two.Upsert("a", "1", 10, 5, 2).ok());
  ASSERT_TRUE(two.Upsert("c", "3", 11, 5, 2).ok());
  EXPECT_EQ(one.digest(), two.digest());
  ASSERT_TRUE(two.Upsert("c", "4", 12, 5, 2).ok());
  EXPECT_NE(one.digest(), two.digest());
}

TEST(TableTest, DigestOfOneRecordIsPinned) {
  // The digest crosses the wire: this value must never change.
  Table t("t", Limits{});
  ASSERT_TRUE(t.Upsert("key", "value", 1, 0, 1).ok());
  EXPECT_EQ(t.digest(), ReferenceRecordDigest("key", "value"));
  EXPECT_EQ(t.digest(), 0x442fa7c02ea68d4full);  // XXH3_64bits(03 00 "key" "value")
}

TEST(TableTest, DigestSeparatesKeyFromValue) {
  Table one("t", Limits{}), two("t", Limits{});
  ASSERT_TRUE(one.Upsert("ab", "c", 1, 0, 1).ok());
  ASSERT_TRUE(two.Upsert("a", "bc", 1, 0, 1).ok());
  EXPECT_NE(one.digest(), two.digest());
}

TEST(TableTest, IndexSurvivesGrowthAndDeletes) {
  constexpr int kKeys = 100000;
  Table t("t", Limits{});
  auto key = [](int i) { return "key-" + std::to_string(i * 7919); };
  uint64_t rvn = 1;
  for (int i = 0; i < kKeys; ++i)
    ASSERT_TRUE(t.Upsert(key(i), std::to_string(i), rvn++, 0, 1).ok());
  ASSERT_EQ(t.size(), size_t{kKeys});
  for (int i = 0; i < kKeys; i += 2) ASSERT_TRUE(t.Remove(key(i)));
  for (int i = 0; i < kKeys; ++i) {
    std::optional<RecordView> r = t.Get(key(i));
    ASSERT_EQ(r.has_value(), i % 2 == 1) << i;
    if (r) {
      ASSERT_EQ(r->value, std::to_string(i));
    }
  }
  for (int i = 0; i < kKeys; i += 2) ASSERT_TRUE(t.Upsert(key(i), "again", rvn++, 0, 1).ok());
  for (int i = 1; i < kKeys; i += 2) ASSERT_TRUE(t.Remove(key(i)));
  ASSERT_EQ(t.size(), size_t{kKeys / 2});
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(t.Get(key(i)).has_value(), i % 2 == 0) << i;
  for (int i = 0; i < kKeys; i += 2) ASSERT_TRUE(t.Remove(key(i)));  // shrinks the index
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.digest(), 0u);
  EXPECT_FALSE(t.Get(key(0)));
  ASSERT_TRUE(t.Upsert(key(0), "last", rvn++, 0, 1).ok());
  EXPECT_EQ(t.Get(key(0))->value, "last");
}

}  // namespace
}  // namespace hasync::store
