// The messages of sync protocol v1: plain structs, their encoders and validating decoders.
//
// Encoders append one whole frame to a FrameWriter's buffer. Decoders take a frame's payload
// and either return the message or a kProtocol Status naming the field that is wrong; they never
// read past the payload, and trailing bytes are an error. docs/protocol.md documents every field.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "hasync/status.h"
#include "wire/frame.h"

namespace hasync::wire {

using Payload = std::span<const uint8_t>;

// Which kind of stream a batch, bulk begin or EOF belongs to.
enum class SyncKind : uint8_t { kIncremental = 0, kBulk = 1, kReconcile = 2 };

struct Hello {
  uint16_t version = kProtocolVersion;
  uint16_t node_id = 0;
  uint8_t priority = 0;
  uint8_t role = 0;          // hasync::Role
  uint8_t flags = 0;         // bit 0: preempt configured; other bits 0
  uint64_t gvn = 0;
  uint64_t active_since = 0; // sender's monotonic ms at which it became active; 0 if not active
  uint64_t config_digest = 0;  // hash of the limits both nodes must agree on
  std::string cluster;       // 1..64 bytes
};

struct Heartbeat {
  uint8_t role = 0;        // hasync::Role
  uint8_t sync_state = 0;  // hasync::SyncState
  uint64_t gvn = 0;
};

struct BulkBegin {
  SyncKind kind = SyncKind::kBulk;  // kBulk or kReconcile
  uint64_t gvn = 0;                 // every record of this sync is stamped with it
  uint64_t total = 0;               // records the sender expects to send, for progress only
};

struct RecordEof {
  SyncKind kind = SyncKind::kBulk;
  uint64_t gvn = 0;
  uint64_t sent = 0;  // records the sender sent in this sync
};

struct Ack {
  uint64_t seq = 0;  // every frame with seq <= this one has been applied
};

struct SwitchoverRequest {
  uint64_t id = 0;
  uint64_t gvn = 0;  // requester's GVN, so the new active never stamps below it
};

enum class SwitchoverRefusal : uint8_t { kNone = 0, kNotStandby = 1, kNotInSync = 2, kBusy = 3 };

struct SwitchoverResponse {
  uint64_t id = 0;
  bool accepted = false;
  SwitchoverRefusal reason = SwitchoverRefusal::kNone;
};

struct SyncRequest {
  SyncKind kind = SyncKind::kReconcile;
  uint64_t gvn = 0;
};

struct SyncResponse {
  SyncKind kind = SyncKind::kReconcile;
  bool accepted = false;
  uint64_t gvn = 0;
};

enum class GoodbyeReason : uint8_t { kShutdown = 0, kProtocolError = 1, kRejected = 2 };

struct Goodbye {
  GoodbyeReason reason = GoodbyeReason::kShutdown;
  std::string text;  // 0..256 bytes, for the peer's log
};

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
