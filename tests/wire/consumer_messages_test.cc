// The replay-stream and consumer messages (wire/consumer_messages.h): every message round-trips
// through a FrameReader with edge values, lies at the documented offsets, and every range the
// header states is refused with a message naming the field; so are truncation at every byte,
// trailing bytes and counts the payload does not pay for. UpdateWriter cuts an op into
// fragments.
#include "wire/consumer_messages.h"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "wire/wire_test_util.h"

namespace hasync::wire {
namespace {

using testing::Bytes;
using testing::EncodeOne;
using testing::ErrorOf;
using testing::PayloadOf;
using testing::RoundTrip;

constexpr uint64_t kMax = 0xffffffffffffffff;
constexpr uint64_t kChannel = (uint64_t{1} << 48) | 7;  // node 1's 7th channel

// Decoders that take limits, with the default ones (or `limits`), as one-argument functions.
template <typename Decode>
auto With(Decode decode, ConsumerLimits limits = {}) {
  return [decode, limits](Payload p) { return decode(p, limits); };
}

// An update's records are views into the payload they were decoded from: this checks the round
// trip, then decodes `*payload`, which the caller keeps while it reads the records.
ConsumerUpdate RoundTripUpdate(const ConsumerUpdate& m, Bytes* payload) {
  RoundTrip(m, MsgType::kConsumerUpdate, [](Payload p) { return DecodeConsumerUpdate(p, {}); });
  *payload = PayloadOf(EncodeOne(m));
  Result<ConsumerUpdate> d = DecodeConsumerUpdate(*payload, {});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? d.value() : ConsumerUpdate{};
}

template <typename Message, typename Decode>
std::string ErrorOfMessage(Decode decode, const Message& m) {
  return ErrorOf(decode, PayloadOf(EncodeOne(m)));
}

// Every printable byte but the space: what a table name may hold.
std::string AllTableNameBytes() {
  std::string s;
  for (char c = '!'; c <= '~'; ++c) s.push_back(c);
  return s;
}

// Every byte value, for prefixes and keys, which are binary.
std::string AllBytes(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 256));
  return s;
}

// ---- ChannelState

TEST(ConsumerMessages, ChannelStateRoundTrip) {
  ChannelState m = testing::SampleChannelState();
  ChannelState d = RoundTrip(m, MsgType::kChannelState, With(DecodeChannelState));
  EXPECT_EQ(d.channel, kChannel);
  EXPECT_EQ(d.next_op, 40u);
  EXPECT_EQ(d.acked_op, 30u);
  EXPECT_EQ(d.acked_term, 900u);
  EXPECT_FALSE(d.full_replay);
  EXPECT_EQ(d.table, "sessions");
  EXPECT_EQ(d.prefix, "10.1.");
  ASSERT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(d.pending[1].first_op, 32u);
  EXPECT_EQ(d.pending[1].last_op, 35u);
  EXPECT_EQ(d.pending[1].term, 900u);
  EXPECT_EQ(d.pending[1].mask, 0x8000000000000010u);
}

TEST(ConsumerMessages, ChannelStateEdgeValues) {
  // The largest values, the longest table name and prefix, every byte in them, one-op ranges
  // back to back up to next_op - 1.
  ChannelState m{.channel = kMax,
                 .next_op = kMax,
                 .acked_op = kMax - 4,
                 .acked_term = kMax,
                 .full_replay = true,
                 .table = AllTableNameBytes() + std::string(128 - 94, 'x'),
                 .prefix = AllBytes(1024),
                 .pending = {{kMax - 3, kMax - 3, 0, 0}, {kMax - 2, kMax - 1, kMax, kMax}}};
  ChannelState d = RoundTrip(m, MsgType::kChannelState, With(DecodeChannelState));
  EXPECT_TRUE(d.full_replay);
  EXPECT_EQ(d.table, m.table);
  EXPECT_EQ(d.prefix, m.prefix);
  EXPECT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(PayloadOf(EncodeOne(m)).size(), 33 + 2 + 128 + 2 + 1024 + 4 + 2 * 32u);
  // The smallest: a fresh channel, no prefix, nothing pending.
  ChannelState fresh{.channel = 1,
                     .next_op = 0,
                     .acked_op = 0,
                     .acked_term = 0,
                     .full_replay = false,
                     .table = "t",
                     .prefix = "",
                     .pending = {}};
  d = RoundTrip(fresh, MsgType::kChannelState, With(DecodeChannelState));
  EXPECT_EQ(d.prefix, "");
  EXPECT_TRUE(d.pending.empty());
  EXPECT_EQ(PayloadOf(EncodeOne(fresh)).size(), 33 + 3 + 2 + 4u);
}

TEST(ConsumerMessages, ChannelStateLayoutMatchesDocumentation) {
  ChannelState m = testing::SampleChannelState();
  m.full_replay = true;
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), 33 + 2 + 8 + 2 + 5 + 4 + 2 * 32u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data()), kChannel);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 8), 40u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 16), 30u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 24), 900u);
  EXPECT_EQ(p[32], kChannelStateFullReplay);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 33), 8);
  EXPECT_EQ(std::string(p.begin() + 35, p.begin() + 43), "sessions");
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 43), 5);
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + 50), 2u);
  const uint8_t* e = p.data() + 54 + 32;  // the second entry
  EXPECT_EQ(LoadLE<uint64_t>(e), 32u);
  EXPECT_EQ(LoadLE<uint64_t>(e + 8), 35u);
  EXPECT_EQ(LoadLE<uint64_t>(e + 16), 900u);
  EXPECT_EQ(LoadLE<uint64_t>(e + 24), 0x8000000000000010u);
}

