// Planned switchover: the active hands its role to its standby (seed 000, FIG. 3 and 4).
//
// The request travels on the same ordered stream as the records, so when the standby reads it
// it has applied everything the active sent; its response therefore acknowledges every earlier
// frame. The standby answers before it announces its new role, and neither side runs election
// while a request is open, so the two never see each other as active.
//
// If the standby holds everything the active holds (its bulk sync ended and the stream kept up),
// the handover is all there is. Otherwise - a bulk sync or a reconciliation is under way - the
// request says so: the standby takes over anyway and waits, and the old active, once standby,
// reconciles what the new one may lack (reconcile.cc).
#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {

// True when every record this node holds has reached the standby on this connection: its bulk
// sync EOF went out (or it took the role over from an in-sync node) and no write was left out.
bool Node::StandbyHoldsEverything() const {
  if (resync_needed_ || recon_.awaiting || recon_.receiving) return false;
  return peer_.in_sync || (bulk_.started && !bulk_.running && bulk_.eof_seq != 0);
}

Status Node::RequestSwitchover(TimePoint now) {
  if (stopped_) return Unavailable("the node is shutting down");
  if (role_ != Role::kActive) {
    return NotActive(fmt::format("switchover is asked of the active node; node {} is {}",
                                 config_.node_id, RoleName(role_)));
  }
  if (switchover_pending_ != 0) return Unavailable("a switchover is already in progress");
  if (!peer_.connected || peer_.role != Role::kStandby) {
    return Unavailable("no standby is connected");
  }
  switchover_reconcile_ = !StandbyHoldsEverything();
  if (switchover_reconcile_) {
    // Only the rest of a running bulk sync is missing; anything else needs every record.
    bool bulk = bulk_.running && !resync_needed_;
    switchover_reason_ =
        bulk ? wire::ReconcileReason::kInterruptedBulk : wire::ReconcileReason::kHandover;
    switchover_gvn_ = bulk ? bulk_.gvn : 0;
    switchover_remaining_ = bulk && bulk_.total > bulk_.sent ? bulk_.total - bulk_.sent : 0;
    // Nothing more may follow the request: the standby becomes active once it reads it.
    bulk_.running = false;
    ArmTimer(TimerId::kBulkStep, kNever);
  }
  switchover_pending_ = next_switchover_id_++;
  switchover_seq_ =
      Send(wire::SwitchoverRequest{switchover_pending_, gvn_, hlc_.last(), switchover_reconcile_});
  ArmTimer(TimerId::kSwitchover, now + config_.switchover_timeout);
  Log(Severity::kInfo,
      fmt::format("switchover to node {} requested{}", peer_.node_id,
                  switchover_reconcile_ ? "; this node reconciles once standby" : ""));
  return Status::Ok();
}

void Node::OnSwitchoverRequest(TimePoint now, const wire::SwitchoverRequest& m) {
  wire::SwitchoverResponse response{m.id, false, wire::SwitchoverRefusal::kNone};
  if (role_ != Role::kStandby || peer_.role != Role::kActive) {
    response.reason = wire::SwitchoverRefusal::kNotStandby;
  } else if (!m.reconcile && !in_.synced) {
    response.reason = wire::SwitchoverRefusal::kNotInSync;
  } else {
    response.accepted = true;
  }
  Send(response);
  if (!response.accepted) return;
  // Never stamp below anything the old active stamped.
  gvn_ = std::max(gvn_, m.gvn);
  hlc_.Observe(m.hlc);
  peer_.gvn = gvn_;
  peer_.role = Role::kStandby;
  awaiting_peer_standby_ = true;
  // A reconciliation this node was sending stops here: it becomes the receiving side, and the
  // peer will send it everything.
  bulk_ = BulkSender();
  recon_ = Reconcile();
  if (m.reconcile) {
    recon_.awaiting = true;
    // The bulk sync the request interrupts: the old active reconciles the rest of it, and the
    // sweep after that reconciliation is right only at this bulk's GVN.
    if (in_.bulk_receiving) recon_.interrupted_bulk_gvn = in_.bulk_gvn;
    peer_.in_sync = false;
  } else {
    // The old active holds everything this node holds: no bulk sync is needed to follow it.
    bulk_.started = true;
    peer_.in_sync = true;
  }
  in_.synced = false;
  ++counters_.switchovers;
  BecomeActive(now, fmt::format("switchover requested by node {}", peer_.node_id), !m.reconcile);
}

void Node::OnSwitchoverResponse(TimePoint now, const wire::SwitchoverResponse& m) {
  if (m.id != switchover_pending_) {
    Log(Severity::kWarning, fmt::format("ignoring an answer to switchover request {}", m.id));
    return;
  }
  switchover_pending_ = 0;
  ArmTimer(TimerId::kSwitchover, kNever);
  if (!m.accepted) {
    const char* why = m.reason == wire::SwitchoverRefusal::kNotInSync    ? "it is not in sync"
                      : m.reason == wire::SwitchoverRefusal::kNotStandby ? "it is not standby"
                                                                         : "it is busy";
    effects_.events.push_back(
        SwitchoverCompleted{Rejected(fmt::format("node {} refused: {}", peer_.node_id, why))});
    // The request stopped a sync in the middle; a new connection starts it over cleanly.
    if (switchover_reconcile_) {
      LoseChannel(now, "switchover refused in the middle of a sync",
                  CloseCause::kSwitchoverTimeout);
    }
    return;
  }
  // The standby read the request, so it applied every frame before it.
  out_.Acked(switchover_seq_);
  counters_.replicated_acked += waiters_.Acked(switchover_seq_, &effects_.events);
  ArmWriteTimer();
  peer_.role = Role::kActive;
  ++counters_.switchovers;
  BecomeStandby(now, fmt::format("switched over to node {}", peer_.node_id));
  effects_.events.push_back(SwitchoverCompleted{Status::Ok()});
  if (!switchover_reconcile_) {
    in_.synced = true;  // it held everything the new active holds
    return;
  }
  uint64_t gvn = switchover_reason_ == wire::ReconcileReason::kInterruptedBulk
                     ? switchover_gvn_
                     : std::max(gvn_, peer_.gvn) + 1;
  StartReconcile(now, switchover_reason_, gvn, switchover_remaining_);
}

void Node::MaybePreempt(TimePoint now) {
  if (role_ != Role::kActive || !peer_.connected || !peer_.in_sync || !peer_preempt_) return;
  if (Outranks(peer_priority_, peer_.node_id) || switchover_pending_ != 0) return;
  Log(Severity::kInfo, fmt::format("node {} outranks this node and preempts", peer_.node_id));
  (void)RequestSwitchover(now);
}

}  // namespace hasync::core
