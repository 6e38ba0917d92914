#include "store/store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference_digest.h"

namespace hasync::store {
namespace {

Table* MustOpen(Store& store, std::string_view name) {
  Result<Table*> table = store.Open(name);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return table.ok() ? table.value() : nullptr;
}

TEST(StoreTest, OpenCreatesATableOnce) {
  Store store;
  Table* t = MustOpen(store, "sessions");
  EXPECT_EQ(t->name(), "sessions");
  EXPECT_EQ(MustOpen(store, "sessions"), t);
  EXPECT_EQ(store.Find("sessions"), t);
  EXPECT_EQ(store.Find("other"), nullptr);
  EXPECT_EQ(store.table_count(), 1u);
}

TEST(StoreTest, TablesKeepCreationOrderAndPointers) {
  Store store;
  std::vector<Table*> tables;
  for (int i = 0; i < 200; ++i) tables.push_back(MustOpen(store, "t" + std::to_string(i)));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(&store.table_at(i), tables[i]);
    EXPECT_EQ(store.Find("t" + std::to_string(i)), tables[i]);
  }
}

TEST(StoreTest, OpenRefusesEmptyName) {
  Store store;
  EXPECT_EQ(store.Open("").status().code(), Code::kInvalidArgument);
}

TEST(StoreTest, OpenRefusesNameOutsidePrintableAscii) {
  Store store;
  for (const std::string& name :
       std::vector<std::string>{"a b", "tab\t", std::string("nul\0", 4), "\x7f", "caf\xc3\xa9"}) {
    Result<Table*> t = store.Open(name);
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument) << name;
  }
  EXPECT_EQ(store.Open("a b").status().message(),
            "table name has byte 0x20 at offset 1; names are printable ASCII without spaces");
  EXPECT_TRUE(store.Open("!~all.printable-ASCII_0x21..0x7e").ok());
  EXPECT_EQ(store.table_count(), 1u);
}

TEST(StoreTest, OpenRefusesOverLongName) {
  Store store(Limits{.max_table_name_bytes = 8});
  EXPECT_TRUE(store.Open("12345678").ok());
  Result<Table*> t = store.Open("123456789");
  EXPECT_EQ(t.status().code(), Code::kTooLarge);
  EXPECT_EQ(t.status().message(), "table name is 9 bytes; limit is 8");
}

TEST(StoreTest, OpenRefusesTablesBeyondMaxTables) {
  Store store(Limits{.max_tables = 2});
  Table* a = MustOpen(store, "a");
  MustOpen(store, "b");
  Result<Table*> c = store.Open("c");
  EXPECT_EQ(c.status().code(), Code::kTooLarge);
  EXPECT_EQ(c.status().message(), "the store holds 2 tables; limit is 2");
  EXPECT_EQ(MustOpen(store, "a"), a);  // existing tables still open
  EXPECT_EQ(store.table_count(), 2u);
}

TEST(StoreTest, TablesEnforceTheStoreLimits) {
  Store store(Limits{.max_key_bytes = 4, .max_value_bytes = 10});
  Table* t = MustOpen(store, "t");
  EXPECT_EQ(t->Upsert("12345", "v", 1, 0, 1).code(), Code::kTooLarge);
  EXPECT_EQ(t->Upsert("k", std::string(11, 'v'), 1, 0, 1).code(), Code::kTooLarge);
  EXPECT_TRUE(t->Upsert("k", std::string(10, 'v'), 1, 0, 1).ok());
}

TEST(StoreTest, RecordsCountsLiveRecordsOfAllTables) {
  Store store;
  ASSERT_TRUE(MustOpen(store, "a")->Upsert("k1", "v", 1, 0, 1).ok());
  ASSERT_TRUE(MustOpen(store, "a")->Upsert("k2", "v", 2, 0, 1).ok());
  ASSERT_TRUE(MustOpen(store, "b")->Upsert("k1", "v", 3, 0, 1).ok());
  MustOpen(store, "b")->Erase("k2", 4, 0, 1);
  EXPECT_EQ(store.records(), 3u);
}

TEST(StoreTest, DigestMatchesDefinition) {
  Store store;
  EXPECT_EQ(store.digest(), 0u);
  Table* a = MustOpen(store, "a");
  Table* b = MustOpen(store, "bb");
  ASSERT_TRUE(a->Upsert("k", "v", 1, 0, 1).ok());
  ASSERT_TRUE(b->Upsert("k", "w", 2, 0, 1).ok());
  ASSERT_TRUE(b->Upsert("j", "", 3, 0, 1).ok());
  EXPECT_EQ(b->digest(), ReferenceRecordDigest("k", "w") + ReferenceRecordDigest("j", ""));
  EXPECT_EQ(store.digest(), ReferenceTableEntryDigest("a", a->digest()) +
                                ReferenceTableEntryDigest("bb", b->digest()));
}

TEST(StoreTest, DigestIgnoresEmptyTables) {
  Store one, two;
  ASSERT_TRUE(MustOpen(one, "a")->Upsert("k", "v", 1, 0, 1).ok());
  ASSERT_TRUE(MustOpen(two, "a")->Upsert("k", "v", 1, 0, 1).ok());
  MustOpen(two, "empty");
  MustOpen(two, "only-tombstones")->Erase("k", 2, 0, 1);
  EXPECT_EQ(one.digest(), two.digest());
}

TEST(StoreTest, DigestIsIndependentOfTableOrder) {
  Store one, two;
  ASSERT_TRUE(MustOpen(one, "a")->Upsert("k", "1", 1, 0, 1).ok());
  ASSERT_TRUE(MustOpen(one, "b")->Upsert("k", "2", 2, 0, 1).ok());
  ASSERT_TRUE(MustOpen(two, "b")->Upsert("k", "2", 1, 0, 1).ok());
  ASSERT_TRUE(MustOpen(two, "a")->Upsert("k", "1", 2, 0, 1).ok());
  EXPECT_EQ(one.digest(), two.digest());
}

TEST(StoreTest, DigestDependsOnTableName) {
  Store one, two;
  ASSERT_TRUE(MustOpen(one, "a")->Upsert("k", "v", 1, 0, 1).ok());
  ASSERT_TRUE(MustOpen(two, "b")->Upsert("k", "v", 1, 0, 1).ok());
  EXPECT_NE(one.digest(), two.digest());
}

TEST(StoreTest, ClearKeepsTablePointers) {
  Store store;
  Table* a = MustOpen(store, "a");
  Table* b = MustOpen(store, "b");
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(a->Upsert(std::to_string(i), "v", i, 0, 1).ok());
  b->Erase("gone", 1, 0, 1);
  store.Clear();
  EXPECT_EQ(store.table_count(), 2u);
  EXPECT_EQ(store.Find("a"), a);
  EXPECT_EQ(&store.table_at(1), b);
  EXPECT_EQ(store.records(), 0u);
  EXPECT_EQ(store.digest(), 0u);
  EXPECT_EQ(a->digest(), 0u);
  EXPECT_EQ(a->key_value_bytes(), 0u);
  EXPECT_EQ(b->tombstones(), 0u);
  EXPECT_FALSE(a->OldestRvn());
  EXPECT_FALSE(a->Get("1"));
  ASSERT_TRUE(a->Upsert("1", "again", 1, 0, 1).ok());  // usable afterwards
  EXPECT_EQ(a->Get("1")->value, "again");
}

}  // namespace
}  // namespace hasync::store
