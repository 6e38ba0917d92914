#include "wire/record_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/wire_test_util.h"

namespace hasync::wire {
namespace {

using testing::Bytes;
using testing::PayloadOf;

struct Entry {
  RecordOp op;
  std::string key, value;
  uint64_t rvn, stamp;
  uint16_t origin;
  bool operator==(const Entry&) const = default;
};

Bytes Write(uint64_t seq, SyncKind kind, std::string_view table,
            const std::vector<Entry>& entries) {
  Bytes out;
  FrameWriter frames(&out);
  RecordBatchWriter batch(&frames);
  batch.Begin(seq, kind, table);
  for (const Entry& e : entries) batch.Add({e.op, e.key, e.value, e.rvn, e.stamp, e.origin});
  EXPECT_EQ(batch.count(), entries.size());
  batch.Finish();
  EXPECT_FALSE(batch.open());
  return out;
}

std::vector<Entry> Collect(const RecordBatch& batch) {
  std::vector<Entry> seen;
  batch.ForEach([&](const RecordEntry& e) {
    seen.push_back({e.op, std::string(e.key), std::string(e.value), e.rvn, e.stamp, e.origin});
  });
  return seen;
}

// A payload of one upsert ("k", "vv") in table "t": offsets below are fixed by the layout.
Bytes OneEntryPayload() {
  return PayloadOf(
      Write(1, SyncKind::kIncremental, "t", {{RecordOp::kUpsert, "k", "vv", 1, 2, 3}}));
}
constexpr size_t kCountAt = 5;  // 4 + table name length 1
constexpr size_t kEntryAt = 9;  // count + 4
constexpr size_t kKeyLenAt = kEntryAt + 1;
constexpr size_t kValueLenAt = kEntryAt + 3;

std::string ErrorOf(const Bytes& payload, const BatchLimits& limits = {}) {
  Result<RecordBatch> r = DecodeRecordBatch(payload, limits);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kProtocol);
  return r.status().message();
}

// For entries over the configured key or value size: kTooLarge, not kProtocol.
std::string LimitErrorOf(const Bytes& payload, const BatchLimits& limits = {}) {
  Result<RecordBatch> r = DecodeRecordBatch(payload, limits);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  return r.status().message();
}

TEST(RecordBatch, RoundTripTenThousandEntries) {
  std::vector<Entry> entries;
  for (uint64_t i = 0; i < 10000; ++i) {
    bool del = i % 7 == 3;
    entries.push_back({del ? RecordOp::kDelete : RecordOp::kUpsert,
                       "10.0.0." + std::to_string(i) + ":443",
                       del ? "" : std::string(i % 300, static_cast<char>('a' + i % 26)), 1000 + i,
                       0xabcdef00 + i, static_cast<uint16_t>(i % 3 + 1)});
  }
  Bytes frame = Write(1, SyncKind::kBulk, "nat.sessions", entries);
  FrameReader reader;
  reader.Feed(frame);
  Result<FrameView> f = reader.Next();
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->type, MsgType::kRecords);
  Result<RecordBatch> batch = DecodeRecordBatch(f->payload, BatchLimits{});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->kind(), SyncKind::kBulk);
  EXPECT_EQ(batch->table(), "nat.sessions");
  EXPECT_EQ(batch->count(), 10000u);
  EXPECT_EQ(Collect(*batch), entries);
}

TEST(RecordBatch, EmptyBatchIsValid) {
  Bytes payload = PayloadOf(Write(1, SyncKind::kReconcile, "t", {}));
  Result<RecordBatch> batch = DecodeRecordBatch(payload, BatchLimits{});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->count(), 0u);
  EXPECT_EQ(batch->kind(), SyncKind::kReconcile);
  EXPECT_TRUE(Collect(*batch).empty());
}

