#include "wire/messages.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "fmt/format.h"
#include "wire/wire_test_util.h"

namespace hasync::wire {
namespace {

using testing::Bytes;
using testing::EncodeOne;
using testing::ErrorOf;
using testing::PayloadOf;
using testing::RoundTrip;

// A stamp as the HLC makes them: milliseconds since the Unix epoch << 16 | a counter.
constexpr uint64_t Stamp(uint64_t ms, uint16_t counter) { return ms << 16 | counter; }

TEST(Messages, HelloRoundTrip) {
  Hello m;
  m.node_id = 65535;
  m.priority = 200;
  m.role = 2;
  m.flags = kHelloFlagPreempt;
  m.gvn = 0xffffffffffffffff;
  m.active_ms = 42;
  m.config_digest = 0x0123456789abcdef;
  m.hlc = Stamp(1700000000000, 65535);
  m.cluster = std::string(kMaxClusterBytes, 'c');
  Hello d = RoundTrip(m, MsgType::kHello, DecodeHello);
  EXPECT_EQ(d.version, kProtocolVersion);
  EXPECT_EQ(d.node_id, 65535);
  EXPECT_EQ(d.priority, 200);
  EXPECT_EQ(d.role, 2);
  EXPECT_EQ(d.flags, 1);
  EXPECT_EQ(d.gvn, 0xffffffffffffffffu);
  EXPECT_EQ(d.active_ms, 42u);
  EXPECT_EQ(d.config_digest, 0x0123456789abcdefu);
  EXPECT_EQ(d.hlc, Stamp(1700000000000, 65535));
  EXPECT_EQ(d.cluster, m.cluster);
  EXPECT_EQ(PayloadOf(EncodeOne(m)).size(), 41 + kMaxClusterBytes);
}

TEST(Messages, HelloLayoutMatchesDocumentation) {
  Hello m;
  m.node_id = 7;
  m.hlc = 0x0102030405060708;
  m.cluster = "pair";
  Bytes p = PayloadOf(EncodeOne(m));
  ASSERT_EQ(p.size(), 41u + 4);
  EXPECT_EQ(LoadLE<uint16_t>(p.data()), 3);  // the version this document describes
  EXPECT_EQ(LoadLE<uint64_t>(p.data() + 31), 0x0102030405060708u);
  EXPECT_EQ(LoadLE<uint16_t>(p.data() + 39), 4);
  EXPECT_EQ(std::string(p.begin() + 41, p.end()), "pair");
}

// A v1 peer's hello: 33 + cluster bytes, no hlc.
Bytes HelloV1Payload(const std::string& cluster) {
  Bytes p;
  PutLE<uint16_t>(p, 1);      // version
  PutLE<uint16_t>(p, 3);      // node_id
  PutLE<uint8_t>(p, 100);     // priority
  PutLE<uint8_t>(p, 1);       // role: active
  PutLE<uint8_t>(p, 0);       // flags
  PutLE<uint64_t>(p, 12);     // gvn
  PutLE<uint64_t>(p, 5000);   // active_ms
  PutLE<uint64_t>(p, 0xabc);  // config_digest
  PutString16(p, cluster);
  return p;
}

// The core refuses a v1 peer by its version ("peer speaks protocol v1"); for that the decoder
// must not first trip over the v1 layout, in which the cluster sits where v2 and v3 have their
// hlc.
TEST(Messages, HelloOfProtocolV1DecodesToItsVersion) {
  for (const std::string& cluster : {std::string("pair-a"), std::string(kMaxClusterBytes, 'c')}) {
    Bytes p = HelloV1Payload(cluster);
    ASSERT_EQ(p.size(), 33 + cluster.size());
    Result<Hello> d = DecodeHello(p);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->version, 1);
    // Nothing else is read: the fields keep their defaults and must not be used.
    EXPECT_EQ(d->node_id, 0);
    EXPECT_EQ(d->gvn, 0u);
    EXPECT_EQ(d->cluster, "");
  }
}

// Version 2 is the one before consumers (v3 kept its hello): a v2 peer is refused by it too.
TEST(Messages, HelloOfAnyOtherVersionDecodesToItsVersion) {
  for (uint16_t version : {uint16_t{0}, uint16_t{2}, uint16_t{4}, uint16_t{9}, uint16_t{65535}}) {
    Bytes p;
    PutLE<uint16_t>(p, version);
    EXPECT_EQ(DecodeHello(p)->version, version);  // even with nothing after it
    p.resize(200, 0xee);
    EXPECT_EQ(DecodeHello(p)->version, version);
  }
  EXPECT_EQ(ErrorOf(DecodeHello, Bytes{2}),
            "hello: payload ends inside version (2 bytes needed at offset 0, 1 left)");
  EXPECT_EQ(ErrorOf(DecodeHello, Bytes{}),
            "hello: payload ends inside version (2 bytes needed at offset 0, 0 left)");
}

// A hello that claims this version is checked in full: a v1-shaped body claiming this version
// runs out where v2 and v3 have their cluster, and a hello cut before the hlc names the hlc.
TEST(Messages, HelloOfThisVersionIsReadInFull) {
  Bytes p = HelloV1Payload("pair-a");
  StoreLE<uint16_t>(p.data(), kProtocolVersion);
  EXPECT_EQ(ErrorOf(DecodeHello, p),
            "hello: payload ends inside cluster (2 bytes needed at offset 39, 0 left)");
  Bytes whole = PayloadOf(EncodeOne(Hello{.node_id = 1, .cluster = "x"}));
  EXPECT_EQ(ErrorOf(DecodeHello, Bytes(whole.begin(), whole.begin() + 31)),
            "hello: payload ends inside hlc (8 bytes needed at offset 31, 0 left)");
}

TEST(Messages, HelloFieldsValidated) {
  Hello ok;
  ok.node_id = 1;
  ok.cluster = "pair";
  auto error = [](Hello m) { return ErrorOf(DecodeHello, PayloadOf(EncodeOne(m))); };
  EXPECT_EQ(error(ok), "");
  Hello m = ok;
  m.cluster = "";
  EXPECT_EQ(error(m), "hello: cluster length 0 outside 1..64");
  m.cluster = std::string(65, 'c');
  EXPECT_EQ(error(m), "hello: cluster length 65 outside 1..64");
  m = ok;
  m.node_id = 0;
  EXPECT_EQ(error(m), "hello: node_id is 0, must be 1..65535");
  m = ok;
  m.role = 3;
  EXPECT_EQ(error(m), "hello: role is 3, must be at most 2");
  m = ok;
  m.flags = 0x02;
  EXPECT_EQ(error(m), "hello: flags 0x02 set reserved bits");
}

TEST(Messages, HeartbeatRoundTrip) {
  Heartbeat d = RoundTrip(Heartbeat{1, 3, 123}, MsgType::kHeartbeat, DecodeHeartbeat);
  EXPECT_EQ(d.role, 1);
  EXPECT_EQ(d.sync_state, 3);
  EXPECT_EQ(d.gvn, 123u);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 10u);
  EXPECT_EQ(ErrorOf(DecodeHeartbeat, PayloadOf(EncodeOne(Heartbeat{3, 0, 0}))),
            "heartbeat: role is 3, must be at most 2");
  EXPECT_EQ(ErrorOf(DecodeHeartbeat, PayloadOf(EncodeOne(Heartbeat{0, 4, 0}))),
            "heartbeat: sync_state is 4, must be at most 3");
}

