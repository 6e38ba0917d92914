// Node: the replication state machine of one hasync node, free of I/O (sans-IO).
//
// Inputs are the calls below (channel up/down, received bytes, timer expiries, local writes,
// admin requests), each with the current time; outputs accumulate in effects(), which the driver
// (the Asio daemon, or the deterministic simulator) drains after every call. Given the same
// inputs a Node produces the same outputs: no clock, socket, thread or randomness inside.
//
// What it guarantees (seed 000; docs/protocol.md describes the messages):
//  - role election at start by priority then node id; a node that meets an active peer becomes
//    standby (no preemption unless configured); two actives meeting resolve to one;
//  - bulk sync to a standby: GVN + 1, every record restamped with the GVN as it is sent, done
//    when no record has RVN < GVN, then record EOF; writes during the bulk sync are sent
//    incrementally on the same ordered stream, so none is lost or reordered;
//  - the standby stores what it receives, takes its GVN from the RVNs, and after the EOF erases
//    whatever the bulk did not touch, so it ends equal to the active;
//  - failover when the peer is silent for dead_after_missed heartbeats or its channel closes;
//    planned switchover that hands over without a bulk sync when the standby is in sync;
//  - kReplicated writes complete only once the standby has acknowledged them;
//  - unacknowledged bytes are bounded: past the bound the standby is resynchronised by a new
//    bulk sync instead of the queue growing;
//  - reconciliation (docs/reconciliation.md): a node that gives up the active role before its
//    standby holds everything (a switchover during a bulk sync or a reconciliation, the loser of
//    a split-brain) first sends its records to the active, which merges them by the table's merge
//    function (last writer wins by HLC stamp by default; deletes are tombstones, so they win
//    too), then bulk-syncs back if the two differ. Allocate/release writes wait meanwhile.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/ack_waiters.h"
#include "core/config.h"
#include "core/counters.h"
#include "core/effects.h"
#include "core/hlc.h"
#include "core/inbound.h"
#include "core/outbound.h"
#include "core/postponed.h"
#include "core/stream_extension.h"
#include "hasync/merge.h"
#include "hasync/status.h"
#include "hasync/types.h"
#include "store/store.h"
#include "wire/frame.h"
#include "wire/messages.h"

namespace hasync::core {

// What a local write returned. `pending`: a WriteCompleted event with the caller's token
// follows, once the standby acknowledges the write (kReplicated) or once a postponed write has
// run (`postponed`: reconciliation mode holds an allocate/release write, nothing is applied
// yet). `stamp`: the write's HLC stamp when it was applied now, else 0.
struct WriteOutcome {
  Status status;
  bool pending = false;
  bool postponed = false;
  uint64_t stamp = 0;
};

struct PeerView {
  bool connected = false;  // channel up and hello exchanged
  NodeId node_id = 0;
  Role role = Role::kInit;
  uint64_t gvn = 0;
  bool in_sync = false;  // has everything this node sent it (bulk sync finished and acked)
  SyncState sync = SyncState::kIdle;  // as its last hello or heartbeat said
};

struct NodeStatus {
  NodeId node_id;
  Role role;
  SyncState sync;
  PeerView peer;
  uint64_t gvn;
  // Standby: holds everything the active sent on this connection (its bulk sync completed, or
  // it handed over the active role by switchover). Always false on an active.
  bool synced;
  uint64_t records;
  // Deletes kept until the peer acknowledges them; while the node runs alone they accumulate
  // (one per deleted key, a few dozen bytes plus the key), so a split-brain merge cannot bring
  // a deleted record back. Exported as a gauge so an operator sees the cost.
  uint64_t tombstones;
  uint64_t digest;
  uint64_t sync_done;   // records sent or received by the running bulk sync or reconciliation
  uint64_t sync_total;  // records it expects
  size_t unacked_bytes;
  size_t postponed;  // allocate/release writes waiting for reconciliation mode to end
  uint64_t hlc;      // the node's hybrid logical clock
};

// What was wrong with a piece of peer input, for the per-class counters.
enum class InputFault : uint8_t {
  kFrame,    // the frame reader refused the stream (its FrameError says how)
  kPayload,  // a payload did not decode (kTooLarge: over this node's limits)
  kOrder,    // a valid message the current state does not allow
};

class Node {
 public:
  explicit Node(CoreConfig config);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // `wall_ms`: milliseconds since the Unix epoch at `now`; the node's HLC follows it from there
  // by `now`, so no clock is read inside.
  void Start(TimePoint now, uint64_t wall_ms);
  void OnChannelUp(TimePoint now);
  void OnChannelDown(TimePoint now, std::string_view reason);
  void OnBytes(TimePoint now, std::span<const uint8_t> bytes);
  void OnTimer(TimePoint now, TimerId id);
  // End of the driver's turn: sends the records batch still open. Writes between two Flush calls
  // share frames; that is where batching comes from.
  void Flush(TimePoint now);