TEST(ConsumerMessages, ChannelStateFieldsValidated) {
  auto error = [](const ChannelState& m, ConsumerLimits limits = {}) {
    return ErrorOfMessage(With(DecodeChannelState, limits), m);
  };
  const ChannelState ok = testing::SampleChannelState();
  EXPECT_EQ(error(ok), "");
  ChannelState m = ok;
  m.channel = 0;
  EXPECT_EQ(error(m), "channel state: channel is 0, must be non-zero");
  Bytes p = PayloadOf(EncodeOne(ok));
  for (uint8_t flags : {uint8_t{0x02}, uint8_t{0x80}, uint8_t{0xff}}) {
    p[32] = flags;
    EXPECT_EQ(ErrorOf(With(DecodeChannelState), p),
              fmt::format("channel state: flags 0x{:02x} set reserved bits", flags));
  }
  m = ok;
  m.table = "";
  EXPECT_EQ(error(m), "channel state: table length 0 outside 1..128");
  m.table = "abcde";
  EXPECT_EQ(error(m,
                  ConsumerLimits{
                      .max_table_name_bytes = 4, .max_key_bytes = 1024, .max_value_bytes = 65536}),
            "channel state: table length 5 outside 1..4");
  m.table = "a b";
  EXPECT_EQ(error(m), "channel state: table byte 1 is 0x20, must be printable ASCII, no space");
  m.table = "a\x7f";
  EXPECT_EQ(error(m), "channel state: table byte 1 is 0x7f, must be printable ASCII, no space");
  m.table = "\xc3\xa9";
  EXPECT_EQ(error(m), "channel state: table byte 0 is 0xc3, must be printable ASCII, no space");
  m = ok;
  m.prefix = std::string(1025, 'p');
  EXPECT_EQ(error(m), "channel state: prefix length 1025 outside 0..1024");
  m.prefix = std::string(1024, 'p');
  EXPECT_EQ(error(m), "");
}

TEST(ConsumerMessages, ChannelStatePendingOrderValidated) {
  auto error = [](std::vector<PendingRange> pending) {
    ChannelState m = testing::SampleChannelState();  // acked_op 30, next_op 40
    m.pending = std::move(pending);
    return ErrorOfMessage(With(DecodeChannelState), m);
  };
  EXPECT_EQ(error({{31, 39, 1, 1}}), "");
  EXPECT_EQ(error({{30, 31, 1, 1}}), "channel state: pending 0: first_op 30 not above acked_op 30");
  EXPECT_EQ(error({{31, 32, 1, 1}, {32, 33, 1, 1}}),
            "channel state: pending 1: first_op 32 not above the previous last_op 32");
  EXPECT_EQ(error({{33, 34, 1, 1}, {31, 32, 1, 1}}),
            "channel state: pending 1: first_op 31 not above the previous last_op 34");
  EXPECT_EQ(error({{32, 31, 1, 1}}), "channel state: pending 0: last_op 31 below first_op 32");
  EXPECT_EQ(error({{31, 40, 1, 1}}), "channel state: pending 0: last_op 40 not below next_op 40");
  EXPECT_EQ(error({{31, 31, 1, 1}, {35, kMax, 1, 1}}),
            "channel state: pending 1: last_op 18446744073709551615 not below next_op 40");
}

// ---- ConsumerOps

TEST(ConsumerMessages, ConsumerOpsRoundTrip) {
  ConsumerOps d =
      RoundTrip(testing::SampleConsumerOps(), MsgType::kConsumerOps, With(DecodeConsumerOps));
  EXPECT_EQ(d.term, 1000u);
  EXPECT_TRUE(d.keys_complete);
  ASSERT_EQ(d.tables.size(), 2u);
  EXPECT_EQ(d.tables[0].table, "sessions");
  EXPECT_EQ(d.tables[0].keys, (std::vector<std::string>{"10.1.0.1", "10.2.0.9"}));
  EXPECT_EQ(d.tables[1].keys, std::vector<std::string>{"k"});
  ASSERT_EQ(d.ops.size(), 2u);
  EXPECT_EQ(d.ops[0].channel, kChannel);
  EXPECT_EQ(d.ops[0].op, 40u);
  EXPECT_EQ(d.ops[0].mask, 0x11u);
  EXPECT_TRUE(d.ops[0].keyed);
  EXPECT_FALSE(d.ops[1].keyed);
}

TEST(ConsumerMessages, ConsumerOpsEdgeValues) {
  // Nothing at all: a turn whose ops were all replays has neither keys nor keyed ops.
  ConsumerOps empty{.term = 0, .keys_complete = false, .tables = {}, .ops = {}};
  RoundTrip(empty, MsgType::kConsumerOps, With(DecodeConsumerOps));
  EXPECT_EQ(PayloadOf(EncodeOne(empty)).size(), 8 + 1 + 2 + 4u);
  // A table with no keys, the longest key of every byte, the largest values.
  ConsumerOps m{
      .term = kMax,
      .keys_complete = true,
      .tables = {{"a", {}}, {AllTableNameBytes(), {AllBytes(1024), std::string(1, '\0')}}},
      .ops = {{kMax, kMax, kMax, true}, {1, 1, 0, false}}};
  ConsumerOps d = RoundTrip(m, MsgType::kConsumerOps, With(DecodeConsumerOps));
  EXPECT_TRUE(d.tables[0].keys.empty());
  EXPECT_EQ(d.tables[1].keys[0], AllBytes(1024));
  EXPECT_EQ(d.tables[1].keys[1], std::string(1, '\0'));
  // Without the keys flag the ops are sections only, and the frame may still list keys.
  m.keys_complete = false;
  m.ops[0].keyed = false;
  RoundTrip(m, MsgType::kConsumerOps, With(DecodeConsumerOps));
}

TEST(ConsumerMessages, ConsumerOpsLayoutMatchesDocumentation) {
  ConsumerOps m{.term = 0x0102030405060708,
                .keys_complete = true,
                .tables = {{"t", {"ab"}}},
                .ops = {{5, 6, 7, true}}};
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), 11 + (2 + 1 + 4 + 2 + 2) + 4 + 25u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data()), 0x0102030405060708u);
  EXPECT_EQ(p[8], kConsumerOpsKeysComplete);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 9), 1);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 11), 1);
  EXPECT_EQ(p[13], 't');
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + 14), 1u);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 18), 2);
  EXPECT_EQ(std::string(p.begin() + 20, p.begin() + 22), "ab");
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + 22), 1u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 26), 5u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 34), 6u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 42), 7u);
  EXPECT_EQ(p[50], 1);
}