TEST(Messages, BulkBeginRoundTrip) {
  BulkBegin d =
      RoundTrip(BulkBegin{SyncKind::kReconcile, 5, 6}, MsgType::kBulkBegin, DecodeBulkBegin);
  EXPECT_EQ(d.kind, SyncKind::kReconcile);
  EXPECT_EQ(d.gvn, 5u);
  EXPECT_EQ(d.total, 6u);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 17u);
}

TEST(Messages, RecordEofRoundTrip) {
  for (SyncKind kind : {SyncKind::kBulk, SyncKind::kReconcile}) {
    RecordEof d =
        RoundTrip(RecordEof{kind, 8, 9, 0xfedcba9876543210}, MsgType::kRecordEof, DecodeRecordEof);
    EXPECT_EQ(d.kind, kind);
    EXPECT_EQ(d.gvn, 8u);
    EXPECT_EQ(d.sent, 9u);
    EXPECT_EQ(d.digest, 0xfedcba9876543210u);
    Bytes p = PayloadOf(EncodeOne(d));
    ASSERT_EQ(p.size(), 25u);
    EXPECT_EQ(LoadLE<uint64_t>(p.data() + 17), 0xfedcba9876543210u);
  }
  // An empty store's digest is 0 (the empty bulk sync that confirms a reconciliation).
  EXPECT_EQ(
      RoundTrip(RecordEof{SyncKind::kBulk, 8, 0, 0}, MsgType::kRecordEof, DecodeRecordEof).digest,
      0u);
}

