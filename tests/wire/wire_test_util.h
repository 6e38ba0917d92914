// Helpers for the wire tests: a valid frame of every type, raw frames with chosen header fields,
// the payload of a single frame, and the round trip of a message.
#pragma once

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wire/codec.h"
#include "wire/consumer_messages.h"
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::wire::testing {

using Bytes = std::vector<uint8_t>;

// Recomputes the checksum of the single frame in `frame` after a test edited its header or
// payload, so that the reader gets past the checksum to the check under test.
inline void Reseal(Bytes& frame) {
  size_t end = frame.size() - kFrameTrailerBytes;
  StoreLE<uint64_t>(frame.data() + end, XXH3_64bits(frame.data() + 4, end - 4));
}

// A frame with any header values (valid checksum), for the checks FrameWriter cannot produce.
inline Bytes RawFrame(uint8_t type, uint64_t seq, const Bytes& payload = {}, uint8_t flags = 0,
                      uint16_t reserved = 0) {
  Bytes f;
  PutLE<uint32_t>(f, static_cast<uint32_t>(20 + payload.size()));
  PutLE<uint8_t>(f, type);
  PutLE<uint8_t>(f, flags);
  PutLE<uint16_t>(f, reserved);
  PutLE<uint64_t>(f, seq);
  f.insert(f.end(), payload.begin(), payload.end());
  PutLE<uint64_t>(f, 0);
  Reseal(f);
  return f;
}

// The payload of the single frame in `frame`.
inline Bytes PayloadOf(const Bytes& frame) {
  return Bytes(frame.begin() + kFrameHeaderBytes, frame.end() - kFrameTrailerBytes);
}

template <typename Message>
Bytes EncodeOne(const Message& m, uint64_t seq = 1) {
  Bytes out;
  FrameWriter w(&out);
  Encode(w, seq, m);
  return out;
}

// The error a message decoder gives for `payload` ("" when it accepts it).
template <typename Decode>
std::string ErrorOf(Decode decode, const Bytes& payload) {
  auto r = decode(Payload(payload));
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kProtocol);
  return r.status().message();
}

// Encodes `m`, reads it back through a FrameReader (so the frame is checked too), decodes it and
// checks that encoding the result gives the very same bytes: no field is lost or reinterpreted.
// (The reader's buffer dies with it: a message that views its payload, such as an update's
// records, must not be read from the result.)
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
  EXPECT_EQ(EncodeOne(decoded.value(), 1), frame);
  return decoded.value();
}

inline Bytes SampleBatch(uint64_t seq, int entries) {
  Bytes out;
  FrameWriter frames(&out);
  RecordBatchWriter batch(&frames);
  batch.Begin(seq, SyncKind::kIncremental, "sessions");
  for (int i = 0; i < entries; ++i) {
    std::string key = "key-" + std::to_string(i);
    RecordOp op = i % 3 == 2 ? RecordOp::kDelete : RecordOp::kUpsert;
    std::string value = op == RecordOp::kDelete ? "" : std::string(10 + i, 'v');
    batch.Add(RecordEntry{op, key, value, 100u + i, 5000u + i, 1});
  }
  batch.Finish();
  return out;
}

