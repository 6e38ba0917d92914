// Roles: the hello exchange, election, failover and the loss of a channel.
//
// Election is a pure function of what both nodes know (roles, priorities, node ids, and how long
// each had been active when it said hello), so both sides reach the same answer from the same
// hello and heartbeat contents:
//   - an active peer is followed: a node in init becomes standby (no preemption at start);
//   - with no active in the pair, the higher priority, then the higher node id, becomes active;
//   - two actives that meet (both came up alone, a healed partition, a node restarted while its
//     peer still held the old connection) are a split-brain: the configured rule keeps one, the
//     other yields and reconciles its records into it (reconcile.cc), so neither side's writes
//     are lost.
#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {

void Node::OnHello(TimePoint now, const wire::Hello& m) {
  if (peer_.connected) {
    Fail(now, ProtocolError("the peer sent a second hello"), InputFault::kOrder);
    return;
  }
  std::string refusal;
  uint64_t* count = nullptr;
  if (m.version != wire::kProtocolVersion) {
    refusal =
        fmt::format("peer speaks protocol v{}, this node v{}", m.version, wire::kProtocolVersion);
    count = &counters_.rejected_version;
  } else if (m.cluster != config_.cluster) {
    refusal = fmt::format("peer belongs to cluster '{}', not '{}'", m.cluster, config_.cluster);
    count = &counters_.rejected_cluster;
  } else if (m.node_id == config_.node_id) {
    refusal = fmt::format("peer claims this node's id {}", m.node_id);
    count = &counters_.rejected_node_id;
  } else if (m.config_digest != SharedConfigDigest(config_)) {
    refusal =
        "peer's shared settings differ from this node's (max key, value or table name size, or "
        "split_brain_rule)";
    count = &counters_.rejected_settings;
  }
  if (count != nullptr) {
    ++*count;
    Log(Severity::kError, "rejected peer: " + refusal);
    Send(wire::Goodbye{wire::GoodbyeReason::kRejected, refusal});
    LoseChannel(now, refusal, CloseCause::kRejected);
    return;
  }
  peer_.connected = true;
  peer_.node_id = m.node_id;
  peer_.role = static_cast<Role>(m.role);
  peer_.gvn = m.gvn;
  peer_priority_ = m.priority;
  peer_hello_active_ms_ = m.active_ms;
  peer_preempt_ = (m.flags & 1) != 0;
  hlc_.Observe(m.hlc);
  Log(Severity::kInfo, fmt::format("peer {} connected ({}, priority {}, gvn {})", m.node_id,
                                   RoleName(peer_.role), m.priority, m.gvn));
  Elect(now);
}

void Node::OnHeartbeat(TimePoint now, const wire::Heartbeat& m) {
  peer_.gvn = m.gvn;
  peer_.sync = static_cast<SyncState>(m.sync_state);
  Role role = static_cast<Role>(m.role);
  if (awaiting_peer_standby_) {
    // Heartbeats the old active sent before it read our switchover answer still say "active".
    if (role != Role::kStandby) return;
    awaiting_peer_standby_ = false;
  }
  if (role == peer_.role) return;
  peer_.role = role;
  Elect(now);
}

void Node::Elect(TimePoint now) {
  if (!peer_.connected) return;
  // A switchover in flight changes both roles in a known order; electing meanwhile would race it.
  if (switchover_pending_ != 0) return;
  bool outranks = Outranks(peer_priority_, peer_.node_id);
  Role peer = peer_.role;
  switch (role_) {
    case Role::kInit:
      if (peer == Role::kActive || !outranks) {
        BecomeStandby(now,
                      peer == Role::kActive ? "peer is already active" : "peer outranks this node");
      } else {
        BecomeActive(now, "this node outranks its peer");
      }
      break;
    case Role::kActive:
      if (peer == Role::kActive) DetectSplitBrain(now);
      break;
    case Role::kStandby:
      if (peer != Role::kActive && outranks) BecomeActive(now, "the pair has no active node");
      break;
  }
  MaybeStartBulkSync(now);
}

// Two actives met (seed 000, FIG. 8 and 9). Both decide from the same numbers, so exactly one
// stays: the other yields, reconciles everything it holds into the one that stays, and is then
// bulk-synced back. Nothing either side wrote is lost, so the rule is the operator's choice.
void Node::DetectSplitBrain(TimePoint now) {
  if (split_brain_) return;  // already decided on this connection
  split_brain_ = true;
  bool keeps = KeepsActiveRole();
  ++counters_.split_brains;
  Log(Severity::kWarning,
      fmt::format("split-brain detected: node {} is active too; {} (rule {})", peer_.node_id,
                  keeps ? "this node stays active" : "this node yields and reconciles",
                  SplitBrainRuleName(config_.split_brain_rule)));
  effects_.events.push_back(SplitBrainDetected{peer_.node_id, keeps});
  if (keeps) {
    recon_.awaiting = true;  // no bulk sync: it would erase what the peer alone holds
    return;
  }
  uint64_t gvn = std::max(gvn_, peer_.gvn) + 1;
  BecomeStandby(now, "split-brain: the peer keeps the active role");
  StartReconcile(now, wire::ReconcileReason::kSplitBrain, gvn);
}