// The v1 EOF (17 bytes) ends where the digest begins.
TEST(Messages, RecordEofWithoutDigestRejected) {
  Bytes p = PayloadOf(EncodeOne(RecordEof{SyncKind::kBulk, 8, 9, 10}));
  for (size_t n : {size_t{17}, size_t{24}}) {
    EXPECT_EQ(ErrorOf(DecodeRecordEof, Bytes(p.begin(), p.begin() + n)),
              "record eof: payload ends inside digest (8 bytes needed at offset 17, " +
                  std::to_string(n - 17) + " left)");
  }
}

TEST(Messages, AckRoundTrip) {
  EXPECT_EQ(RoundTrip(Ack{77}, MsgType::kAck, DecodeAck).seq, 77u);
  EXPECT_EQ(PayloadOf(EncodeOne(Ack{77})).size(), 8u);
}

TEST(Messages, SwitchoverRequestRoundTrip) {
  for (bool reconcile : {false, true}) {
    SwitchoverRequest d = RoundTrip(SwitchoverRequest{3, 4, Stamp(1700000000000, 9), reconcile},
                                    MsgType::kSwitchoverRequest, DecodeSwitchoverRequest);
    EXPECT_EQ(d.id, 3u);
    EXPECT_EQ(d.gvn, 4u);
    EXPECT_EQ(d.hlc, Stamp(1700000000000, 9));
    EXPECT_EQ(d.reconcile, reconcile);
    Bytes p = PayloadOf(EncodeOne(d));
    ASSERT_EQ(p.size(), 25u);
    EXPECT_EQ(LoadLE<uint64_t>(p.data() + 16), Stamp(1700000000000, 9));
    EXPECT_EQ(p[24], reconcile ? 1 : 0);
  }
}

TEST(Messages, SwitchoverRequestReservedFlagsRejected) {
  Bytes p = PayloadOf(EncodeOne(SwitchoverRequest{3, 4, 5, true}));
  for (uint8_t flags : {uint8_t{0x02}, uint8_t{0x03}, uint8_t{0x80}, uint8_t{0xff}}) {
    p[24] = flags;
    EXPECT_EQ(ErrorOf(DecodeSwitchoverRequest, p),
              fmt::format("switchover request: flags 0x{:02x} set reserved bits", flags));
  }
}

// The v1 request (16 bytes) ends where the hlc begins; the flags are not optional either.
TEST(Messages, SwitchoverRequestWithoutNewFieldsRejected) {
  Bytes p = PayloadOf(EncodeOne(SwitchoverRequest{3, 4, 5, false}));
  EXPECT_EQ(ErrorOf(DecodeSwitchoverRequest, Bytes(p.begin(), p.begin() + 16)),
            "switchover request: payload ends inside hlc (8 bytes needed at offset 16, 0 left)");
  EXPECT_EQ(ErrorOf(DecodeSwitchoverRequest, Bytes(p.begin(), p.begin() + 24)),
            "switchover request: payload ends inside flags (1 bytes needed at offset 24, 0 left)");
}

TEST(Messages, SwitchoverResponseRoundTrip) {
  SwitchoverResponse d = RoundTrip(SwitchoverResponse{5, true, SwitchoverRefusal::kNone},
                                   MsgType::kSwitchoverResponse, DecodeSwitchoverResponse);
  EXPECT_EQ(d.id, 5u);
  EXPECT_TRUE(d.accepted);
  d = RoundTrip(SwitchoverResponse{6, false, SwitchoverRefusal::kBusy},
                MsgType::kSwitchoverResponse, DecodeSwitchoverResponse);
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.reason, SwitchoverRefusal::kBusy);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 10u);
}