  WriteOutcome Put(TimePoint now, std::string_view table, std::string_view key,
                   std::string_view value, Durability durability, uint64_t token,
                   WriteIntent intent = WriteIntent::kUpdate);
  WriteOutcome Erase(TimePoint now, std::string_view table, std::string_view key,
                     Durability durability, uint64_t token,
                     WriteIntent intent = WriteIntent::kUpdate);
  // `observer` is told of every change to the live records of `table` (created if need be),
  // whoever makes it: local writes, replication, merges, bulk syncs (store/table_observer.h).
  Status ObserveTable(std::string_view table, std::weak_ptr<store::TableObserver> observer);
  // Before Start: CoreConfig::application_digest (the settings of the layers above, which the
  // hello compares).
  void SetApplicationDigest(uint64_t digest) { config_.application_digest = digest; }
  // Installs `merge` for `table` (replacing LastWriterWins there); an empty function restores
  // the default.
  void SetMergeFunction(std::string_view table, MergeFunction merge);
  // Before Start: the layer that adds its own frames to the sync channel (core/
  // stream_extension.h); null removes it. The node does not own it.
  void SetStreamExtension(StreamExtension* extension) { extension_ = extension; }
  // The node is active and feeds a connected standby: a frame sent now reaches it after every
  // record written so far, in order.
  bool CanSendToPeer() const { return Replicating(); }
  // Sends an extension's frame after the records written so far; false (nothing sent) unless
  // CanSendToPeer(). Counted toward the unacknowledged bytes like the node's own frames.
  template <typename Message>
  bool SendToPeer(TimePoint now, const Message& message);
  // A term for the extension: unique across the pair (the low 16 bits are this node's id) and
  // increasing on this node (the HLC's milliseconds above them).
  uint64_t NewTerm(TimePoint now);
  // Planned switchover, asked of the active. ok: a SwitchoverCompleted event follows. Allowed
  // during a bulk sync or a reconciliation: the node then reconciles once standby.
  Status RequestSwitchover(TimePoint now);
  // An active that asked for a switchover and waits for the answer: it takes no write.
  bool SwitchingOver() const { return switchover_pending_ != 0; }
  // Graceful stop: tells the peer to take over at once. Afterwards the node ignores every input
  // and refuses writes, so a stopping standby can never turn active.
  void Shutdown(TimePoint now);

  const store::Store& store() const { return store_; }
  NodeStatus status() const;
  // Cheap parts of status(), for callers that ask at every request (the address pools).
  Role role() const { return role_; }
  const PeerView& peer() const { return peer_; }
  // Reconciliation mode: allocate/release writes made now would be postponed.
  bool reconciling() const { return role_ == Role::kActive && !stopped_ && Reconciling(); }
  // A kReplicated write made now can be confirmed: a standby is connected and follows.
  bool replicates() const;
  const Counters& counters() const { return counters_; }
  const CoreConfig& config() const { return config_; }
  Effects& effects() { return effects_; }

 private:
  // Implemented in node.cc (dispatch), election.cc, replication.cc, switchover.cc.
  void HandleFrame(TimePoint now, const wire::FrameView& frame);
  template <typename Message>
  void Dispatch(TimePoint now, Result<Message> decoded,
                void (Node::*handler)(TimePoint, const Message&));
  void OnHello(TimePoint now, const wire::Hello& m);
  void OnHeartbeat(TimePoint now, const wire::Heartbeat& m);
  void OnRecords(TimePoint now, wire::Payload payload);
  void OnBulkBegin(TimePoint now, const wire::BulkBegin& m);
  void OnRecordEof(TimePoint now, const wire::RecordEof& m);
  void OnAck(TimePoint now, const wire::Ack& m);
  void OnSwitchoverRequest(TimePoint now, const wire::SwitchoverRequest& m);
  void OnSwitchoverResponse(TimePoint now, const wire::SwitchoverResponse& m);
  void OnGoodbye(TimePoint now, const wire::Goodbye& m);
  void OnExtensionFrame(TimePoint now, const wire::FrameView& frame);
  void OnSyncRequest(TimePoint now, const wire::SyncRequest& m);
  void OnSyncResponse(TimePoint now, const wire::SyncResponse& m);