TEST(RecordBatch, WriterCountsPayloadBytes) {
  Bytes out;
  FrameWriter frames(&out);
  RecordBatchWriter batch(&frames);
  EXPECT_EQ(batch.bytes(), 0u);
  batch.Begin(1, SyncKind::kIncremental, "abc");
  EXPECT_EQ(batch.bytes(), 4u + 3 + 4);
  batch.Add({RecordOp::kUpsert, "key", "value", 1, 1, 1});
  EXPECT_EQ(batch.bytes(), 11 + kRecordEntryHeaderBytes + 3 + 5);
  batch.Finish();
  EXPECT_EQ(batch.bytes(), 0u);
  EXPECT_EQ(out.size(), kFrameOverheadBytes + 11 + kRecordEntryHeaderBytes + 8);
}

TEST(RecordBatch, LayoutOfOneEntry) {
  Bytes p = OneEntryPayload();
  ASSERT_EQ(p.size(), kEntryAt + kRecordEntryHeaderBytes + 3);
  EXPECT_EQ(p[0], 0);  // kind
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 2), 1);
  EXPECT_EQ(p[4], 't');
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + kCountAt), 1u);
  EXPECT_EQ(p[kEntryAt], 1);  // upsert
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + kKeyLenAt), 1);
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + kValueLenAt), 2u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + kEntryAt + 7), 1u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + kEntryAt + 15), 2u);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + kEntryAt + 23), 3);
  EXPECT_EQ(ErrorOf(p), "");
}

TEST(RecordBatch, BadKindRejected) {
  Bytes p = OneEntryPayload();
  p[0] = 3;
  EXPECT_EQ(ErrorOf(p), "records: kind is 3, must be at most 2");
}

TEST(RecordBatch, NonZeroReservedRejected) {
  Bytes p = OneEntryPayload();
  p[1] = 1;
  EXPECT_EQ(ErrorOf(p), "records: reserved is 1, must be 0");
}

TEST(RecordBatch, TableNameLengthChecked) {
  EXPECT_EQ(ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "", {}))),
            "records: table name length 0 outside 1..128");
  BatchLimits limits;
  limits.max_table_name_bytes = 4;
  EXPECT_EQ(ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "abcd", {})), limits), "");
  EXPECT_EQ(ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "abcde", {})), limits),
            "records: table name length 5 outside 1..4");
}

TEST(RecordBatch, TableNameMustBePrintableWithoutSpace) {
  for (std::string name : {std::string("a b"), std::string("a\0b", 3), std::string("a\x7f"),
                           std::string("\xc3\xa9")}) {
    EXPECT_NE(
        ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, name, {}))).find("table name byte"),
        std::string::npos)
        << name;
  }
  EXPECT_EQ(ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "!~az09._-", {}))), "");
}

TEST(RecordBatch, CountOverLimitRejected) {
  BatchLimits limits;
  limits.max_records = 2;
  std::vector<Entry> three(3, {RecordOp::kDelete, "k", "", 1, 1, 1});
  EXPECT_EQ(ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "t", three)), limits),
            "records: count 3 over limit 2");
}

TEST(RecordBatch, CountBeyondEntriesRejected) {
  Bytes p = OneEntryPayload();
  StoreLE<uint32_t>(p.data() + kCountAt, 2);
  EXPECT_EQ(ErrorOf(p), "records: entry 1: payload ends inside the entry header (0 of 25 bytes)");
}

TEST(RecordBatch, TrailingBytesRejected) {
  Bytes p = OneEntryPayload();
  StoreLE<uint32_t>(p.data() + kCountAt, 0);
  EXPECT_EQ(ErrorOf(p), "records: 28 trailing bytes after 0 entries");
  p = OneEntryPayload();
  p.push_back(0);
  EXPECT_EQ(ErrorOf(p), "records: 1 trailing bytes after 1 entries");
}

TEST(RecordBatch, BadOpRejected) {
  for (uint8_t op : {uint8_t{0}, uint8_t{3}, uint8_t{255}}) {
    Bytes p = OneEntryPayload();
    p[kEntryAt] = op;
    EXPECT_EQ(ErrorOf(p), "records: entry 0: op is " + std::to_string(op) +
                              ", must be 1 (upsert) or 2 (delete)");
  }
}

