// Role changes (a new active's term, what it must replay; a standby's consumers moving on)
// and the snapshot of every channel that follows a bulk sync's BulkBegin.
#include <utility>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {

void PublisherImpl::RoleChanged(Role to, bool held_everything) {
  role = to;
  for (auto& [name, watch] : tables) {
    watch->collecting = to == Role::kActive;
    watch->changed.Clear();
    watch->cleared = false;
    watch->unknown = 0;
  }
  replay_queue.clear();
  for (auto& [id, ch] : channels) ch.queued = false;
  if (to == Role::kActive) {
    TakeOver(held_everything);
  } else {
    StepDown();
  }
  ClearUncovered();
  Rearm();
}

void PublisherImpl::TakeOver(bool held_everything) {
  term = node->NewTerm(now);
  counters.failover_replayed_records = 0;
  counters.failover_replayed_bytes = 0;
  counters.failover_full_resend_records = 0;
  // What the old active's consumers may hold that this node cannot tell from its histories:
  // the changes it applied that no op announced (ops now), or, without a completed bulk sync,
  // anything at all (full replays).
  if (held_everything) UncoveredToTurn();
  for (auto& [id, ch] : channels) {
    if (!held_everything) FlagFull(ch);
    Detach(ch);
  }
  Log(core::Severity::kInfo,
      fmt::format("consumers: active with term {}, {} channels{}", term, channels.size(),
                  held_everything || channels.empty() ? "" : ", all to be replayed in full"));
}

// The consumers move on to the new active; only ack-only connections stay. The histories wait
// for the new active's stream (a snapshot, or the ops that follow a switchover).
void PublisherImpl::StepDown() {
  for (auto it = conns.begin(); it != conns.end();) {
    const ConnId id = (it++)->first;
    if (conns.at(id).state == Conn::State::kSubscribed) Close(id, "this node is no longer active");
  }
  for (auto& [id, ch] : channels) {
    Detach(ch);
    ch.dirty = false;
    ch.ack_moved = false;
  }
  dirty.clear();
  acks.clear();
  drops.clear();
}

void PublisherImpl::SendSnapshot() {
  if (role != Role::kActive) return;
  node->SendToPeer(now, wire::ChannelDrop{0, wire::ChannelDropReason::kForgetAll});
  for (auto& [id, ch] : channels) {
    node->SendToPeer(now, StateOf(ch));
    ch.dirty = false;
    ch.ack_moved = false;
  }
  dirty.clear();
  acks.clear();
  drops.clear();
}

}  // namespace hasync::replay