TEST(ConsumerMessages, ConsumerOpsFieldsValidated) {
  auto error = [](const ConsumerOps& m, ConsumerLimits limits = {}) {
    return ErrorOfMessage(With(DecodeConsumerOps, limits), m);
  };
  const ConsumerOps ok = testing::SampleConsumerOps();
  EXPECT_EQ(error(ok), "");
  Bytes p = PayloadOf(EncodeOne(ok));
  p[8] = 0x03;
  EXPECT_EQ(ErrorOf(With(DecodeConsumerOps), p), "consumer ops: flags 0x03 set reserved bits");
  ConsumerOps m = ok;
  m.tables[1].table = "";
  EXPECT_EQ(error(m), "consumer ops: table length 0 outside 1..128");
  m.tables[1].table = "n\tt";
  EXPECT_EQ(error(m), "consumer ops: table byte 1 is 0x09, must be printable ASCII, no space");
  m = ok;
  m.tables[0].keys[1] = "";
  EXPECT_EQ(error(m), "consumer ops: key length 0 outside 1..1024");
  m.tables[0].keys[1] = "123456789";  // the keys before it have 8 bytes
  EXPECT_EQ(error(m,
                  ConsumerLimits{
                      .max_table_name_bytes = 128, .max_key_bytes = 8, .max_value_bytes = 65536}),
            "consumer ops: key length 9 outside 1..8");
  m = ok;
  m.ops[1].channel = 0;
  EXPECT_EQ(error(m), "consumer ops: op 1: channel is 0, must be non-zero");
  m = ok;
  m.ops[0].op = 0;
  EXPECT_EQ(error(m), "consumer ops: op 0: op is 0, must be non-zero");
  p = PayloadOf(EncodeOne(ok));
  p.back() = 0x02;  // the last op's flags
  EXPECT_EQ(ErrorOf(With(DecodeConsumerOps), p),
            "consumer ops: op 1: flags 0x02 set reserved bits");
  m = ok;
  m.keys_complete = false;
  EXPECT_EQ(error(m), "consumer ops: op 0: keyed, but the frame's keys are not complete");
}

// ---- ConsumerAcks

TEST(ConsumerMessages, ConsumerAcksRoundTrip) {
  ConsumerAcks m{{{kChannel, 39, 900}, {kMax, kMax, kMax}, {1, 0, 0}}};
  ConsumerAcks d = RoundTrip(m, MsgType::kConsumerAcks, DecodeConsumerAcks);
  ASSERT_EQ(d.acks.size(), 3u);
  EXPECT_EQ(d.acks[0].channel, kChannel);
  EXPECT_EQ(d.acks[0].op, 39u);
  EXPECT_EQ(d.acks[0].term, 900u);
  EXPECT_EQ(d.acks[1].term, kMax);
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), 4 + 3 * 24u);
  EXPECT_EQ(LoadLE<uint32_t>(p.data()), 3u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 4), kChannel);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 12), 39u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 20), 900u);
  EXPECT_TRUE(RoundTrip(ConsumerAcks{}, MsgType::kConsumerAcks, DecodeConsumerAcks).acks.empty());
  m.acks[2].channel = 0;
  EXPECT_EQ(ErrorOfMessage(DecodeConsumerAcks, m),
            "consumer acks: ack 2: channel is 0, must be non-zero");
}

// ---- ChannelDrop

TEST(ConsumerMessages, ChannelDropRoundTrip) {
  for (ChannelDrop m : {ChannelDrop{0, ChannelDropReason::kForgetAll},
                        ChannelDrop{kChannel, ChannelDropReason::kTimeout},
                        ChannelDrop{kMax, ChannelDropReason::kClosed}}) {
    ChannelDrop d = RoundTrip(m, MsgType::kChannelDrop, DecodeChannelDrop);
    EXPECT_EQ(d.channel, m.channel);
    EXPECT_EQ(d.reason, m.reason);
    Bytes p = PayloadOf(EncodeOne(m));
    ASSERT_EQ(p.size(), 9u);
    EXPECT_EQ(LoadLE<uint64_t>(p.data()), m.channel);
    EXPECT_EQ(p[8], static_cast<uint8_t>(m.reason));
  }
}

TEST(ConsumerMessages, ChannelDropFieldsValidated) {
  auto error = [](uint64_t channel, uint8_t reason) {
    return ErrorOfMessage(DecodeChannelDrop,
                          ChannelDrop{channel, static_cast<ChannelDropReason>(reason)});
  };
  EXPECT_EQ(error(5, 3), "channel drop: reason is 3, must be at most 2");
  EXPECT_EQ(error(5, 255), "channel drop: reason is 255, must be at most 2");
  EXPECT_EQ(error(5, 0), "channel drop: channel is 5, must be 0 with reason 0 (forget all)");
  EXPECT_EQ(error(0, 1), "channel drop: channel is 0, must be non-zero with reason 1");
  EXPECT_EQ(error(0, 2), "channel drop: channel is 0, must be non-zero with reason 2");
}

// ---- ConsumerHello

TEST(ConsumerMessages, ConsumerHelloRoundTrip) {
  ConsumerHello d =
      RoundTrip(testing::SampleConsumerHello(), MsgType::kConsumerHello, With(DecodeConsumerHello));
  EXPECT_EQ(d.version, kConsumerProtocolVersion);
  EXPECT_FALSE(d.ack_only);
  EXPECT_EQ(d.channel, kChannel);
  EXPECT_EQ(d.last_op, 39u);
  EXPECT_EQ(d.last_term, 900u);
  EXPECT_EQ(d.table, "sessions");
  EXPECT_EQ(d.prefix, "10.1.");
  EXPECT_EQ(d.name, "billing exporter");
  ASSERT_EQ(d.ring.size(), 3u);
  EXPECT_EQ(d.ring[2].op, 39u);
  EXPECT_EQ(d.ring[2].term, 900u);
  EXPECT_EQ(d.ring[2].mask, 0x10u);
}

TEST(ConsumerMessages, ConsumerHelloEdgeValues) {
  // A new consumer that holds nothing: channel 0, no prefix, no name, no ring.
  ConsumerHello fresh{.version = kConsumerProtocolVersion,
                      .ack_only = false,
                      .channel = 0,
                      .last_op = 0,
                      .last_term = 0,
                      .table = "t",
                      .prefix = "",
                      .name = "",
                      .ring = {}};
  RoundTrip(fresh, MsgType::kConsumerHello, With(DecodeConsumerHello));
  EXPECT_EQ(PayloadOf(EncodeOne(fresh)).size(), 27 + 3 + 2 + 2 + 2u);
  // The longest of everything: a full ring ending at the largest op, every printable byte in
  // the name (the space included), every byte in the prefix.
  ConsumerHello m{.version = kConsumerProtocolVersion,
                  .ack_only = true,
                  .channel = kMax,
                  .last_op = kMax,
                  .last_term = kMax,
                  .table = std::string(128, '~'),
                  .prefix = AllBytes(1024),
                  .name = " " + AllTableNameBytes().substr(0, 63),
                  .ring = {}};
  for (size_t i = 0; i < kMaxResumeRingEntries; ++i) {
    m.ring.push_back({kMax - (kMaxResumeRingEntries - 1 - i), i, kMax - i});
  }
  ConsumerHello d = RoundTrip(m, MsgType::kConsumerHello, With(DecodeConsumerHello));
  EXPECT_TRUE(d.ack_only);
  EXPECT_EQ(d.name, m.name);
  EXPECT_EQ(d.ring.size(), kMaxResumeRingEntries);
  EXPECT_EQ(d.ring.back().op, kMax);
}