TEST(RecordBatch, EmptyKeyRejected) {
  Bytes p = OneEntryPayload();
  StoreLE<uint16_t>(p.data() + kKeyLenAt, 0);
  EXPECT_EQ(ErrorOf(p), "records: entry 0: key length 0 outside 1..1024");
}

TEST(RecordBatch, KeyOverLimitRejected) {
  BatchLimits limits;
  limits.max_key_bytes = 3;
  std::vector<Entry> e = {{RecordOp::kUpsert, "abcd", "", 1, 1, 1}};
  EXPECT_EQ(LimitErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "t", e)), limits),
            "records: entry 0: key length 4 outside 1..3");
  e[0].key = "abc";
  EXPECT_EQ(ErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "t", e)), limits), "");
}

TEST(RecordBatch, ValueOverLimitRejected) {
  BatchLimits limits;
  limits.max_value_bytes = 5;
  std::vector<Entry> e = {{RecordOp::kUpsert, "k", "123456", 1, 1, 1}};
  EXPECT_EQ(LimitErrorOf(PayloadOf(Write(1, SyncKind::kIncremental, "t", e)), limits),
            "records: entry 0: value length 6 over limit 5");
  // A hostile length far beyond the payload is refused by the limit, never read.
  Bytes p = OneEntryPayload();
  StoreLE<uint32_t>(p.data() + kValueLenAt, 0xffffffff);
  EXPECT_EQ(LimitErrorOf(p), "records: entry 0: value length 4294967295 over limit 65536");
}

TEST(RecordBatch, DeleteWithValueRejected) {
  Bytes p = OneEntryPayload();
  p[kEntryAt] = static_cast<uint8_t>(RecordOp::kDelete);
  EXPECT_EQ(ErrorOf(p), "records: entry 0: delete carries a value of 2 bytes");
}

TEST(RecordBatch, KeyOrValuePastEndRejected) {
  Bytes p = OneEntryPayload();
  StoreLE<uint32_t>(p.data() + kValueLenAt, 3);
  EXPECT_EQ(ErrorOf(p), "records: entry 0: payload ends inside key or value (28 of 29 bytes)");
}

TEST(RecordBatch, EveryTruncationRejected) {
  Bytes p = PayloadOf(testing::SampleBatch(1, 4));
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_NE(ErrorOf(Bytes(p.begin(), p.begin() + n)), "") << "cut to " << n;
  }
}

TEST(RecordBatch, OriginIsOpaque) {
  std::vector<Entry> e = {{RecordOp::kUpsert, "k", "v", 1, 1, 0},
                          {RecordOp::kDelete, "k", "", 2, 2, 65535}};
  Bytes payload = PayloadOf(Write(1, SyncKind::kIncremental, "t", e));  // the batch views it
  Result<RecordBatch> batch = DecodeRecordBatch(payload, BatchLimits{});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(Collect(*batch), e);
}

TEST(RecordBatchDeathTest, WriterMisuseAborts) {
  Bytes out;
  FrameWriter frames(&out);
  RecordBatchWriter batch(&frames);
  EXPECT_DEATH(batch.Add({RecordOp::kUpsert, "k", "v", 1, 1, 1}), "Add without Begin");
  batch.Begin(1, SyncKind::kIncremental, "t");
  EXPECT_DEATH(batch.Add({RecordOp::kDelete, "k", "v", 1, 1, 1}), "delete with a value");
  EXPECT_DEATH(batch.Add({RecordOp::kUpsert, "", "v", 1, 1, 1}), "key length");
}

TEST(RecordBatchDeathTest, ReadValidatedEntryRefusesShortInput) {
  Bytes p = OneEntryPayload();
  RecordEntry e;
  EXPECT_DEATH(ReadValidatedEntry(Payload(p.data() + kEntryAt, 10), &e), "unvalidated");
  EXPECT_DEATH(ReadValidatedEntry(Payload(p.data() + kEntryAt, 27), &e), "unvalidated");
}

}  // namespace
}  // namespace hasync::wire