// A valid message of each consumer type, with a little of everything (several entries, a
// prefix, keyed ops, a replay with a reset); the update's records view string literals.
inline ChannelState SampleChannelState() {
  return ChannelState{.channel = (uint64_t{1} << 48) | 7,
                      .next_op = 40,
                      .acked_op = 30,
                      .acked_term = 900,
                      .full_replay = false,
                      .table = "sessions",
                      .prefix = "10.1.",
                      .pending = {{31, 31, 900, 0x1}, {32, 35, 900, 0x8000000000000010}}};
}
inline ConsumerOps SampleConsumerOps() {
  return ConsumerOps{
      .term = 1000,
      .keys_complete = true,
      .tables = {{"sessions", {"10.1.0.1", "10.2.0.9"}}, {"nat", {"k"}}},
      .ops = {{(uint64_t{1} << 48) | 7, 40, 0x11, true}, {(uint64_t{1} << 48) | 8, 3, 0x1, false}}};
}
inline ConsumerHello SampleConsumerHello() {
  return ConsumerHello{.version = kConsumerProtocolVersion,
                       .ack_only = false,
                       .channel = (uint64_t{1} << 48) | 7,
                       .last_op = 39,
                       .last_term = 900,
                       .table = "sessions",
                       .prefix = "10.1.",
                       .name = "billing exporter",
                       .ring = {{37, 900, 0x1}, {38, 900, 0x2}, {39, 900, 0x10}}};
}
inline ConsumerUpdate SampleConsumerUpdate() {
  return ConsumerUpdate{.channel = (uint64_t{1} << 48) | 7,
                        .op = 41,
                        .term = 1000,
                        .mask = 0x11,
                        .replay = true,
                        .more = false,
                        .reset = 0x10,
                        .records = {{4, UpdateKind::kPut, "10.1.0.1", "value-1"},
                                    {0, UpdateKind::kDelete, "10.1.0.2", ""},
                                    {63, UpdateKind::kPut, "10.1.0.3", ""}}};
}

// One valid frame of every message type, in MsgType order, numbered first_seq, first_seq+1, ...
inline std::vector<Bytes> SampleFrames(uint64_t first_seq = 1) {
  uint64_t s = first_seq;
  Hello hello;
  hello.node_id = 2;
  hello.priority = 100;
  hello.role = 1;
  hello.flags = kHelloFlagPreempt;
  hello.gvn = 77;
  hello.active_ms = 123456;
  hello.config_digest = 0xfeedfacecafebeef;
  hello.hlc = (uint64_t{1700000000000} << 16) | 3;
  hello.cluster = "fw-pair-a";
  std::vector<Bytes> frames;
  frames.push_back(EncodeOne(hello, s++));
  frames.push_back(EncodeOne(Heartbeat{2, 2, 99}, s++));
  frames.push_back(SampleBatch(s++, 5));
  frames.push_back(EncodeOne(BulkBegin{SyncKind::kBulk, 500, 1200}, s++));
  frames.push_back(EncodeOne(RecordEof{SyncKind::kBulk, 500, 1199, 0x5eed5eed5eed5eed}, s++));
  frames.push_back(EncodeOne(Ack{41}, s++));
  frames.push_back(
      EncodeOne(SwitchoverRequest{9, 600, (uint64_t{1700000000123} << 16) | 7, true}, s++));
  frames.push_back(EncodeOne(SwitchoverResponse{9, false, SwitchoverRefusal::kNotInSync}, s++));
  frames.push_back(
      EncodeOne(SyncRequest{SyncKind::kReconcile, 700, ReconcileReason::kInterruptedBulk}, s++));
  frames.push_back(EncodeOne(SyncResponse{SyncKind::kReconcile, true, 700}, s++));
  frames.push_back(EncodeOne(Goodbye{GoodbyeReason::kShutdown, "node shutting down"}, s++));
  frames.push_back(EncodeOne(SampleChannelState(), s++));
  frames.push_back(EncodeOne(SampleConsumerOps(), s++));
  frames.push_back(EncodeOne(ConsumerAcks{{{(uint64_t{1} << 48) | 7, 39, 900}}}, s++));
  frames.push_back(
      EncodeOne(ChannelDrop{(uint64_t{1} << 48) | 9, ChannelDropReason::kTimeout}, s++));
  frames.push_back(EncodeOne(SampleConsumerHello(), s++));
  frames.push_back(EncodeOne(
      ConsumerWelcome{WelcomeStatus::kOk, 1, (uint64_t{1} << 48) | 7, AckMode::kDirect, 10, ""},
      s++));
  frames.push_back(EncodeOne(SampleConsumerUpdate(), s++));
  frames.push_back(EncodeOne(ConsumerAck{(uint64_t{1} << 48) | 7, 41, 1000}, s++));
  frames.push_back(EncodeOne(ConsumerPing{}, s++));
  return frames;
}

inline Bytes Concat(const std::vector<Bytes>& parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

}  // namespace hasync::wire::testing