TEST(ConsumerMessages, ConsumerHelloLayoutMatchesDocumentation) {
  ConsumerHello m = testing::SampleConsumerHello();
  m.ack_only = true;
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), 27 + 10 + 7 + 18 + 2 + 3 * 24u);
  EXPECT_EQ(LoadLE<uint16_t>(p.data()), 1);  // the version this document describes
  EXPECT_EQ(p[2], kHelloAckOnly);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 3), kChannel);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 11), 39u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 19), 900u);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 27), 8);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 37), 5);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 44), 16);
  EXPECT_EQ(std::string(p.begin() + 46, p.begin() + 62), "billing exporter");
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 62), 3);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 64), 37u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 72), 900u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 80), 0x1u);
}

// The node refuses a consumer of another version by its version; for that the decoder must not
// first trip over a layout it does not know.
TEST(ConsumerMessages, ConsumerHelloOfAnyOtherVersionDecodesToItsVersion) {
  for (uint16_t version : {uint16_t{0}, uint16_t{2}, uint16_t{9}, uint16_t{65535}}) {
    Bytes p;
    PutLE<uint16_t>(p, version);
    Result<ConsumerHello> d = DecodeConsumerHello(p, {});
    ASSERT_TRUE(d.ok()) << d.status().ToString();  // even with nothing after it
    EXPECT_EQ(d->version, version);
    p.resize(300, 0xee);
    d = DecodeConsumerHello(p, {});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->version, version);
    // Nothing else is read: the fields keep their defaults and must not be used.
    EXPECT_EQ(d->channel, 0u);
    EXPECT_EQ(d->table, "");
    EXPECT_TRUE(d->ring.empty());
  }
  EXPECT_EQ(ErrorOf(With(DecodeConsumerHello), Bytes{1}),
            "consumer hello: payload ends inside version (2 bytes needed at offset 0, 1 left)");
  // This version is read in full.
  EXPECT_EQ(ErrorOf(With(DecodeConsumerHello), Bytes{1, 0}),
            "consumer hello: payload ends inside flags (1 bytes needed at offset 2, 0 left)");
}

TEST(ConsumerMessages, ConsumerHelloFieldsValidated) {
  auto error = [](const ConsumerHello& m) { return ErrorOfMessage(With(DecodeConsumerHello), m); };
  const ConsumerHello ok = testing::SampleConsumerHello();
  EXPECT_EQ(error(ok), "");
  Bytes p = PayloadOf(EncodeOne(ok));
  p[2] = 0x02;
  EXPECT_EQ(ErrorOf(With(DecodeConsumerHello), p), "consumer hello: flags 0x02 set reserved bits");
  ConsumerHello m = ok;
  m.table = "";
  EXPECT_EQ(error(m), "consumer hello: table length 0 outside 1..128");
  m.table = std::string(129, 't');
  EXPECT_EQ(error(m), "consumer hello: table length 129 outside 1..128");
  m.table = "ses sions";
  EXPECT_EQ(error(m), "consumer hello: table byte 3 is 0x20, must be printable ASCII, no space");
  m = ok;
  m.prefix = std::string(1025, 'p');
  EXPECT_EQ(error(m), "consumer hello: prefix length 1025 outside 0..1024");
  m = ok;
  m.name = std::string(65, 'n');
  EXPECT_EQ(error(m), "consumer hello: name length 65 outside 0..64");
  m.name = "tab\there";
  EXPECT_EQ(error(m), "consumer hello: name byte 3 is 0x09, must be printable ASCII");
  m.name = "del\x7f";
  EXPECT_EQ(error(m), "consumer hello: name byte 3 is 0x7f, must be printable ASCII");
  m.name = "caf\xc3\xa9";
  EXPECT_EQ(error(m), "consumer hello: name byte 3 is 0xc3, must be printable ASCII");
}

TEST(ConsumerMessages, ConsumerHelloRingValidated) {
  auto error = [](uint64_t last_op, std::vector<ResumeEntry> ring) {
    ConsumerHello m = testing::SampleConsumerHello();
    m.last_op = last_op;
    m.ring = std::move(ring);
    return ErrorOfMessage(With(DecodeConsumerHello), m);
  };
  EXPECT_EQ(error(10, {{1, 1, 1}, {5, 1, 1}, {10, 2, 1}}), "");
  EXPECT_EQ(error(10, {{0, 1, 1}}), "consumer hello: ring 0: op is 0, must be non-zero");
  EXPECT_EQ(error(10, {{1, 1, 1}, {5, 1, 1}, {5, 2, 1}}),
            "consumer hello: ring 2: op 5 not above the previous op 5");
  EXPECT_EQ(error(10, {{6, 1, 1}, {5, 1, 1}}),
            "consumer hello: ring 1: op 5 not above the previous op 6");
  EXPECT_EQ(error(10, {{9, 1, 1}, {11, 1, 1}}), "consumer hello: ring 1: op 11 above last_op 10");
  // A consumer that holds nothing has applied no op.
  EXPECT_EQ(error(0, {{1, 1, 1}}), "consumer hello: ring 0: op 1 above last_op 0");
  std::vector<ResumeEntry> full;
  for (uint64_t op = 1; op <= kMaxResumeRingEntries + 1; ++op) full.push_back({op, 1, 1});
  EXPECT_EQ(error(1000, full), "consumer hello: ring count 257 over limit 256");
  full.pop_back();
  EXPECT_EQ(error(1000, full), "");
}

// ---- ConsumerWelcome

