#include "wire/messages.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "wire/wire_test_util.h"

namespace hasync::wire {
namespace {

using testing::Bytes;
using testing::EncodeOne;
using testing::PayloadOf;

// Encodes `m`, reads it back through a FrameReader (so the frame is checked too), and decodes.
template <typename Message, typename Decode>
Message RoundTrip(const Message& m, MsgType type, Decode decode) {
  Bytes frame = EncodeOne(m, 1);
  FrameReader reader;
  reader.Feed(frame);
  Result<FrameView> f = reader.Next();
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return Message{};
  EXPECT_EQ(f->type, type);
  auto decoded = decode(f->payload);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return Message{};
  // Re-encoding must give the very same bytes: no field is lost or reinterpreted.
  EXPECT_EQ(EncodeOne(decoded.value(), 1), frame);
  return decoded.value();
}

// The error a decoder gives for `payload` ("" when it accepts it).
template <typename Decode>
std::string ErrorOf(Decode decode, const Bytes& payload) {
  auto r = decode(Payload(payload));
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kProtocol);
  return r.status().message();
}

TEST(Messages, HelloRoundTrip) {
  Hello m;
  m.version = 1;
  m.node_id = 65535;
  m.priority = 200;
  m.role = 2;
  m.flags = kHelloFlagPreempt;
  m.gvn = 0xffffffffffffffff;
  m.active_ms = 42;
  m.config_digest = 0x0123456789abcdef;
  m.cluster = std::string(kMaxClusterBytes, 'c');
  Hello d = RoundTrip(m, MsgType::kHello, DecodeHello);
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(d.node_id, 65535);
  EXPECT_EQ(d.priority, 200);
  EXPECT_EQ(d.role, 2);
  EXPECT_EQ(d.flags, 1);
  EXPECT_EQ(d.gvn, 0xffffffffffffffffu);
  EXPECT_EQ(d.active_ms, 42u);
  EXPECT_EQ(d.config_digest, 0x0123456789abcdefu);
  EXPECT_EQ(d.cluster, m.cluster);
  EXPECT_EQ(PayloadOf(EncodeOne(m)).size(), 33 + kMaxClusterBytes);
}

TEST(Messages, HelloAcceptsAnyVersion) {
  Hello m;
  m.version = 9;
  m.node_id = 1;
  m.cluster = "x";
  EXPECT_EQ(RoundTrip(m, MsgType::kHello, DecodeHello).version, 9);
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
  RecordEof d = RoundTrip(RecordEof{SyncKind::kBulk, 8, 9}, MsgType::kRecordEof, DecodeRecordEof);
  EXPECT_EQ(d.kind, SyncKind::kBulk);
  EXPECT_EQ(d.gvn, 8u);
  EXPECT_EQ(d.sent, 9u);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 17u);
}

TEST(Messages, AckRoundTrip) {
  EXPECT_EQ(RoundTrip(Ack{77}, MsgType::kAck, DecodeAck).seq, 77u);
  EXPECT_EQ(PayloadOf(EncodeOne(Ack{77})).size(), 8u);
}

TEST(Messages, SwitchoverRequestRoundTrip) {
  SwitchoverRequest d =
      RoundTrip(SwitchoverRequest{3, 4}, MsgType::kSwitchoverRequest, DecodeSwitchoverRequest);
  EXPECT_EQ(d.id, 3u);
  EXPECT_EQ(d.gvn, 4u);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 16u);
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
  SyncRequest d =
      RoundTrip(SyncRequest{SyncKind::kBulk, 11}, MsgType::kSyncRequest, DecodeSyncRequest);
  EXPECT_EQ(d.kind, SyncKind::kBulk);
  EXPECT_EQ(d.gvn, 11u);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 9u);
}

TEST(Messages, SyncResponseRoundTrip) {
  SyncResponse d = RoundTrip(SyncResponse{SyncKind::kReconcile, true, 12}, MsgType::kSyncResponse,
                             DecodeSyncResponse);
  EXPECT_EQ(d.kind, SyncKind::kReconcile);
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.gvn, 12u);
  EXPECT_EQ(PayloadOf(EncodeOne(d)).size(), 10u);
  Bytes p = PayloadOf(EncodeOne(d));
  p[1] = 7;
  EXPECT_EQ(ErrorOf(DecodeSyncResponse, p), "sync response: accepted is 7, must be 0 or 1");
}

TEST(Messages, StreamKindMustBeBulkOrReconcile) {
  for (uint8_t kind : {uint8_t{0}, uint8_t{3}, uint8_t{255}}) {
    SyncKind k = static_cast<SyncKind>(kind);
    std::string want = "kind is " + std::to_string(kind) + ", must be 1 (bulk) or 2 (reconcile)";
    EXPECT_EQ(ErrorOf(DecodeBulkBegin, PayloadOf(EncodeOne(BulkBegin{k, 1, 1}))),
              "bulk begin: " + want);
    EXPECT_EQ(ErrorOf(DecodeRecordEof, PayloadOf(EncodeOne(RecordEof{k, 1, 1}))),
              "record eof: " + want);
    EXPECT_EQ(ErrorOf(DecodeSyncRequest, PayloadOf(EncodeOne(SyncRequest{k, 1}))),
              "sync request: " + want);
    EXPECT_EQ(ErrorOf(DecodeSyncResponse, PayloadOf(EncodeOne(SyncResponse{k, true, 1}))),
              "sync response: " + want);
  }
}

TEST(Messages, GoodbyeRoundTrip) {
  Goodbye d = RoundTrip(Goodbye{GoodbyeReason::kRejected, "peer speaks protocol v2"},
                        MsgType::kGoodbye, DecodeGoodbye);
  EXPECT_EQ(d.reason, GoodbyeReason::kRejected);
  EXPECT_EQ(d.text, "peer speaks protocol v2");
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