TEST(Messages, SwitchoverResponseFieldsValidated) {
  auto error = [](bool accepted, uint8_t reason) {
    return ErrorOf(DecodeSwitchoverResponse,
                   PayloadOf(EncodeOne(
                       SwitchoverResponse{1, accepted, static_cast<SwitchoverRefusal>(reason)})));
  };
  EXPECT_EQ(error(false, 4), "switchover response: reason is 4, must be at most 3");
  EXPECT_EQ(error(true, 1), "switchover response: reason 1 does not fit accepted=1");
  EXPECT_EQ(error(false, 0), "switchover response: reason 0 does not fit accepted=0");
  Bytes p = PayloadOf(EncodeOne(SwitchoverResponse{1, true, SwitchoverRefusal::kNone}));
  p[8] = 2;
  EXPECT_EQ(ErrorOf(DecodeSwitchoverResponse, p),
            "switchover response: accepted is 2, must be 0 or 1");
}

TEST(Messages, SyncRequestRoundTrip) {
  for (ReconcileReason reason : {ReconcileReason::kInterruptedBulk, ReconcileReason::kSplitBrain,
                                 ReconcileReason::kHandover}) {
    SyncRequest d = RoundTrip(SyncRequest{SyncKind::kReconcile, 11, reason}, MsgType::kSyncRequest,
                              DecodeSyncRequest);
    EXPECT_EQ(d.kind, SyncKind::kReconcile);
    EXPECT_EQ(d.gvn, 11u);
    EXPECT_EQ(d.reason, reason);
    Bytes p = PayloadOf(EncodeOne(d));
    ASSERT_EQ(p.size(), 10u);
    EXPECT_EQ(p[9], static_cast<uint8_t>(reason));
  }
}

TEST(Messages, SyncRequestReasonValidated) {
  for (uint8_t reason : {uint8_t{3}, uint8_t{128}, uint8_t{255}}) {
    SyncRequest m{SyncKind::kReconcile, 11, static_cast<ReconcileReason>(reason)};
    EXPECT_EQ(ErrorOf(DecodeSyncRequest, PayloadOf(EncodeOne(m))),
              "sync request: reason is " + std::to_string(reason) + ", must be at most 2");
  }
}

// The v1 request (9 bytes) ends where the reason begins.
TEST(Messages, SyncRequestWithoutReasonRejected) {
  Bytes p = PayloadOf(EncodeOne(SyncRequest{SyncKind::kReconcile, 11}));
  EXPECT_EQ(ErrorOf(DecodeSyncRequest, Bytes(p.begin(), p.begin() + 9)),
            "sync request: payload ends inside reason (1 bytes needed at offset 9, 0 left)");
}

TEST(Messages, SyncResponseRoundTrip) {
  for (bool accepted : {false, true}) {
    SyncResponse d = RoundTrip(SyncResponse{SyncKind::kReconcile, accepted, 12},
                               MsgType::kSyncResponse, DecodeSyncResponse);
    EXPECT_EQ(d.kind, SyncKind::kReconcile);
    EXPECT_EQ(d.accepted, accepted);
    EXPECT_EQ(d.gvn, 12u);
    EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 10u);
  }
  Bytes p = PayloadOf(EncodeOne(SyncResponse{SyncKind::kReconcile, true, 12}));
  p[1] = 7;
  EXPECT_EQ(ErrorOf(DecodeSyncResponse, p), "sync response: accepted is 7, must be 0 or 1");
}

TEST(Messages, StreamKindMustBeBulkOrReconcile) {
  for (uint8_t kind : {uint8_t{0}, uint8_t{3}, uint8_t{255}}) {
    SyncKind k = static_cast<SyncKind>(kind);
    std::string want = "kind is " + std::to_string(kind) + ", must be 1 (bulk) or 2 (reconcile)";
    EXPECT_EQ(ErrorOf(DecodeBulkBegin, PayloadOf(EncodeOne(BulkBegin{k, 1, 1}))),
              "bulk begin: " + want);
    EXPECT_EQ(ErrorOf(DecodeRecordEof, PayloadOf(EncodeOne(RecordEof{k, 1, 1, 1}))),
              "record eof: " + want);
  }
}

// Only reconciliation is asked for: a bulk sync is the active's own decision.
TEST(Messages, SyncRequestAndResponseKindMustBeReconcile) {
  for (uint8_t kind : {uint8_t{0}, uint8_t{1}, uint8_t{3}, uint8_t{255}}) {
    SyncKind k = static_cast<SyncKind>(kind);
    std::string want = "kind is " + std::to_string(kind) + ", must be 2 (reconcile)";
    EXPECT_EQ(ErrorOf(DecodeSyncRequest,
                      PayloadOf(EncodeOne(SyncRequest{k, 1, ReconcileReason::kSplitBrain}))),
              "sync request: " + want);
    EXPECT_EQ(ErrorOf(DecodeSyncResponse, PayloadOf(EncodeOne(SyncResponse{k, true, 1}))),
              "sync response: " + want);
  }
  // The kind is checked first: a bad kind is the error reported even with a bad reason too.
  EXPECT_EQ(ErrorOf(DecodeSyncRequest, PayloadOf(EncodeOne(SyncRequest{
                                           SyncKind::kBulk, 1, static_cast<ReconcileReason>(9)}))),
            "sync request: kind is 1, must be 2 (reconcile)");
}