TEST(ConsumerMessages, ConsumerWelcomeRoundTrip) {
  for (WelcomeStatus status :
       {WelcomeStatus::kOk, WelcomeStatus::kNotActive, WelcomeStatus::kRefused}) {
    for (AckMode mode : {AckMode::kForwarded, AckMode::kDirect}) {
      ConsumerWelcome m{status, 65535, kMax, mode, 0xffffffff, std::string(256, 'w')};
      ConsumerWelcome d = RoundTrip(m, MsgType::kConsumerWelcome, DecodeConsumerWelcome);
      EXPECT_EQ(d.status, status);
      EXPECT_EQ(d.node_id, 65535);
      EXPECT_EQ(d.channel, kMax);
      EXPECT_EQ(d.ack_mode, mode);
      EXPECT_EQ(d.ack_interval_ms, 0xffffffffu);
      EXPECT_EQ(d.text, m.text);
    }
  }
  const std::string why = "consumer speaks version 2, this node 1";
  ConsumerWelcome m{WelcomeStatus::kRefused, 2, 0, AckMode::kForwarded, 10, why};
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), 18 + m.text.size());
  EXPECT_EQ(p[0], 2);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 1), 2);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 3), 0u);
  EXPECT_EQ(p[11], 0);
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + 12), 10u);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 16), m.text.size());
  EXPECT_EQ(std::string(p.begin() + 18, p.end()), m.text);
  EXPECT_EQ(RoundTrip(ConsumerWelcome{}, MsgType::kConsumerWelcome, DecodeConsumerWelcome).text,
            "");
}

TEST(ConsumerMessages, ConsumerWelcomeTextCutToLimit) {
  ConsumerWelcome m{WelcomeStatus::kRefused, 1, 0, AckMode::kForwarded, 10, std::string(1000, 't')};
  Result<ConsumerWelcome> d = DecodeConsumerWelcome(PayloadOf(EncodeOne(m)));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->text, std::string(kMaxWelcomeTextBytes, 't'));
}

TEST(ConsumerMessages, ConsumerWelcomeFieldsValidated) {
  auto error = [](uint8_t status, uint8_t mode) {
    return ErrorOfMessage(DecodeConsumerWelcome,
                          ConsumerWelcome{static_cast<WelcomeStatus>(status), 1, 1,
                                          static_cast<AckMode>(mode), 10, ""});
  };
  EXPECT_EQ(error(3, 0), "consumer welcome: status is 3, must be at most 2");
  EXPECT_EQ(error(0, 2), "consumer welcome: ack_mode is 2, must be at most 1");
  EXPECT_EQ(error(255, 255), "consumer welcome: status is 255, must be at most 2");
  Bytes p = PayloadOf(EncodeOne(ConsumerWelcome{}));
  StoreLE<uint16_t>(p.data() + 16, 257);
  p.resize(p.size() + 257, 't');
  EXPECT_EQ(ErrorOf(DecodeConsumerWelcome, p), "consumer welcome: text length 257 outside 0..256");
}

// ---- ConsumerUpdate

TEST(ConsumerMessages, ConsumerUpdateRoundTrip) {
  Bytes payload;
  ConsumerUpdate d = RoundTripUpdate(testing::SampleConsumerUpdate(), &payload);
  EXPECT_EQ(d.channel, kChannel);
  EXPECT_EQ(d.op, 41u);
  EXPECT_EQ(d.term, 1000u);
  EXPECT_EQ(d.mask, 0x11u);
  EXPECT_TRUE(d.replay);
  EXPECT_FALSE(d.more);
  EXPECT_EQ(d.reset, 0x10u);
  ASSERT_EQ(d.records.size(), 3u);
  EXPECT_EQ(d.records[0].section, 4);
  EXPECT_EQ(d.records[0].kind, UpdateKind::kPut);
  EXPECT_EQ(d.records[0].key, "10.1.0.1");
  EXPECT_EQ(d.records[0].value, "value-1");
  EXPECT_EQ(d.records[1].kind, UpdateKind::kDelete);
  EXPECT_EQ(d.records[1].value, "");
  EXPECT_EQ(d.records[2].section, 63);  // a put of an empty value
  EXPECT_EQ(d.records[2].kind, UpdateKind::kPut);
}

TEST(ConsumerMessages, ConsumerUpdateEdgeValues) {
  const std::string key = AllBytes(1024), value = AllBytes(65536);
  for (uint8_t flags : {uint8_t{0}, kUpdateMore, kUpdateReplay, uint8_t{3}}) {
    bool replay = (flags & kUpdateReplay) != 0;
    ConsumerUpdate m{.channel = kMax,
                     .op = kMax,
                     .term = kMax,
                     .mask = kMax,
                     .replay = replay,
                     .more = (flags & kUpdateMore) != 0,
                     .reset = replay ? kMax : 0,
                     .records = {{63, UpdateKind::kPut, key, value}}};
    Bytes payload;
    ConsumerUpdate d = RoundTripUpdate(m, &payload);
    EXPECT_EQ(d.replay, m.replay);
    EXPECT_EQ(d.more, m.more);
    EXPECT_EQ(d.reset, m.reset);
    EXPECT_EQ(d.records[0].key, key);
    EXPECT_EQ(d.records[0].value, value);
  }
  // An update with no record: the last fragment of an op may be empty.
  ConsumerUpdate empty{.channel = 1,
                       .op = 1,
                       .term = 0,
                       .mask = 0,
                       .replay = false,
                       .more = false,
                       .reset = 0,
                       .records = {}};
  Bytes payload;
  EXPECT_TRUE(RoundTripUpdate(empty, &payload).records.empty());
  EXPECT_EQ(PayloadOf(EncodeOne(empty)).size(), kUpdateHeaderBytes);
}