  void Elect(TimePoint now);
  // `held_everything`: this node was a standby holding all its active sent (see
  // StreamExtension::OnRoleChanged).
  void BecomeActive(TimePoint now, std::string reason, bool held_everything = false);
  void BecomeStandby(TimePoint now, std::string reason);
  void SetRole(TimePoint now, Role role, std::string reason, bool held_everything = false);
  // `cause`: the core itself closes the channel and tells the driver why; nullopt: the driver
  // reported it down.
  void LoseChannel(TimePoint now, std::string_view reason, std::optional<CloseCause> cause);
  void Fail(TimePoint now, const Status& error, InputFault fault);  // close the channel, count
  void CountRefusedWrite(const Status& why);
  // False (and the channel closed) if the peer acknowledged nothing for ack_timeout.
  bool AcksProgress(TimePoint now);

  void MaybeStartBulkSync(TimePoint now);
  void StartBulkSync(TimePoint now);
  void BulkStep(TimePoint now);
  bool BulkBudget(TimePoint now, uint64_t* budget);
  void FinishBulkSync(TimePoint now);
  void Overflowed(TimePoint now);
  void MaybePreempt(TimePoint now);
  bool StandbyHoldsEverything() const;

  // Reconciliation, in reconcile.cc. The yielding standby's side:
  // `remaining`: for kInterruptedBulk, about how many records the bulk sync had left (progress
  // only); other reasons send every record and tombstone.
  void StartReconcile(TimePoint now, wire::ReconcileReason reason, uint64_t gvn,
                      uint64_t remaining = 0);
  void FinishReconcileSend(TimePoint now);
  // The active's side:
  // Whether a reconciliation of an interrupted bulk sync at `gvn` may come: this node took over
  // in the middle of the peer's bulk sync at that GVN (its EOF sweeps every record below it).
  bool InterruptedBulkExpected(uint64_t gvn) const;
  void ApplyReconcileBatch(TimePoint now, store::Table* table, const wire::RecordBatch& batch);
  // `merge`: the table's merge function, or nullptr for LastWriterWins.
  void MergeEntry(TimePoint now, store::Table* table, const MergeFunction* merge,
                  const wire::RecordEntry& e);
  void FinishReconcileReceive(TimePoint now, const wire::RecordEof& m);
  void ConfirmInSync(TimePoint now, uint64_t gvn);
  // Reconciliation mode: this node is sending, receiving or awaiting a reconciliation.
  bool Reconciling() const;
  WriteOutcome Postpone(TimePoint now, wire::RecordOp op, std::string_view table,
                        std::string_view key, std::string_view value, Durability durability,
                        uint64_t token);
  void RunPostponed(TimePoint now);
  void ArmPostponedTimer();
  void EndReconcile();
  void ArmWriteTimer();
  WriteOutcome Write(TimePoint now, wire::RecordOp op, std::string_view table, std::string_view key,
                     std::string_view value, Durability durability, uint64_t token,
                     WriteIntent intent);
  WriteOutcome Apply(TimePoint now, wire::RecordOp op, store::Table* table, std::string_view key,
                     std::string_view value, Durability durability, uint64_t token);
  bool Replicating() const;
  Status CheckWritable(Durability durability) const;

  template <typename Message>
  uint64_t Send(const Message& message);
  void SendHello(TimePoint now);
  void SendHeartbeat();
  void SendAckIfDue();
  bool Outranks(uint8_t priority, NodeId id) const;
  void DetectSplitBrain(TimePoint now);
  bool KeepsActiveRole() const;
  SyncState CurrentSync() const;
  void ArmTimer(TimerId id, TimePoint deadline);
  void Log(Severity severity, std::string text);

  CoreConfig config_;
  store::Store store_;
  Hlc hlc_;
  std::map<std::string, MergeFunction, std::less<>> merge_functions_;
  Postponed postponed_;
  TimePoint postponed_timer_at_ = kNever;
  Counters counters_;
  Effects effects_;
  StreamExtension* extension_ = nullptr;
  uint64_t last_term_ = 0;