TEST(Messages, GoodbyeRoundTrip) {
  Goodbye d = RoundTrip(Goodbye{GoodbyeReason::kRejected, "peer speaks protocol v2, this node v3"},
                        MsgType::kGoodbye, DecodeGoodbye);
  EXPECT_EQ(d.reason, GoodbyeReason::kRejected);
  EXPECT_EQ(d.text, "peer speaks protocol v2, this node v3");
  EXPECT_EQ(RoundTrip(Goodbye{}, MsgType::kGoodbye, DecodeGoodbye).text, "");
}

TEST(Messages, GoodbyeTextCutToLimit) {
  Goodbye d = RoundTrip(Goodbye{GoodbyeReason::kProtocolError, std::string(1000, 't')},
                        MsgType::kGoodbye, DecodeGoodbye);
  EXPECT_EQ(d.text, std::string(kMaxGoodbyeTextBytes, 't'));
}

TEST(Messages, GoodbyeFieldsValidated) {
  Bytes p = {3, 0, 0};
  EXPECT_EQ(ErrorOf(DecodeGoodbye, p), "goodbye: reason is 3, must be at most 2");
  p = {0};
  PutLE<uint16_t>(p, 257);
  p.resize(p.size() + 257, 't');
  EXPECT_EQ(ErrorOf(DecodeGoodbye, p), "goodbye: text length 257 outside 0..256");
}

// Every decoder, keyed by the type of the frame it reads, to run one check over all of them.
using AnyDecoder = std::function<Status(Payload)>;
template <typename Decode>
AnyDecoder Wrap(Decode decode) {
  return [decode](Payload p) { return decode(p).status(); };
}
const std::vector<std::pair<MsgType, AnyDecoder>>& AllDecoders() {
  static const std::vector<std::pair<MsgType, AnyDecoder>> all = {
      {MsgType::kHello, Wrap(DecodeHello)},
      {MsgType::kHeartbeat, Wrap(DecodeHeartbeat)},
      {MsgType::kBulkBegin, Wrap(DecodeBulkBegin)},
      {MsgType::kRecordEof, Wrap(DecodeRecordEof)},
      {MsgType::kAck, Wrap(DecodeAck)},
      {MsgType::kSwitchoverRequest, Wrap(DecodeSwitchoverRequest)},
      {MsgType::kSwitchoverResponse, Wrap(DecodeSwitchoverResponse)},
      {MsgType::kSyncRequest, Wrap(DecodeSyncRequest)},
      {MsgType::kSyncResponse, Wrap(DecodeSyncResponse)},
      {MsgType::kGoodbye, Wrap(DecodeGoodbye)},
  };
  return all;
}

Bytes SamplePayload(MsgType type) {
  return PayloadOf(testing::SampleFrames()[static_cast<size_t>(type) - 1]);
}

TEST(Messages, TrailingBytesInPayloadRejected) {
  for (const auto& [type, decode] : AllDecoders()) {
    Bytes p = SamplePayload(type);
    ASSERT_TRUE(decode(p).ok()) << decode(p).ToString();
    p.push_back(0);
    Status s = decode(p);
    EXPECT_EQ(s.code(), Code::kProtocol);
    EXPECT_NE(s.message().find("1 trailing bytes after the last field"), std::string::npos)
        << s.message();
  }
}

TEST(Messages, EveryShortPayloadRejected) {
  for (const auto& [type, decode] : AllDecoders()) {
    Bytes p = SamplePayload(type);
    for (size_t n = 0; n < p.size(); ++n) {
      Status s = decode(Payload(p.data(), n));
      EXPECT_EQ(s.code(), Code::kProtocol) << "type " << int(type) << " cut to " << n;
      EXPECT_NE(s.message().find("payload ends inside"), std::string::npos) << s.message();
    }
  }
}

}  // namespace
}  // namespace hasync::wire