TEST(ConsumerMessages, ConsumerUpdateLayoutMatchesDocumentation) {
  ConsumerUpdate m = testing::SampleConsumerUpdate();
  m.more = true;
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), kUpdateHeaderBytes + 3 * kUpdateRecordHeaderBytes + 24 + 7);
  EXPECT_EQ(LoadLE<uint64_t>(p.data()), kChannel);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 8), 41u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 16), 1000u);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 24), 0x11u);
  EXPECT_EQ(p[32], kUpdateReplay | kUpdateMore);
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 33), 0x10u);
  EXPECT_EQ(LoadLE<uint32_t>(p.data() + 41), 3u);
  const uint8_t* r = p.data() + kUpdateHeaderBytes;
  EXPECT_EQ(r[0], 4);
  EXPECT_EQ(r[1], 1);
  EXPECT_EQ(LoadLE<uint16_t>(r + 2), 8);
  EXPECT_EQ(LoadLE<uint32_t>(r + 4), 7u);
  EXPECT_EQ(std::string(r + 8, r + 16), "10.1.0.1");
  EXPECT_EQ(std::string(r + 16, r + 23), "value-1");
  r += kUpdateRecordHeaderBytes + 15;
  EXPECT_EQ(r[0], 0);
  EXPECT_EQ(r[1], 2);
  EXPECT_EQ(LoadLE<uint32_t>(r + 4), 0u);
}

// The sample update has one record ("k", "vv"), so the record's fields sit at fixed offsets.
Bytes OneRecordUpdate() {
  ConsumerUpdate m{.channel = 1,
                   .op = 1,
                   .term = 1,
                   .mask = 1,
                   .replay = false,
                   .more = false,
                   .reset = 0,
                   .records = {{0, UpdateKind::kPut, "k", "vv"}}};
  return PayloadOf(EncodeOne(m));
}
constexpr size_t kRecordAt = kUpdateHeaderBytes;

TEST(ConsumerMessages, ConsumerUpdateHeaderValidated) {
  auto error = [](void (*edit)(ConsumerUpdate&)) {
    ConsumerUpdate m = testing::SampleConsumerUpdate();
    edit(m);
    return ErrorOfMessage(With(DecodeConsumerUpdate), m);
  };
  EXPECT_EQ(error([](ConsumerUpdate&) {}), "");
  EXPECT_EQ(error([](ConsumerUpdate& m) { m.channel = 0; }),
            "consumer update: channel is 0, must be non-zero");
  EXPECT_EQ(error([](ConsumerUpdate& m) { m.op = 0; }),
            "consumer update: op is 0, must be non-zero");
  EXPECT_EQ(error([](ConsumerUpdate& m) { m.replay = false; }),
            "consumer update: reset is 0x0000000000000010 without the replay flag, must be 0");
  EXPECT_EQ(error([](ConsumerUpdate& m) { m.reset = 0; }), "");  // a replay of keys only
  Bytes p = OneRecordUpdate();
  for (uint8_t flags : {uint8_t{0x04}, uint8_t{0x07}, uint8_t{0x80}}) {
    p[32] = flags;
    EXPECT_EQ(ErrorOf(With(DecodeConsumerUpdate), p),
              fmt::format("consumer update: flags 0x{:02x} set reserved bits", flags));
  }
}

TEST(ConsumerMessages, ConsumerUpdateRecordsValidated) {
  auto error = [](size_t at, auto value, ConsumerLimits limits = {}) {
    Bytes p = OneRecordUpdate();
    StoreLE<decltype(value)>(p.data() + kRecordAt + at, value);
    return ErrorOf(With(DecodeConsumerUpdate, limits), p);
  };
  EXPECT_EQ(error(0, uint8_t{63}), "");
  EXPECT_EQ(error(0, uint8_t{64}), "consumer update: record 0: section is 64, must be at most 63");
  EXPECT_EQ(error(0, uint8_t{255}),
            "consumer update: record 0: section is 255, must be at most 63");
  for (uint8_t kind : {uint8_t{0}, uint8_t{3}, uint8_t{255}}) {
    EXPECT_EQ(error(1, kind), fmt::format("consumer update: record 0: kind is {}, must be 1 "
                                          "(put) or 2 (delete)",
                                          kind));
  }
  EXPECT_EQ(error(1, uint8_t{2}), "consumer update: record 0: delete carries a value of 2 bytes");
  EXPECT_EQ(error(2, uint16_t{0}), "consumer update: record 0: key length 0 outside 1..1024");
  EXPECT_EQ(error(2, uint16_t{1025}), "consumer update: record 0: key length 1025 outside 1..1024");
  // A hostile value length far beyond the payload is refused by the limit, never read.
  EXPECT_EQ(error(4, uint32_t{0xffffffff}),
            "consumer update: record 0: value length 4294967295 over limit 65536");
  ConsumerLimits small{.max_table_name_bytes = 128, .max_key_bytes = 1, .max_value_bytes = 1};
  EXPECT_EQ(error(4, uint32_t{2}, small), "consumer update: record 0: value length 2 over limit 1");
  EXPECT_EQ(error(4, uint32_t{3}),
            "consumer update: record 0: payload ends inside key or value (3 of 4 bytes)");
  EXPECT_EQ(error(2, uint16_t{3}),
            "consumer update: record 0: payload ends inside key or value (3 of 5 bytes)");
}

// ---- ConsumerAck, ConsumerPing

TEST(ConsumerMessages, ConsumerAckRoundTrip) {
  for (ConsumerAck m :
       {ConsumerAck{kChannel, 41, 1000}, ConsumerAck{kMax, kMax, kMax}, ConsumerAck{1, 0, 0}}) {
    ConsumerAck d = RoundTrip(m, MsgType::kConsumerAck, DecodeConsumerAck);
    EXPECT_EQ(d.channel, m.channel);
    EXPECT_EQ(d.op, m.op);
    EXPECT_EQ(d.term, m.term);
    Bytes p = PayloadOf(EncodeOne(m));
    ASSERT_EQ(p.size(), 24u);
    EXPECT_EQ(LoadLE<uint64_t>(p.data() + 8), m.op);
    EXPECT_EQ(LoadLE<uint64_t>(p.data() + 16), m.term);
  }
  EXPECT_EQ(ErrorOfMessage(DecodeConsumerAck, ConsumerAck{0, 1, 1}),
            "consumer ack: channel is 0, must be non-zero");
}

TEST(ConsumerMessages, ConsumerPingIsEmpty) {
  RoundTrip(ConsumerPing{}, MsgType::kConsumerPing, DecodeConsumerPing);
  EXPECT_TRUE(PayloadOf(EncodeOne(ConsumerPing{})).empty());
  EXPECT_EQ(ErrorOf(DecodeConsumerPing, Bytes{0}),
            "consumer ping: 1 trailing bytes after the last field");
}

// ---- Counts the payload does not pay for

