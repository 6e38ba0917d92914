// Planned switchover: the active hands its role to an in-sync standby without a bulk sync.
//
// The request travels on the same ordered stream as the records, so when the standby reads it
// it has applied everything the active sent; its response therefore acknowledges every earlier
// frame. The standby answers before it announces its new role, and neither side runs election
// while a request is open, so the two never see each other as active.
#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {

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
  if (!peer_.in_sync) {
    return Unavailable(fmt::format("the standby is not in sync yet (bulk sync {} of {} records)",
                                   bulk_.sent, bulk_.total));
  }
  switchover_pending_ = next_switchover_id_++;
  Send(wire::SwitchoverRequest{switchover_pending_, gvn_});
  ArmTimer(TimerId::kSwitchover, now + config_.switchover_timeout);
  Log(Severity::kInfo, fmt::format("switchover to node {} requested", peer_.node_id));
  return Status::Ok();
}

void Node::OnSwitchoverRequest(TimePoint now, const wire::SwitchoverRequest& m) {
  wire::SwitchoverResponse response{m.id, false, wire::SwitchoverRefusal::kNone};
  if (role_ != Role::kStandby || peer_.role != Role::kActive) {
    response.reason = wire::SwitchoverRefusal::kNotStandby;
  } else if (!in_.synced) {
    response.reason = wire::SwitchoverRefusal::kNotInSync;
  } else {
    response.accepted = true;
  }
  Send(response);
  if (!response.accepted) return;
  // Never stamp below anything the old active stamped.
  gvn_ = std::max(gvn_, m.gvn);
  peer_.gvn = gvn_;
  peer_.role = Role::kStandby;
  awaiting_peer_standby_ = true;
  // The old active holds everything this node holds: no bulk sync is needed to follow it.
  bulk_ = BulkSender();
  bulk_.started = true;
  peer_.in_sync = true;
  in_.synced = false;
  ++counters_.switchovers;
  BecomeActive(now, fmt::format("switchover requested by node {}", peer_.node_id));
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
    return;
  }
  // The answer follows every frame this node sent, so all of them were applied.
  out_.Acked(out_.frames());
  counters_.replicated_acked += waiters_.Acked(out_.frames(), &effects_.events);
  ArmWriteTimer();
  peer_.role = Role::kActive;
  ++counters_.switchovers;
  BecomeStandby(now, fmt::format("switched over to node {}", peer_.node_id));
  in_.synced = true;  // it held everything the new active holds
  effects_.events.push_back(SwitchoverCompleted{Status::Ok()});
}

void Node::MaybePreempt(TimePoint now) {
  if (role_ != Role::kActive || !peer_.connected || !peer_.in_sync || !peer_preempt_) return;
  if (Outranks(peer_priority_, peer_.node_id) || switchover_pending_ != 0) return;
  Log(Severity::kInfo, fmt::format("node {} outranks this node and preempts", peer_.node_id));
  (void)RequestSwitchover(now);
}

}  // namespace hasync::core
