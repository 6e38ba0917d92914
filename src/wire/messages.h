// The messages of sync protocol v3 (but its replay stream and the consumer protocol, in
// consumer_messages.h): plain structs, their encoders and validating decoders.
//
// Encoders append one whole frame to a FrameWriter's buffer. Decoders take a frame's payload
// and either return the message or a kProtocol Status naming the field that is wrong; they never
// read past the payload, and trailing bytes are an error. docs/protocol.md documents every field.
//
// Payload layout: the struct's fields in declaration order, each a fixed-size little-endian
// integer (bool and enums: u8; a bool must be 0 or 1), strings as u16 length + bytes, no padding.
// The offsets are given beside each struct. Decoders check the ranges stated there; they do not
// judge whether a value makes sense now. The one exception to "every field is read" is the
// hello of another protocol version: see DecodeHello.
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
// (bit 0 only) | 7 gvn u64 | 15 active_ms u64 | 23 config_digest u64 | 31 hlc u64 | 39 cluster
// (u16 length 1..64, bytes). 41 + cluster bytes.
struct Hello {
  uint16_t version = kProtocolVersion;
  uint16_t node_id = 0;
  uint8_t priority = 0;
  uint8_t role = 0;   // hasync::Role
  uint8_t flags = 0;  // bit 0: preempt configured; other bits 0
  uint64_t gvn = 0;
  uint64_t active_ms = 0;      // how long the sender has been active, in ms; 0 if it is not
  uint64_t config_digest = 0;  // hash of the settings both nodes must agree on
  uint64_t hlc = 0;            // the sender's hybrid logical clock, so the receiver's passes it
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

// 0 kind u8 (1 or 2) | 1 gvn u64 | 9 sent u64 | 17 digest u64. 25 bytes.
struct RecordEof {
  SyncKind kind = SyncKind::kBulk;
  uint64_t gvn = 0;
  uint64_t sent = 0;    // records the sender sent in this sync
  uint64_t digest = 0;  // the sender's store digest when it sent the EOF
};

// 0 seq u64. 8 bytes.
struct Ack {
  uint64_t seq = 0;  // every frame with seq <= this one has been applied
};

inline constexpr uint8_t kSwitchoverFlagReconcile = 1;

// 0 id u64 | 8 gvn u64 | 16 hlc u64 | 24 flags u8 (bit 0 only). 25 bytes.
struct SwitchoverRequest {
  uint64_t id = 0;
  uint64_t gvn = 0;  // requester's GVN, so the new active never stamps below it
  uint64_t hlc = 0;  // requester's clock, so writes on the new active outrank the old one's
  // Flag bit 0: the requester does not know the standby holds all it holds (a bulk sync was
  // under way, its stream had overflowed, it was receiving or waiting for a reconciliation, or no
  // bulk sync had run) and will send a SyncRequest once it is standby.
  bool reconcile = false;
};

enum class SwitchoverRefusal : uint8_t { kNone = 0, kNotStandby = 1, kNotInSync = 2, kBusy = 3 };

// 0 id u64 | 8 accepted u8 (0/1) | 9 reason u8 (0 when accepted, 1..3 when refused). 10 bytes.
struct SwitchoverResponse {
  uint64_t id = 0;
  bool accepted = false;
  SwitchoverRefusal reason = SwitchoverRefusal::kNone;
};

// Why a standby asks to reconcile, which decides what it sends and what the active does after.
enum class ReconcileReason : uint8_t {
  kInterruptedBulk = 0,  // the rest of a bulk sync a switchover cut short; records with RVN
                         // below the bulk's GVN; the active then erases what neither touched
  kSplitBrain = 1,       // it was active too: every record it holds, merged
  kHandover = 2,         // a switchover handed over before the standby was known to hold
                         // every record (a reconciliation under way, an overflowed stream,
                         // no bulk sync yet): every record, merged
};

// 0 kind u8 (2 only) | 1 gvn u64 | 9 reason u8 (0..2). 10 bytes.
struct SyncRequest {
  SyncKind kind = SyncKind::kReconcile;
  uint64_t gvn = 0;  // every record of the reconciliation is stamped with it
  ReconcileReason reason = ReconcileReason::kSplitBrain;
};

// 0 kind u8 (2 only) | 1 accepted u8 (0/1) | 2 gvn u64. 10 bytes.
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

// Hello.version (offset 0) is the one field every protocol version shares. A hello whose version
// is not kProtocolVersion is accepted as soon as its version is read, whatever follows (its
// layout is another version's), and carries only `version`: the other fields keep their defaults
// and must not be used. The core then refuses the peer with "peer speaks protocol vN".
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