// Both sides compare the values their hellos carried on this connection, so they always agree.
bool Node::KeepsActiveRole() const {
  bool by_priority = config_.priority != peer_priority_;
  bool by_age = hello_active_ms_ != peer_hello_active_ms_;
  bool older = hello_active_ms_ > peer_hello_active_ms_;
  bool priority_first = config_.split_brain_rule == SplitBrainRule::kPriorityFirst;
  if (priority_first && by_priority) return config_.priority > peer_priority_;
  if (by_age) return older;
  if (by_priority) return config_.priority > peer_priority_;
  return config_.node_id > peer_.node_id;
}

void Node::BecomeActive(TimePoint now, std::string reason, bool held_everything) {
  active_since_ = now;
  if (peer_.connected) gvn_ = std::max(gvn_, peer_.gvn);
  in_.bulk_receiving = false;
  SetRole(now, Role::kActive, std::move(reason), held_everything);
}

void Node::BecomeStandby(TimePoint now, std::string reason) {
  counters_.replicated_failed += waiters_.FailAll(
      NotReplicated("this node gave up the active role before the standby acknowledged"),
      &effects_.events);
  counters_.postponed_failed += postponed_.FailAll(
      NotActive(fmt::format("node {} gave up the active role before the postponed write ran",
                            config_.node_id)),
      &effects_.events);
  ArmPostponedTimer();
  recon_.awaiting = false;
  recon_.receiving = false;
  bulk_.running = false;
  resync_needed_ = false;
  in_.synced = false;
  SetRole(now, Role::kStandby, std::move(reason));
}

void Node::SetRole(TimePoint now, Role role, std::string reason, bool held_everything) {
  if (role == role_) return;
  Role from = role_;
  role_ = role;
  Log(Severity::kInfo, fmt::format("role {} -> {}: {}", RoleName(from), RoleName(role), reason));
  effects_.events.push_back(RoleChanged{from, role, std::move(reason)});
  if (extension_ != nullptr) extension_->OnRoleChanged(now, from, role, held_everything);
  // Tell the peer at once rather than at the next heartbeat: election depends on it. Our hello
  // went out when the channel came up, so the peer accepts a heartbeat even if its own hello
  // has not reached us yet (a role taken in that window must not go unannounced).
  if (channel_up_) SendHeartbeat();
}

void Node::LoseChannel(TimePoint now, std::string_view reason, std::optional<CloseCause> cause) {
  if (!channel_up_) return;
  bool was_connected = peer_.connected;
  // A standby that completed a bulk sync on this connection holds what its active sent it up
  // to the last frame (the extension's failover relies on it).
  bool held_everything = role_ == Role::kStandby && in_.synced;
  channel_up_ = false;
  ++counters_.channels_lost;
  if (cause) effects_.events.push_back(CloseChannel{std::string(reason), *cause});
  Log(Severity::kWarning, fmt::format("sync channel lost: {}", reason));
  counters_.replicated_failed += waiters_.FailAll(
      NotReplicated("the standby was lost before it acknowledged the write; it is applied on "
                    "the active only"),
      &effects_.events);
  bulk_.running = false;
  resync_needed_ = false;
  in_.Reset();
  EndReconcile();
  peer_.connected = false;
  peer_.in_sync = false;
  awaiting_peer_standby_ = false;
  ArmTimer(TimerId::kPeerDeadline, kNever);
  ArmTimer(TimerId::kBulkStep, kNever);
  if (switchover_pending_ != 0) {
    switchover_pending_ = 0;
    ArmTimer(TimerId::kSwitchover, kNever);
    effects_.events.push_back(SwitchoverCompleted{Unavailable("the sync channel was lost")});
  }
  if (role_ == Role::kStandby && was_connected) {
    ++counters_.failovers;
    BecomeActive(now, fmt::format("failover: {}", reason), held_everything);
  }
  RunPostponed(now);  // reconciliation mode ended with the channel
}

void Node::OnGoodbye(TimePoint now, const wire::Goodbye& m) {
  LoseChannel(now, fmt::format("peer said goodbye: {}", m.text), CloseCause::kPeerGoodbye);
}

}  // namespace hasync::core
