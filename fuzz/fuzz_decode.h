// Shared by the fuzz targets: decode a payload with the decoder of its type (every MsgType: the
// sync protocol's and the consumers', wire/consumer_messages.h) and, when the decoder accepts it,
// check that encoding the result gives back the very same bytes and that those bytes decode
// again. A decoder that accepted something it cannot reproduce has lost or reinterpreted a field;
// that traps like a crash so libFuzzer keeps the input. The payloads not reproduced are the
// hellos of another version (sync or consumer protocol), of which only the version is read
// (DecodeHello, DecodeConsumerHello): there the check is that the decoder returned that version
// and left every other field at its default.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "wire/codec.h"
#include "wire/consumer_messages.h"
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::wire::fuzz {

// Small limits, so inputs of a few KiB reach every limit check.
inline BatchLimits FuzzLimits() {
  BatchLimits limits;
  limits.max_key_bytes = 64;
  limits.max_value_bytes = 512;
  limits.max_table_name_bytes = 16;
  limits.max_records = 256;
  return limits;
}

// The same small sizes for the consumer messages' table names, keys and values.
inline ConsumerLimits FuzzConsumerLimits() {
  BatchLimits batch = FuzzLimits();
  return ConsumerLimits{.max_table_name_bytes = batch.max_table_name_bytes,
                        .max_key_bytes = batch.max_key_bytes,
                        .max_value_bytes = batch.max_value_bytes};
}

inline void ExpectSameBytes(const std::vector<uint8_t>& frame, Payload payload) {
  Payload again(frame.data() + kFrameHeaderBytes, frame.size() - kFrameOverheadBytes);
  if (!std::equal(again.begin(), again.end(), payload.begin(), payload.end())) __builtin_trap();
}

template <typename Message>
void CheckReencodes(const Result<Message>& decoded, Payload payload) {
  if (!decoded.ok()) return;
  std::vector<uint8_t> frame;
  FrameWriter w(&frame);
  Encode(w, 1, decoded.value());
  ExpectSameBytes(frame, payload);
}

// As CheckReencodes, and the re-encoded bytes must decode again (with `decode`, which takes the
// payload): what one node encodes, the other accepts.
template <typename Decode>
void CheckRoundTrip(Decode decode, Payload payload) {
  auto decoded = decode(payload);
  if (!decoded.ok()) return;
  std::vector<uint8_t> frame;
  FrameWriter w(&frame);
  Encode(w, 1, decoded.value());
  ExpectSameBytes(frame, payload);
  Payload again(frame.data() + kFrameHeaderBytes, frame.size() - kFrameOverheadBytes);
  if (!decode(again).ok()) __builtin_trap();
}

inline void CheckHello(Payload payload) {
  Result<Hello> decoded = DecodeHello(payload);
  if (!decoded.ok() || decoded->version == kProtocolVersion) {
    CheckReencodes(decoded, payload);
    return;
  }
  // Another version: its first two bytes, and nothing else (every field encodes as a default).
  if (payload.size() < 2 || LoadLE<uint16_t>(payload.data()) != decoded->version) __builtin_trap();
  Hello only_version;
  only_version.version = decoded->version;
  std::vector<uint8_t> got, want;
  FrameWriter got_writer(&got), want_writer(&want);
  Encode(got_writer, 1, decoded.value());
  Encode(want_writer, 1, only_version);
  if (got != want) __builtin_trap();
}

inline void CheckConsumerHello(Payload payload, const ConsumerLimits& limits) {
  Result<ConsumerHello> decoded = DecodeConsumerHello(payload, limits);
  if (!decoded.ok() || decoded->version == kConsumerProtocolVersion) {
    CheckRoundTrip([&](Payload p) { return DecodeConsumerHello(p, limits); }, payload);
    return;
  }
  if (payload.size() < 2 || LoadLE<uint16_t>(payload.data()) != decoded->version) __builtin_trap();
  ConsumerHello only_version;
  only_version.version = decoded->version;
  std::vector<uint8_t> got, want;
  FrameWriter got_writer(&got), want_writer(&want);
  Encode(got_writer, 1, decoded.value());
  Encode(want_writer, 1, only_version);
  if (got != want) __builtin_trap();
}

// The decoders of types 12..20 (wire/consumer_messages.h), with `limits`.
inline void DecodeConsumerMessage(MsgType type, Payload p, const ConsumerLimits& limits) {
  auto with_limits = [&limits](auto decode) {
    return [decode, &limits](Payload q) { return decode(q, limits); };
  };
  switch (type) {
    case MsgType::kChannelState:
      return CheckRoundTrip(with_limits(DecodeChannelState), p);
    case MsgType::kConsumerOps:
      return CheckRoundTrip(with_limits(DecodeConsumerOps), p);
    case MsgType::kConsumerAcks:
      return CheckRoundTrip(DecodeConsumerAcks, p);
    case MsgType::kChannelDrop:
      return CheckRoundTrip(DecodeChannelDrop, p);
    case MsgType::kConsumerHello:
      return CheckConsumerHello(p, limits);
    case MsgType::kConsumerWelcome:
      return CheckRoundTrip(DecodeConsumerWelcome, p);
    case MsgType::kConsumerUpdate:
      return CheckRoundTrip(with_limits(DecodeConsumerUpdate), p);
    case MsgType::kConsumerAck:
      return CheckRoundTrip(DecodeConsumerAck, p);
    case MsgType::kConsumerPing:
      return CheckRoundTrip(DecodeConsumerPing, p);
    default:
      __builtin_trap();  // a caller passed a sync-protocol type
  }
}

inline void CheckBatch(Payload payload) {
  Result<RecordBatch> batch = DecodeRecordBatch(payload, FuzzLimits());
  if (!batch.ok()) return;
  std::vector<uint8_t> frame;
  FrameWriter frames(&frame);
  RecordBatchWriter writer(&frames);
  writer.Begin(1, batch->kind(), batch->table());
  batch->ForEach([&](const RecordEntry& e) { writer.Add(e); });
  writer.Finish();
  ExpectSameBytes(frame, payload);
}

inline void DecodeAny(MsgType type, Payload p) {
  switch (type) {
    case MsgType::kHello:
      return CheckHello(p);
    case MsgType::kHeartbeat:
      return CheckReencodes(DecodeHeartbeat(p), p);
    case MsgType::kRecords:
      return CheckBatch(p);
    case MsgType::kBulkBegin:
      return CheckReencodes(DecodeBulkBegin(p), p);
    case MsgType::kRecordEof:
      return CheckReencodes(DecodeRecordEof(p), p);
    case MsgType::kAck:
      return CheckReencodes(DecodeAck(p), p);
    case MsgType::kSwitchoverRequest:
      return CheckReencodes(DecodeSwitchoverRequest(p), p);
    case MsgType::kSwitchoverResponse:
      return CheckReencodes(DecodeSwitchoverResponse(p), p);
    case MsgType::kSyncRequest:
      return CheckReencodes(DecodeSyncRequest(p), p);
    case MsgType::kSyncResponse:
      return CheckReencodes(DecodeSyncResponse(p), p);
    case MsgType::kGoodbye:
      return CheckReencodes(DecodeGoodbye(p), p);
    case MsgType::kChannelState:
    case MsgType::kConsumerOps:
    case MsgType::kConsumerAcks:
    case MsgType::kChannelDrop:
    case MsgType::kConsumerHello:
    case MsgType::kConsumerWelcome:
    case MsgType::kConsumerUpdate:
    case MsgType::kConsumerAck:
    case MsgType::kConsumerPing:
      return DecodeConsumerMessage(type, p, FuzzConsumerLimits());
  }
  __builtin_trap();  // the reader returned a type it should have rejected
}

}  // namespace hasync::wire::fuzz