  Role role_ = Role::kInit;
  bool stopped_ = false;  // Shutdown() was called
  TimePoint active_since_{0};
  TimePoint ack_progress_at_{0};  // when the peer last acknowledged something new (AcksProgress)
  uint64_t gvn_ = 0;

  // Channel (one connection session); reset on every OnChannelUp.
  bool channel_up_ = false;
  PeerView peer_;
  wire::FrameReader reader_;
  uint8_t peer_priority_ = 0;
  // What the two hellos of this connection said: both nodes decide from these same numbers.
  uint64_t hello_active_ms_ = 0;
  uint64_t peer_hello_active_ms_ = 0;
  bool peer_preempt_ = false;
  Outbound out_;
  Inbound in_;
  AckWaiters waiters_;

  // The bulk sync (or, on a yielding standby, the reconciliation) this node is sending, if any
  // (seed 000, FIG. 5B and 5C): the same walk, restamping records below `gvn` as it sends them.
  struct BulkSender {
    wire::SyncKind kind = wire::SyncKind::kBulk;
    bool running = false;
    bool started = false;  // ran on this connection, or is running (set whenever `running` is)
    bool blocked = false;  // paused until acks bring the unacked bytes under the window
    uint64_t gvn = 0;
    size_t table = 0;  // index of the table being walked
    uint64_t sent = 0;
    uint64_t total = 0;
    uint64_t eof_seq = 0;  // seq of the EOF frame; the peer is in sync once it is acked
    double tokens = 0;     // --bulk-rate token bucket
    TimePoint refilled{0};
  } bulk_;
  // The standby fell behind the unacked bound: stop the incremental stream and resynchronise
  // it with a new bulk sync once it has drained (never grow the queue, never lose a write).
  bool resync_needed_ = false;
  TimePoint write_timer_at_ = kNever;

  // Reconciliation on this connection (docs/reconciliation.md). A yielding standby requests it,
  // then sends with `bulk_` (kind kReconcile); the active awaits, then receives and merges.
  struct Reconcile {
    wire::ReconcileReason reason = wire::ReconcileReason::kSplitBrain;
    uint64_t gvn = 0;
    bool requested = false;  // standby: SyncRequest sent, answer awaited
    bool sent = false;       // standby: EOF sent, waiting for the active to take it
    bool awaiting = false;   // active: the peer promised a reconciliation (no bulk sync till then)
    bool receiving = false;  // active: request accepted, records arriving
    uint64_t total = 0;      // records the sender announced (standby: the estimate it sends)
    MergeCounts merged;      // active
    // Active: the GVN of the peer's bulk sync this node was receiving when it took the active
    // role over by switchover. Only then may an interrupted-bulk reconciliation come, and only
    // at that GVN: its EOF erases every record below the GVN.
    std::optional<uint64_t> interrupted_bulk_gvn;
  } recon_;
  bool split_brain_ = false;  // two actives met on this connection and it is not resolved yet

  // After accepting a switchover: the peer's heartbeats keep saying "active" until it has read
  // our answer; they are ignored until one says "standby".
  bool awaiting_peer_standby_ = false;
  uint64_t next_switchover_id_ = 1;
  uint64_t switchover_pending_ = 0;  // id of the request this node is waiting on; 0 if none
  // The pending request said this node will reconcile once standby, with this reason and GVN.
  bool switchover_reconcile_ = false;
  wire::ReconcileReason switchover_reason_ = wire::ReconcileReason::kHandover;
  uint64_t switchover_gvn_ = 0;
  uint64_t switchover_remaining_ = 0;  // records the interrupted bulk sync had not sent
  uint64_t switchover_seq_ = 0;        // the request's frame: the answer acknowledges up to it
};

// Every frame goes out through the session's Outbound, which numbers it and keeps order.
template <typename Message>
uint64_t Node::Send(const Message& message) {
  return out_.Send(effects_.send, message);
}

template <typename Message>
bool Node::SendToPeer(TimePoint now, const Message& message) {
  if (!Replicating()) return false;
  Send(message);
  if (out_.unacked_bytes() > config_.max_unacked_bytes) Overflowed(now);
  return true;
}

}  // namespace hasync::core
