// Encoders and decoders of the control messages, one pair per message, in MsgType order. Each
// decoder reads every field (PayloadReader makes a short payload an error, not a crash), checks
// the ranges documented in messages.h, then insists the payload was used up exactly; only a hello
// of another protocol version stops after its version (see DecodeHello in messages.h).
#include "wire/messages.h"

#include <string_view>

#include "wire/message_codec.h"

namespace hasync::wire {
namespace {

constexpr uint8_t kMaxRole = 2;       // hasync::Role::kStandby
constexpr uint8_t kMaxSyncState = 3;  // hasync::SyncState::kReconciling

// Bulk begin and record EOF bracket a bulk or reconcile stream; the incremental stream has
// neither beginning nor end.
SyncKind ReadStreamKind(PayloadReader& r) {
  uint8_t kind = r.U8("kind");
  if (r.ok() && kind != static_cast<uint8_t>(SyncKind::kBulk) &&
      kind != static_cast<uint8_t>(SyncKind::kReconcile)) {
    r.Invalid(fmt::format("kind is {}, must be 1 (bulk) or 2 (reconcile)", kind));
  }
  return static_cast<SyncKind>(kind);
}

// A sync request or response: only reconciliation is asked for (a bulk sync is the active's
// own decision).
SyncKind ReadReconcileKind(PayloadReader& r) {
  uint8_t kind = r.U8("kind");
  if (r.ok() && kind != static_cast<uint8_t>(SyncKind::kReconcile)) {
    r.Invalid(fmt::format("kind is {}, must be 2 (reconcile)", kind));
  }
  return SyncKind::kReconcile;
}

}  // namespace

void Encode(FrameWriter& w, uint64_t seq, const Hello& m) {
  w.Begin(MsgType::kHello, seq);
  PutLE<uint16_t>(w.out(), m.version);
  PutLE<uint16_t>(w.out(), m.node_id);
  PutU8(w, m.priority);
  PutU8(w, m.role);
  PutU8(w, m.flags);
  PutU64(w, m.gvn);
  PutU64(w, m.active_ms);
  PutU64(w, m.config_digest);
  PutU64(w, m.hlc);
  PutString16(w.out(), m.cluster);
  w.Finish();
}

Result<Hello> DecodeHello(Payload p) {
  PayloadReader r(p, "hello");
  Hello m;
  m.version = r.U16("version");
  // Another version lays out the rest differently (v1 had no hlc): reading on would turn a clear
  // "peer speaks protocol v1" into a misleading complaint about some later field.
  if (r.ok() && m.version != kProtocolVersion) return m;
  m.node_id = r.U16("node_id");
  m.priority = r.U8("priority");
  m.role = r.U8("role");
  m.flags = r.U8("flags");
  m.gvn = r.U64("gvn");
  m.active_ms = r.U64("active_ms");
  m.config_digest = r.U64("config_digest");
  m.hlc = r.U64("hlc");
  m.cluster = r.String16("cluster", 1, kMaxClusterBytes);
  if (r.ok() && m.node_id == 0) r.Invalid("node_id is 0, must be 1..65535");
  CheckMax(r, "role", m.role, kMaxRole);
  CheckFlags(r, m.flags, kHelloFlagPreempt);
  return Done(r, std::move(m));
}

void Encode(FrameWriter& w, uint64_t seq, const Heartbeat& m) {
  w.Begin(MsgType::kHeartbeat, seq);
  PutU8(w, m.role);
  PutU8(w, m.sync_state);
  PutU64(w, m.gvn);
  w.Finish();
}

Result<Heartbeat> DecodeHeartbeat(Payload p) {
  PayloadReader r(p, "heartbeat");
  Heartbeat m;
  m.role = r.U8("role");
  m.sync_state = r.U8("sync_state");
  m.gvn = r.U64("gvn");
  CheckMax(r, "role", m.role, kMaxRole);
  CheckMax(r, "sync_state", m.sync_state, kMaxSyncState);
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const BulkBegin& m) {
  w.Begin(MsgType::kBulkBegin, seq);
  PutU8(w, static_cast<uint8_t>(m.kind));
  PutU64(w, m.gvn);
  PutU64(w, m.total);
  w.Finish();
}

Result<BulkBegin> DecodeBulkBegin(Payload p) {
  PayloadReader r(p, "bulk begin");
  BulkBegin m;
  m.kind = ReadStreamKind(r);
  m.gvn = r.U64("gvn");
  m.total = r.U64("total");
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const RecordEof& m) {
  w.Begin(MsgType::kRecordEof, seq);
  PutU8(w, static_cast<uint8_t>(m.kind));
  PutU64(w, m.gvn);
  PutU64(w, m.sent);
  PutU64(w, m.digest);
  w.Finish();
}

Result<RecordEof> DecodeRecordEof(Payload p) {
  PayloadReader r(p, "record eof");
  RecordEof m;
  m.kind = ReadStreamKind(r);
  m.gvn = r.U64("gvn");
  m.sent = r.U64("sent");
  m.digest = r.U64("digest");
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const Ack& m) {
  w.Begin(MsgType::kAck, seq);
  PutU64(w, m.seq);
  w.Finish();
}

Result<Ack> DecodeAck(Payload p) {
  PayloadReader r(p, "ack");
  Ack m;
  m.seq = r.U64("seq");
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const SwitchoverRequest& m) {
  w.Begin(MsgType::kSwitchoverRequest, seq);
  PutU64(w, m.id);
  PutU64(w, m.gvn);
  PutU64(w, m.hlc);
  PutU8(w, m.reconcile ? kSwitchoverFlagReconcile : 0);
  w.Finish();
}

Result<SwitchoverRequest> DecodeSwitchoverRequest(Payload p) {
  PayloadReader r(p, "switchover request");
  SwitchoverRequest m;
  m.id = r.U64("id");
  m.gvn = r.U64("gvn");
  m.hlc = r.U64("hlc");
  uint8_t flags = r.U8("flags");
  if (r.ok() && (flags & ~kSwitchoverFlagReconcile) != 0) {
    r.Invalid(fmt::format("flags 0x{:02x} set reserved bits", flags));
  }
  m.reconcile = (flags & kSwitchoverFlagReconcile) != 0;
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const SwitchoverResponse& m) {
  w.Begin(MsgType::kSwitchoverResponse, seq);
  PutU64(w, m.id);
  PutU8(w, m.accepted ? 1 : 0);
  PutU8(w, static_cast<uint8_t>(m.reason));
  w.Finish();
}

Result<SwitchoverResponse> DecodeSwitchoverResponse(Payload p) {
  PayloadReader r(p, "switchover response");
  SwitchoverResponse m;
  m.id = r.U64("id");
  m.accepted = r.Bool("accepted");
  uint8_t reason = r.U8("reason");
  CheckMax(r, "reason", reason, static_cast<uint8_t>(SwitchoverRefusal::kBusy));
  // A refusal always says why, and an acceptance has nothing to explain.
  if (r.ok() && m.accepted != (reason == 0)) {
    r.Invalid(fmt::format("reason {} does not fit accepted={}", reason, m.accepted ? 1 : 0));
  }
  m.reason = static_cast<SwitchoverRefusal>(reason);
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const SyncRequest& m) {
  w.Begin(MsgType::kSyncRequest, seq);
  PutU8(w, static_cast<uint8_t>(m.kind));
  PutU64(w, m.gvn);
  PutU8(w, static_cast<uint8_t>(m.reason));
  w.Finish();
}

Result<SyncRequest> DecodeSyncRequest(Payload p) {
  PayloadReader r(p, "sync request");
  SyncRequest m;
  m.kind = ReadReconcileKind(r);
  m.gvn = r.U64("gvn");
  uint8_t reason = r.U8("reason");
  CheckMax(r, "reason", reason, static_cast<uint8_t>(ReconcileReason::kHandover));
  m.reason = static_cast<ReconcileReason>(reason);
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const SyncResponse& m) {
  w.Begin(MsgType::kSyncResponse, seq);
  PutU8(w, static_cast<uint8_t>(m.kind));
  PutU8(w, m.accepted ? 1 : 0);
  PutU64(w, m.gvn);
  w.Finish();
}

Result<SyncResponse> DecodeSyncResponse(Payload p) {
  PayloadReader r(p, "sync response");
  SyncResponse m;
  m.kind = ReadReconcileKind(r);
  m.accepted = r.Bool("accepted");
  m.gvn = r.U64("gvn");
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const Goodbye& m) {
  w.Begin(MsgType::kGoodbye, seq);
  PutU8(w, static_cast<uint8_t>(m.reason));
  // The text is often built from an error message of any length; a shortened log line beats a
  // goodbye the peer must reject.
  PutString16(w.out(), std::string_view(m.text).substr(0, kMaxGoodbyeTextBytes));
  w.Finish();
}

Result<Goodbye> DecodeGoodbye(Payload p) {
  PayloadReader r(p, "goodbye");
  Goodbye m;
  uint8_t reason = r.U8("reason");
  CheckMax(r, "reason", reason, static_cast<uint8_t>(GoodbyeReason::kRejected));
  m.reason = static_cast<GoodbyeReason>(reason);
  m.text = r.String16("text", 0, kMaxGoodbyeTextBytes);
  return Done(r, std::move(m));
}

}  // namespace hasync::wire
