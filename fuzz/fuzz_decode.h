// Shared by the fuzz targets: decode a payload with the decoder of its type and, when the decoder
// accepts it, check that encoding the result gives back the very same bytes. A decoder that
// accepted something it cannot reproduce has lost or reinterpreted a field; that traps like a
// crash so libFuzzer keeps the input. The one payload not reproduced is a hello of another
// protocol version, of which only the version is read (DecodeHello): there the check is that the
// decoder returned that version and left every other field at its default.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "wire/codec.h"
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
  }
  __builtin_trap();  // the reader returned a type it should have rejected
}

}  // namespace hasync::wire::fuzz
