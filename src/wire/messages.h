// The messages of sync protocol v1: plain structs, their encoders and validating decoders.
//
// Encoders append one whole frame to a FrameWriter's buffer. Decoders take a frame's payload
// and either return the message or a kProtocol Status naming the field that is wrong; they never
// read past the payload, and trailing bytes are an error. docs/protocol.md documents every field.
//
// Payload layout: the struct's fields in declaration order, each a fixed-size little-endian
// integer (bool and enums: u8; a bool must be 0 or 1), strings as u16 length + bytes, no padding.
// The offsets are given beside each struct. Decoders check the ranges stated there; they do not
// judge whether a value makes sense now (Hello.version is accepted whatever it is, so the core
// can refuse the peer with "peer speaks protocol vN").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "hasync/status.h"
#include "wire/frame.h"

namespace hasync::wire {

using Payload = std::span<const uint8_t>;

// Which kind of stream a batch, bulk begin or EOF belongs to.
enum class SyncKind : uint8_t { kIncremental = 0, kBulk = 1, kReconcile = 2 };

inline constexpr size_t kMaxClusterBytes = 64;
inline constexpr size_t kMaxGoodbyeTextBytes = 256;
inline constexpr uint8_t kHelloFlagPreempt = 1;

// 0 version u16 | 2 node_id u16 (1..65535) | 4 priority u8 | 5 role u8 (0..2) | 6 flags u8
// (bit 0 only) | 7 gvn u64 | 15 active_ms u64 | 23 config_digest u64 | 31 cluster (u16 length
// 1..64, bytes). 33 + cluster bytes.
struct Hello {
  uint16_t version = kProtocolVersion;
  uint16_t node_id = 0;
  uint8_t priority = 0;
  uint8_t role = 0;   // hasync::Role
  uint8_t flags = 0;  // bit 0: preempt configured; other bits 0
  uint64_t gvn = 0;
  uint64_t active_ms = 0;      // how long the sender has been active, in ms; 0 if it is not
  uint64_t config_digest = 0;  // hash of the limits both nodes must agree on
  std::string cluster;         // 1..64 bytes
};

// 0 role u8 (0..2) | 1 sync_state u8 (0..3) | 2 gvn u64. 10 bytes.
struct Heartbeat {
  uint8_t role = 0;        // hasync::Role
  uint8_t sync_state = 0;  // hasync::SyncState
  uint64_t gvn = 0;
};

// 0 kind u8 (1 or 2) | 1 gvn u64 | 9 total u64. 17 bytes.
struct BulkBegin {
  SyncKind kind = SyncKind::kBulk;  // kBulk or kReconcile
  uint64_t gvn = 0;                 // every record of this sync is stamped with it
  uint64_t total = 0;               // records the sender expects to send, for progress only
};

// 0 kind u8 (1 or 2) | 1 gvn u64 | 9 sent u64. 17 bytes.
struct RecordEof {
  SyncKind kind = SyncKind::kBulk;
  uint64_t gvn = 0;
  uint64_t sent = 0;  // records the sender sent in this sync
};

// 0 seq u64. 8 bytes.
struct Ack {
  uint64_t seq = 0;  // every frame with seq <= this one has been applied
};

// 0 id u64 | 8 gvn u64. 16 bytes.
struct SwitchoverRequest {
  uint64_t id = 0;
  uint64_t gvn = 0;  // requester's GVN, so the new active never stamps below it
};

enum class SwitchoverRefusal : uint8_t { kNone = 0, kNotStandby = 1, kNotInSync = 2, kBusy = 3 };

// 0 id u64 | 8 accepted u8 (0/1) | 9 reason u8 (0 when accepted, 1..3 when refused). 10 bytes.
struct SwitchoverResponse {
  uint64_t id = 0;
  bool accepted = false;
  SwitchoverRefusal reason = SwitchoverRefusal::kNone;
};

// 0 kind u8 (1 or 2) | 1 gvn u64. 9 bytes.
struct SyncRequest {
  SyncKind kind = SyncKind::kReconcile;
  uint64_t gvn = 0;
};

// 0 kind u8 (1 or 2) | 1 accepted u8 (0/1) | 2 gvn u64. 10 bytes.
struct SyncResponse {
  SyncKind kind = SyncKind::kReconcile;
  bool accepted = false;
  uint64_t gvn = 0;
};

enum class GoodbyeReason : uint8_t { kShutdown = 0, kProtocolError = 1, kRejected = 2 };

// 0 reason u8 (0..2) | 1 text (u16 length 0..256, bytes). 3 + text bytes.
struct Goodbye {
  GoodbyeReason reason = GoodbyeReason::kShutdown;
  std::string text;  // 0..256 bytes, for the peer's log; the encoder cuts longer text to 256
};

// Each appends one frame with sequence number `seq`. The caller keeps values in the ranges
// above (the peer rejects others); only Goodbye's free text is cut to fit.
void Encode(FrameWriter& w, uint64_t seq, const Hello& m);
void Encode(FrameWriter& w, uint64_t seq, const Heartbeat& m);
void Encode(FrameWriter& w, uint64_t seq, const BulkBegin& m);
void Encode(FrameWriter& w, uint64_t seq, const RecordEof& m);
void Encode(FrameWriter& w, uint64_t seq, const Ack& m);
void Encode(FrameWriter& w, uint64_t seq, const SwitchoverRequest& m);
void Encode(FrameWriter& w, uint64_t seq, const SwitchoverResponse& m);
void Encode(FrameWriter& w, uint64_t seq, const SyncRequest& m);
void Encode(FrameWriter& w, uint64_t seq, const SyncResponse& m);
void Encode(FrameWriter& w, uint64_t seq, const Goodbye& m);

Result<Hello> DecodeHello(Payload p);
Result<Heartbeat> DecodeHeartbeat(Payload p);
Result<BulkBegin> DecodeBulkBegin(Payload p);
Result<RecordEof> DecodeRecordEof(Payload p);
Result<Ack> DecodeAck(Payload p);
Result<SwitchoverRequest> DecodeSwitchoverRequest(Payload p);
Result<SwitchoverResponse> DecodeSwitchoverResponse(Payload p);
Result<SyncRequest> DecodeSyncRequest(Payload p);
Result<SyncResponse> DecodeSyncResponse(Payload p);
Result<Goodbye> DecodeGoodbye(Payload p);

}  // namespace hasync::wire
