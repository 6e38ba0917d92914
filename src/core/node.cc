// Node: lifecycle, input dispatch and the small helpers every handler uses. The behaviour lives
// in election.cc (roles), replication.cc (records, bulk sync, acks) and switchover.cc.
#include "core/node.h"

#include <xxhash.h>

#include <algorithm>
#include <array>

#include "fmt/format.h"
#include "wire/codec.h"
#include "wire/record_batch.h"

namespace hasync::core {

uint64_t SharedConfigDigest(const CoreConfig& config) {
  // Little-endian bytes, as on the wire, so nodes of either byte order agree.
  std::vector<uint8_t> bytes;
  const store::Limits& limits = config.limits;
  for (uint32_t field :
       {limits.max_key_bytes, limits.max_value_bytes, limits.max_table_name_bytes}) {
    wire::PutLE(bytes, field);
  }
  wire::PutLE(bytes, static_cast<uint8_t>(config.split_brain_rule));
  if (config.application_digest != 0) wire::PutLE(bytes, config.application_digest);
  return XXH3_64bits(bytes.data(), bytes.size());
}

uint32_t MaxFrameBytes(const CoreConfig& config) {
  // A batch is flushed once it reaches max_batch_bytes, so it can exceed that by one entry.
  size_t entry =
      wire::kRecordEntryHeaderBytes + config.limits.max_key_bytes + config.limits.max_value_bytes;
  size_t batch = 8 + config.limits.max_table_name_bytes + kMaxBatchBytes + entry;
  size_t frame = wire::kFrameOverheadBytes + batch;
  return static_cast<uint32_t>(std::max<size_t>(frame, wire::kDefaultMaxFrameBytes));
}

namespace {

// The counter one refused piece of peer input goes to.
uint64_t* FaultCounter(Counters& c, InputFault fault, Code code, wire::FrameError frame) {
  switch (fault) {
    case InputFault::kOrder:
      return &c.order_errors;
    case InputFault::kPayload:
      return code == Code::kTooLarge ? &c.limit_errors : &c.payload_errors;
    case InputFault::kFrame:
      break;
  }
  switch (frame) {
    case wire::FrameError::kBadLength:
      return &c.frame_errors_length;
    case wire::FrameError::kTooLarge:
      return &c.frame_errors_too_large;
    case wire::FrameError::kBadChecksum:
      return &c.frame_errors_checksum;
    case wire::FrameError::kBadType:
      return &c.frame_errors_type;
    case wire::FrameError::kBadSeq:
      return &c.frame_errors_sequence;
    case wire::FrameError::kNone:
    case wire::FrameError::kBadHeader:
      break;
  }
  return &c.frame_errors_header;
}

}  // namespace

void Node::CountRefusedWrite(const Status& why) {
  switch (why.code()) {
    case Code::kNotActive:
      ++counters_.writes_refused_not_active;
      return;
    case Code::kTooLarge:
      ++counters_.writes_refused_too_large;
      return;
    case Code::kInvalidArgument:
      ++counters_.writes_refused_invalid;
      return;
    default:
      ++counters_.writes_refused_busy;
      return;
  }
}

Node::Node(CoreConfig config)
    : config_(std::move(config)),
      store_(config_.limits),
      reader_(MaxFrameBytes(config_)),
      out_(std::min(config_.max_batch_bytes, kMaxBatchBytes), &counters_) {}

void Node::Start(TimePoint now, uint64_t wall_ms) {
  hlc_.Start(now, wall_ms);
  Log(Severity::kInfo, fmt::format("node {} starting (priority {}, cluster '{}')", config_.node_id,
                                   config_.priority, config_.cluster));
  ArmTimer(TimerId::kStartup, now + config_.startup_wait);
  ArmTimer(TimerId::kHeartbeat, now + config_.heartbeat_interval);
}

void Node::OnChannelUp(TimePoint now) {
  if (stopped_) return;
  if (channel_up_) LoseChannel(now, "replaced by a new connection", std::nullopt);
  channel_up_ = true;
  ack_progress_at_ = now;
  ++counters_.channels_up;
  peer_ = PeerView();
  reader_ = wire::FrameReader(MaxFrameBytes(config_));
  out_.Reset();
  in_.Reset();
  bulk_ = BulkSender();
  recon_ = Reconcile();
  split_brain_ = false;
  resync_needed_ = false;
  SendHello(now);
  ArmTimer(TimerId::kPeerDeadline, now + config_.heartbeat_interval * config_.dead_after_missed);
}

void Node::OnChannelDown(TimePoint now, std::string_view reason) {
  if (stopped_) return;
  LoseChannel(now, reason, std::nullopt);
}

void Node::OnBytes(TimePoint now, std::span<const uint8_t> bytes) {
  if (!channel_up_ || stopped_) return;
  counters_.bytes_received += bytes.size();
  reader_.Feed(bytes);
  bool any = false;
  while (channel_up_) {
    Result<wire::FrameView> frame = reader_.Next();
    if (!frame.ok()) {
      if (frame.status().code() != Code::kNotFound) {
        Fail(now, frame.status(), InputFault::kFrame);
      }
      break;
    }
    any = true;
    ++counters_.frames_received;
    HandleFrame(now, *frame);
  }
  if (!channel_up_ || !any) return;
  ArmTimer(TimerId::kPeerDeadline, now + config_.heartbeat_interval * config_.dead_after_missed);
  SendAckIfDue();
}

void Node::OnTimer(TimePoint now, TimerId id) {
  if (stopped_) return;
  switch (id) {
    case TimerId::kStartup:
      if (role_ == Role::kInit && !peer_.connected) {
        BecomeActive(now, "no peer answered within the startup wait");
      }
      break;
    case TimerId::kHeartbeat:
      if (!AcksProgress(now)) break;
      if (peer_.connected) SendHeartbeat();
      SendAckIfDue();
      ArmTimer(TimerId::kHeartbeat, now + config_.heartbeat_interval);
      break;
    case TimerId::kPeerDeadline:
      if (channel_up_) {
        ++counters_.peer_timeouts;
        LoseChannel(
            now, fmt::format("peer silent for {} heartbeat intervals", config_.dead_after_missed),
            CloseCause::kPeerTimeout);
      }
      break;
    case TimerId::kBulkStep:
      BulkStep(now);
      break;
    case TimerId::kWriteTimeouts:
      write_timer_at_ = kNever;
      counters_.replicated_failed += waiters_.Expire(now, &effects_.events);
      ArmWriteTimer();
      break;
    case TimerId::kSwitchover:
      if (switchover_pending_ != 0) {
        // The peer may or may not have taken over; only a fresh connection and election can
        // tell, so drop this one rather than guess.
        switchover_pending_ = 0;
        effects_.events.push_back(
            SwitchoverCompleted{Timeout("the standby did not answer the switchover request")});
        LoseChannel(now, "switchover request unanswered", CloseCause::kSwitchoverTimeout);
      }
      break;
    case TimerId::kPostponed:
      postponed_timer_at_ = kNever;
      counters_.postponed_expired += postponed_.Expire(now, &effects_.events);
      ArmPostponedTimer();
      break;
    case TimerId::kCount:
      break;
  }
}

bool Node::AcksProgress(TimePoint now) {
  if (!channel_up_ || !out_.awaiting_ack()) {
    ack_progress_at_ = now;
    return true;
  }
  if (now - ack_progress_at_ <= config_.ack_timeout) return true;
  ++counters_.peer_timeouts;
  LoseChannel(
      now,
      fmt::format(
          "peer acknowledged nothing for {} ms ({} bytes waiting for an ack)",
          std::chrono::duration_cast<std::chrono::milliseconds>(now - ack_progress_at_).count(),
          out_.unacked_bytes()),
      CloseCause::kPeerTimeout);
  // The heartbeat timer keeps running for the next connection.
  ArmTimer(TimerId::kHeartbeat, now + config_.heartbeat_interval);
  return false;
}

void Node::Flush(TimePoint now) {
  if (channel_up_) out_.CloseBatch(effects_.send);
  if (extension_ != nullptr && !stopped_) extension_->OnFlush(now, *this);
}

uint64_t Node::NewTerm(TimePoint now) {
  constexpr uint64_t kIdBits = 0xffff;
  uint64_t term = (hlc_.Now(now) & ~kIdBits) | config_.node_id;
  if (term <= last_term_) term = last_term_ + kIdBits + 1;
  last_term_ = term;
  return term;
}

void Node::Shutdown(TimePoint now) {
  (void)now;
  if (stopped_) return;
  stopped_ = true;
  Log(Severity::kInfo, "shutting down");
  if (channel_up_) Send(wire::Goodbye{wire::GoodbyeReason::kShutdown, "node shutting down"});
  counters_.postponed_failed +=
      postponed_.FailAll(Unavailable("the node is shutting down"), &effects_.events);
  for (size_t t = 0; t < kTimerCount; ++t) ArmTimer(static_cast<TimerId>(t), kNever);
}

// One handler per message type (pfsync style): `after_hello` says whether the type is valid only
// once the peer has introduced itself. Decoding failures close the channel.
void Node::HandleFrame(TimePoint now, const wire::FrameView& frame) {
  using wire::Payload;
  struct Slot {
    bool after_hello;
    void (*handle)(Node&, TimePoint, Payload);
  };
  static constexpr std::array<Slot, wire::kMaxMsgType + 1> kSlots = {{
      /* 0: not a type */ {false, nullptr},
      /* kHello: identity, role, GVN; the first frame of a connection */
      {false, [](Node& n, TimePoint t,
                 Payload p) { n.Dispatch(t, wire::DecodeHello(p), &Node::OnHello); }},
      /* kHeartbeat: liveness, the peer's role and GVN */
      {true, [](Node& n, TimePoint t,
                Payload p) { n.Dispatch(t, wire::DecodeHeartbeat(p), &Node::OnHeartbeat); }},
      /* kRecords: a batch of upserts and deletes of one table */
      {true, [](Node& n, TimePoint t, Payload p) { n.OnRecords(t, p); }},
      /* kBulkBegin: a bulk sync starts, records will carry its GVN */
      {true, [](Node& n, TimePoint t,
                Payload p) { n.Dispatch(t, wire::DecodeBulkBegin(p), &Node::OnBulkBegin); }},
      /* kRecordEof: the bulk sync is complete */
      {true, [](Node& n, TimePoint t,
                Payload p) { n.Dispatch(t, wire::DecodeRecordEof(p), &Node::OnRecordEof); }},
      /* kAck: the peer applied our frames up to a seq */
      {true,
       [](Node& n, TimePoint t, Payload p) { n.Dispatch(t, wire::DecodeAck(p), &Node::OnAck); }},
      /* kSwitchoverRequest: the active hands its role to us */
      {true,
       [](Node& n, TimePoint t, Payload p) {
         n.Dispatch(t, wire::DecodeSwitchoverRequest(p), &Node::OnSwitchoverRequest);
       }},
      /* kSwitchoverResponse: the standby's answer */
      {true,
       [](Node& n, TimePoint t, Payload p) {
         n.Dispatch(t, wire::DecodeSwitchoverResponse(p), &Node::OnSwitchoverResponse);
       }},
      /* kSyncRequest: the standby asks to reconcile its records into ours */
      {true, [](Node& n, TimePoint t,
                Payload p) { n.Dispatch(t, wire::DecodeSyncRequest(p), &Node::OnSyncRequest); }},
      /* kSyncResponse: the active's answer */
      {true, [](Node& n, TimePoint t,
                Payload p) { n.Dispatch(t, wire::DecodeSyncResponse(p), &Node::OnSyncResponse); }},
      /* kGoodbye: the peer is shutting down; take over now */
      {true, [](Node& n, TimePoint t,
                Payload p) { n.Dispatch(t, wire::DecodeGoodbye(p), &Node::OnGoodbye); }},
      /* kChannelState .. kChannelDrop: the consumers' replay stream, for the extension (the
         handler is picked below, by type; the consumer protocol's types stay unexpected) */
      {true, nullptr},
      {true, nullptr},
      {true, nullptr},
      {true, nullptr},
  }};
  if (frame.type >= wire::MsgType::kChannelState && frame.type <= wire::MsgType::kChannelDrop) {
    if (!peer_.connected) {
      Fail(now, ProtocolError("the peer sent a frame before its hello"), InputFault::kOrder);
      return;
    }
    in_.applied_seq = frame.seq;
    in_.ack_due = true;
    OnExtensionFrame(now, frame);
    return;
  }
  const Slot& slot = kSlots[static_cast<size_t>(frame.type)];
  if (slot.handle == nullptr) {
    Fail(now,
         ProtocolError(fmt::format("message type {} is not expected by this node",
                                   static_cast<int>(frame.type))),
         InputFault::kOrder);
    return;
  }
  if (slot.after_hello && !peer_.connected) {
    Fail(now, ProtocolError("the peer sent a frame before its hello"), InputFault::kOrder);
    return;
  }
  in_.applied_seq = frame.seq;
  if (frame.type != wire::MsgType::kAck) in_.ack_due = true;
  slot.handle(*this, now, frame.payload);
}

// The replay stream flows from the active to its standby only. A node without an extension
// (no consumers configured) has no use for it and lets it pass.
void Node::OnExtensionFrame(TimePoint now, const wire::FrameView& frame) {
  if (role_ != Role::kStandby || peer_.role != Role::kActive) {
    Fail(now, ProtocolError("replay stream received while not the standby of an active peer"),
         InputFault::kOrder);
    return;
  }
  if (extension_ == nullptr) return;
  Status s = extension_->OnStreamFrame(now, frame);
  if (!s.ok()) Fail(now, s, InputFault::kPayload);
}

template <typename Message>
void Node::Dispatch(TimePoint now, Result<Message> decoded,
                    void (Node::*handler)(TimePoint, const Message&)) {
  if (!decoded.ok()) {
    Fail(now, decoded.status(), InputFault::kPayload);
    return;
  }
  (this->*handler)(now, decoded.value());
}

void Node::SendHello(TimePoint now) {
  wire::Hello hello;
  hello.node_id = config_.node_id;
  hello.priority = config_.priority;
  hello.role = static_cast<uint8_t>(role_);
  hello.flags = config_.preempt ? 1 : 0;
  hello.gvn = gvn_;
  hello.active_ms =
      role_ == Role::kActive
          ? static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(now - active_since_).count())
          : 0;
  hello.config_digest = SharedConfigDigest(config_);
  hello.hlc = hlc_.last();
  hello_active_ms_ = hello.active_ms;
  hello.cluster = config_.cluster;
  Send(hello);
}