// A count is checked against the bytes left before anything is reserved: the largest count is
// refused by the arithmetic (reserving for it would need hundreds of GiB and abort), and one
// entry more than the bytes hold is refused as surely as 2^32-1 of them.
TEST(ConsumerMessages, HostileCountsRejectedBeforeAllocating) {
  Bytes p = PayloadOf(EncodeOne(testing::SampleChannelState()));
  constexpr size_t kCountAt = 50;  // 33 + table (2 + 8) + prefix (2 + 5)
  StoreLE<uint32_t>(p.data() + kCountAt, 0xffffffff);
  EXPECT_EQ(ErrorOf(With(DecodeChannelState), p),
            "channel state: count 4294967295 needs at least 137438953440 bytes, 64 left");
  StoreLE<uint32_t>(p.data() + kCountAt, 3);
  EXPECT_EQ(ErrorOf(With(DecodeChannelState), p),
            "channel state: count 3 needs at least 96 bytes, 64 left");

  p = PayloadOf(EncodeOne(testing::SampleConsumerOps()));
  StoreLE<uint16_t>(p.data() + 9, 0xffff);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerOps), p),
            "consumer ops: table count 65535 needs at least 458745 bytes, 100 left");
  p = PayloadOf(EncodeOne(testing::SampleConsumerOps()));
  constexpr size_t kKeyCountAt = 11 + 2 + 8;  // the first table's
  StoreLE<uint32_t>(p.data() + kKeyCountAt, 0xffffffff);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerOps), p),
            "consumer ops: key count 4294967295 needs at least 12884901885 bytes, 86 left");
  p = PayloadOf(EncodeOne(testing::SampleConsumerOps()));
  const size_t op_count_at = p.size() - 4 - 2 * 25;
  StoreLE<uint32_t>(p.data() + op_count_at, 0xffffffff);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerOps), p),
            "consumer ops: op count 4294967295 needs at least 107374182375 bytes, 50 left");

  p = PayloadOf(EncodeOne(ConsumerAcks{{{1, 1, 1}}}));
  StoreLE<uint32_t>(p.data(), 0xffffffff);
  EXPECT_EQ(ErrorOf(DecodeConsumerAcks, p),
            "consumer acks: count 4294967295 needs at least 103079215080 bytes, 24 left");

  p = PayloadOf(EncodeOne(testing::SampleConsumerHello()));
  constexpr size_t kRingCountAt = 62;
  StoreLE<uint16_t>(p.data() + kRingCountAt, 4);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerHello), p),
            "consumer hello: ring count 4 needs at least 96 bytes, 72 left");
  StoreLE<uint16_t>(p.data() + kRingCountAt, 0xffff);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerHello), p),
            "consumer hello: ring count 65535 over limit 256");

  p = OneRecordUpdate();
  StoreLE<uint32_t>(p.data() + 41, 0xffffffff);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerUpdate), p),
            "consumer update: count 4294967295 needs at least 38654705655 bytes, 11 left");
  // Two records' worth of bytes (18) for the count, but the first record takes 11 of them.
  p = OneRecordUpdate();
  p.resize(p.size() + 7, 0);
  StoreLE<uint32_t>(p.data() + 41, 2);
  EXPECT_EQ(ErrorOf(With(DecodeConsumerUpdate), p),
            "consumer update: record 1: payload ends inside the record header (7 of 8 bytes)");
}

// ---- Every decoder: truncation and trailing bytes

using AnyDecoder = std::function<Status(Payload)>;
template <typename Decode>
AnyDecoder Wrap(Decode decode) {
  return [decode](Payload p) { return decode(p).status(); };
}

// Every decoder with the sample payload of its type (wire_test_util.h).
std::vector<std::pair<MsgType, AnyDecoder>> AllDecoders() {
  return {
      {MsgType::kChannelState, Wrap(With(DecodeChannelState))},
      {MsgType::kConsumerOps, Wrap(With(DecodeConsumerOps))},
      {MsgType::kConsumerAcks, Wrap(DecodeConsumerAcks)},
      {MsgType::kChannelDrop, Wrap(DecodeChannelDrop)},
      {MsgType::kConsumerHello, Wrap(With(DecodeConsumerHello))},
      {MsgType::kConsumerWelcome, Wrap(DecodeConsumerWelcome)},
      {MsgType::kConsumerUpdate, Wrap(With(DecodeConsumerUpdate))},
      {MsgType::kConsumerAck, Wrap(DecodeConsumerAck)},
      {MsgType::kConsumerPing, Wrap(DecodeConsumerPing)},
  };
}

Bytes SamplePayload(MsgType type) {
  return PayloadOf(testing::SampleFrames()[static_cast<size_t>(type) - 1]);
}

TEST(ConsumerMessages, TrailingBytesRejected) {
  for (const auto& [type, decode] : AllDecoders()) {
    Bytes p = SamplePayload(type);
    ASSERT_TRUE(decode(p).ok()) << int(type) << ": " << decode(p).ToString();
    for (size_t extra : {1, 7, 24}) {
      Bytes longer = p;
      longer.resize(p.size() + extra, 0);
      Status s = decode(longer);
      EXPECT_EQ(s.code(), Code::kProtocol) << int(type);
      EXPECT_NE(s.message().find(fmt::format("{} trailing bytes after the last field", extra)),
                std::string::npos)
          << int(type) << ": " << s.message();
    }
  }
}

// Cut at every byte offset, every payload is refused (never accepted, never a crash: the asan
// preset runs this under ASan+UBSan).
TEST(ConsumerMessages, EveryTruncationRejected) {
  for (const auto& [type, decode] : AllDecoders()) {
    Bytes p = SamplePayload(type);
    for (size_t n = 0; n < p.size(); ++n) {
      Bytes cut(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n));  // no bytes past the cut
      Status s = decode(cut);
      EXPECT_EQ(s.code(), Code::kProtocol) << "type " << int(type) << " cut to " << n;
      EXPECT_FALSE(s.message().empty());
    }
  }
}

// ---- UpdateWriter