void Node::SendHeartbeat() {
  Send(wire::Heartbeat{static_cast<uint8_t>(role_), static_cast<uint8_t>(CurrentSync()), gvn_});
}

void Node::SendAckIfDue() {
  if (!peer_.connected || !in_.ack_due) return;
  in_.ack_due = false;
  in_.acked_seq = in_.applied_seq;
  Send(wire::Ack{in_.applied_seq});
}

bool Node::Outranks(uint8_t priority, NodeId id) const {
  if (config_.priority != priority) return config_.priority > priority;
  return config_.node_id > id;
}

void Node::ArmTimer(TimerId id, TimePoint deadline) {
  effects_.timers.push_back(TimerRequest{id, deadline});
}

void Node::Log(Severity severity, std::string text) {
  effects_.events.push_back(LogLine{severity, std::move(text)});
}

void Node::Fail(TimePoint now, const Status& error, InputFault fault) {
  ++*FaultCounter(counters_, fault, error.code(), reader_.last_error());
  Log(Severity::kError, "closing the sync channel: " + error.ToString());
  LoseChannel(now, error.ToString(), CloseCause::kProtocolError);
}

SyncState Node::CurrentSync() const {
  if (Reconciling()) return SyncState::kReconciling;
  if (bulk_.running) return SyncState::kBulkSending;
  if (in_.bulk_receiving) return SyncState::kBulkReceiving;
  return SyncState::kIdle;
}

NodeStatus Node::status() const {
  NodeStatus s{};
  s.node_id = config_.node_id;
  s.role = role_;
  s.sync = CurrentSync();
  s.peer = peer_;
  s.gvn = gvn_;
  s.synced = role_ == Role::kStandby && in_.synced;
  s.records = store_.records();
  s.tombstones = store_.tombstones();
  s.digest = store_.digest();
  if (recon_.receiving) {
    s.sync_done = recon_.merged.received;
    s.sync_total = recon_.total;
  } else if (bulk_.running) {
    s.sync_done = bulk_.sent;
    s.sync_total = bulk_.total;
  } else {
    s.sync_done = in_.bulk_received;
    s.sync_total = in_.bulk_total;
  }
  s.unacked_bytes = channel_up_ ? out_.unacked_bytes() : 0;
  s.postponed = postponed_.size();
  s.hlc = hlc_.last();
  return s;
}

}  // namespace hasync::core