TEST(UpdateWriter, CountsPayloadBytes) {
  Bytes out;
  FrameWriter frames(&out);
  UpdateWriter writer(&frames);
  EXPECT_FALSE(writer.open());
  EXPECT_EQ(writer.bytes(), 0u);
  writer.Begin(1, testing::SampleConsumerUpdate());  // its records are not written
  EXPECT_TRUE(writer.open());
  EXPECT_EQ(writer.bytes(), kUpdateHeaderBytes);
  EXPECT_EQ(writer.count(), 0u);
  writer.Add({1, UpdateKind::kPut, "key", "value"});
  EXPECT_EQ(writer.bytes(), kUpdateHeaderBytes + kUpdateRecordHeaderBytes + 3 + 5);
  EXPECT_EQ(writer.count(), 1u);
  writer.Finish();
  EXPECT_FALSE(writer.open());
  EXPECT_EQ(writer.bytes(), 0u);
  EXPECT_EQ(out.size(), kFrameOverheadBytes + kUpdateHeaderBytes + kUpdateRecordHeaderBytes + 8);
  Bytes payload = PayloadOf(out);  // the records view it
  Result<ConsumerUpdate> d = DecodeConsumerUpdate(payload, {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->records.size(), 1u);
  EXPECT_EQ(d->records[0].key, "key");
}

struct Record {
  uint8_t section;
  UpdateKind kind;
  std::string key, value;
  bool operator==(const Record&) const = default;
};
void PrintTo(const Record& r, std::ostream* os) {
  *os << int(r.section) << (r.kind == UpdateKind::kPut ? " put " : " delete ") << r.key << " ("
      << r.value.size() << " bytes)";
}

// Cuts one op into fragments of at most `budget` payload bytes (a record that alone is larger
// gets a fragment of its own), deciding that a fragment is not the last only when the next
// record does not fit, as the publisher does.
Bytes WriteFragments(const ConsumerUpdate& header, const std::vector<Record>& records,
                     size_t budget, uint64_t first_seq) {
  Bytes out;
  FrameWriter frames(&out);
  UpdateWriter writer(&frames);
  uint64_t seq = first_seq;
  writer.Begin(seq++, header);
  for (const Record& r : records) {
    size_t size = kUpdateRecordHeaderBytes + r.key.size() + r.value.size();
    if (writer.count() > 0 && writer.bytes() + size > budget) {
      writer.Finish(true);
      writer.Begin(seq++, header);
    }
    writer.Add({r.section, r.kind, r.key, r.value});
  }
  writer.Finish();
  return out;
}

TEST(UpdateWriter, FragmentsCarryEveryRecordOnce) {
  std::vector<Record> records;
  for (int i = 0; i < 200; ++i) {
    bool del = i % 5 == 4;
    records.push_back({static_cast<uint8_t>(i % 64), del ? UpdateKind::kDelete : UpdateKind::kPut,
                       "10.0." + std::to_string(i), del ? "" : std::string(i * 7 % 300, 'v')});
  }
  records.push_back({1, UpdateKind::kPut, "big", std::string(5000, 'b')});  // over the budget
  records.push_back({2, UpdateKind::kPut, "after", "x"});
  ConsumerUpdate header = testing::SampleConsumerUpdate();
  constexpr size_t kBudget = 2048;
  Bytes stream = WriteFragments(header, records, kBudget, 1);

  FrameReader reader;
  reader.Feed(stream);
  std::vector<Record> seen;
  size_t fragments = 0;
  bool last_seen = false;
  for (Result<FrameView> f = reader.Next(); f.ok(); f = reader.Next()) {
    ASSERT_FALSE(last_seen) << "a fragment after the last";
    ASSERT_EQ(f->type, MsgType::kConsumerUpdate);
    EXPECT_EQ(f->seq, 1 + fragments);
    Result<ConsumerUpdate> d = DecodeConsumerUpdate(f->payload, {});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    // Every fragment repeats the op's header; only the last one lacks the more flag.
    EXPECT_EQ(d->channel, header.channel);
    EXPECT_EQ(d->op, header.op);
    EXPECT_EQ(d->term, header.term);
    EXPECT_EQ(d->mask, header.mask);
    EXPECT_EQ(d->replay, header.replay);
    EXPECT_EQ(d->reset, header.reset);
    EXPECT_FALSE(d->records.empty());
    if (d->records.size() > 1) {
      EXPECT_LE(f->payload.size(), kBudget);
    }
    last_seen = !d->more;
    for (const UpdateRecord& r : d->records) {
      seen.push_back({r.section, r.kind, std::string(r.key), std::string(r.value)});
    }
    ++fragments;
  }
  EXPECT_EQ(reader.Next().status().code(), Code::kNotFound);  // every frame read, none refused
  EXPECT_TRUE(last_seen);
  EXPECT_GT(fragments, 10u);
  EXPECT_EQ(seen, records);
}

TEST(UpdateWriter, HeaderMoreFlagIsKept) {
  ConsumerUpdate header = testing::SampleConsumerUpdate();
  header.more = true;
  for (bool more : {false, true}) {
    Bytes out;
    FrameWriter frames(&out);
    UpdateWriter writer(&frames);
    writer.Begin(1, header);
    writer.Finish(more);
    Result<ConsumerUpdate> d = DecodeConsumerUpdate(PayloadOf(out), {});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(d->more);
    EXPECT_TRUE(d->replay);
  }
}

TEST(UpdateWriterDeathTest, MisuseAborts) {
  Bytes out;
  FrameWriter frames(&out);
  UpdateWriter writer(&frames);
  EXPECT_DEATH(writer.Add({0, UpdateKind::kPut, "k", "v"}), "Add without Begin");
  EXPECT_DEATH(writer.Finish(), "Finish without Begin");
  writer.Begin(1, testing::SampleConsumerUpdate());
  EXPECT_DEATH(writer.Begin(2, testing::SampleConsumerUpdate()), "already open");
  EXPECT_DEATH(writer.Add({0, UpdateKind::kDelete, "k", "v"}), "delete with a value");
  EXPECT_DEATH(writer.Add({0, UpdateKind::kPut, "", "v"}), "key length");
  EXPECT_DEATH(writer.Add({0, static_cast<UpdateKind>(3), "k", ""}), "bad update record kind");
}

TEST(ConsumerMessagesDeathTest, CountsPastTheirFieldAbort) {
  ConsumerHello hello = testing::SampleConsumerHello();
  hello.ring.resize(65536);
  EXPECT_DEATH(EncodeOne(hello), "more than 65535 resume ring entries");
  ConsumerOps ops = testing::SampleConsumerOps();
  ops.tables.resize(65536, TableKeys{"t", {}});
  EXPECT_DEATH(EncodeOne(ops), "more than 65535 tables");
}

}  // namespace
}  // namespace hasync::wire
