// Replays: queued while max_concurrent_replays are in flight, planned when built (the history
// only grows above the fork meanwhile), and written as one op straight into the connection's
// output. A replay by keys reads them in one go. One that resets sections walks its table a
// slice per turn (replay_slice_records), while the connection has room (window_bytes): it sends
// the records as they were when it began and not changed since; what changed meanwhile became
// ops above the replay's, which a catch-up sends once the walk is done.
#include <algorithm>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

// The keys of a replay by keys (or of the first slice of one that also resets sections): each
// as it is now, or a delete.
void WriteKeys(const store::Table* table, const Channel& ch, const std::vector<std::string>& keys,
               UpdateStream& out) {
  for (const std::string& key : keys) {
    if (!HasPrefix(key, ch.prefix)) continue;
    const uint8_t section = ch.watch->SectionOf(key);
    std::optional<store::RecordView> r = table ? table->Get(key) : std::nullopt;
    if (r) {
      out.Add(wire::UpdateRecord{section, wire::UpdateKind::kPut, key, r->value});
    } else {
      out.Add(wire::UpdateRecord{section, wire::UpdateKind::kDelete, key, {}});
    }
  }
}

// Up to `max` records of the walk: those of the subscription in the reset sections.
void WalkSlice(OpenReplay& replay, const Channel& ch, size_t max, UpdateStream& out) {
  if (!replay.walk) return;
  const TableWatch& watch = *ch.watch;
  replay.walk->Step(max, [&](const store::RecordView& r) {
    if (r.tombstone || !HasPrefix(r.key, ch.prefix)) return;
    ++replay.subscription;
    const uint8_t section = watch.SectionOf(r.key);
    if ((replay.header.reset & SectionBit(section)) == 0) return;
    out.Add(wire::UpdateRecord{section, wire::UpdateKind::kPut, r.key, r.value});
  });
}

}  // namespace

void PublisherImpl::Enqueue(Channel& ch) {
  if (ch.queued) return;
  ch.queued = true;
  replay_queue.push_back(ch.id);
}

void PublisherImpl::FallBehind(Channel& ch, const Conn& c) {
  ch.phase = ChannelPhase::kBehind;
  if (c.queued != 0) return;  // the catch-up waits for the connection to drain (Written)
  ch.phase = ChannelPhase::kReplaying;
  ch.catch_up = true;
  Enqueue(ch);
}

void PublisherImpl::PumpReplays() {
  if (role != Role::kActive) return;
  while (replays_in_flight < config.max_concurrent_replays && !replay_queue.empty()) {
    Channel* ch = Find(replay_queue.front());
    replay_queue.pop_front();
    if (ch == nullptr) continue;
    ch->queued = false;
    if (ch->phase != ChannelPhase::kReplaying || !ch->conn) continue;
    if (auto it = conns.find(*ch->conn); it != conns.end()) BuildReplay(*ch, it->second);
  }
}

ReplayPlan PublisherImpl::PlanFor(const Channel& ch) const {
  if (ch.full_replay) {
    ReplayPlan plan;
    plan.kind = ReplayKind::kFull;
    plan.sections = kAllSections;
    plan.mask = kAllSections;
    return plan;
  }
  const SectionFunction& section_of = ch.watch->section_function();
  if (ch.catch_up) {
    return PlanCatchUp(ch.history, ch.table(), ch.sent_op, config.policy, section_of);
  }
  return PlanResume(ch.history, ch.table(), ch.resume, config.policy, section_of);
}

void PublisherImpl::InSync(Channel& ch, const ReplayPlan& plan) {
  ch.history.Ack(plan.fork_op, plan.fork_term);
  if (!ch.catch_up) ch.next_op = std::max(ch.next_op, ch.resume.last_op + 1);
  ch.sent_op = ch.next_op - 1;
  ch.phase = ChannelPhase::kLive;
  ch.catch_up = false;
  ch.resume = ResumePoint();
}

void PublisherImpl::BuildReplay(Channel& ch, Conn& c) {
  const ReplayPlan plan = PlanFor(ch);
  if (plan.kind == ReplayKind::kNone) {
    InSync(ch, plan);
    return;
  }
  ch.history.Ack(plan.fork_op, plan.fork_term);
  // Above everything the consumer holds, so it applies the replay as a new op.
  if (!ch.catch_up) ch.next_op = std::max(ch.next_op, ch.resume.last_op + 1);
  const uint64_t op = ch.next_op++;
  auto replay = std::make_unique<OpenReplay>();
  replay->header = wire::ConsumerUpdate{ch.id, op, term, plan.mask, true, false, plan.sections, {}};
  replay->kind = plan.kind;
  const store::Table* table = node->store().Find(ch.table());
  if (table != nullptr && plan.sections != 0) replay->walk = table->Walk();
  // A keyed replay of a prefix subscription does not count it: that would walk the table.
  if (table != nullptr && ch.prefix.empty() && plan.sections == 0) {
    replay->subscription = table->size();
  }
  ch.history.Append(op, term, plan.mask, nullptr, 0);
  ch.sent_op = op;
  ch.full_replay = false;
  ch.catch_up = false;
  ch.resume = ResumePoint();
  ch.open = std::move(replay);
  MarkDirty(ch);
  if (!c.replay_slot) {  // one slot a connection, however many replays it gets before it drains
    c.replay_slot = true;
    ++replays_in_flight;
  }
  WriteSlice(ch, c, plan.keys);
}

bool PublisherImpl::WriteSlice(Channel& ch, Conn& c, const std::vector<std::string>& keys) {
  OpenReplay& replay = *ch.open;
  if (replay.walk && replay.walk->lost()) {
    // Its table was emptied at once (a bulk sync's start): what it sent no longer stands.
    FlagFull(ch);
    Close(*ch.conn, "its table was cleared during a replay");
    return false;
  }
  std::vector<uint8_t>& bytes = Out(*ch.conn);
  const size_t before = bytes.size();
  UpdateStream out(&bytes, &c.next_seq, replay.header, config.fragment_bytes);
  WriteKeys(node->store().Find(ch.table()), ch, keys, out);
  WalkSlice(replay, ch, config.replay_slice_records, out);
  const bool done = !replay.walk || replay.walk->done();
  if (done && replay.walk) WriteWalkChanges(ch, replay, out);
  out.Finish(/*more=*/!done);
  Emitted(c, bytes.size() - before);
  c.replay_end = c.emitted;
  replay.records += out.records();
  replay.record_bytes += out.record_bytes();
  if (done) {
    FinishReplay(ch);
  } else if (ReadyForSlice(ch)) {
    Arm(now);  // the next slice in a turn of its own
  }
  return true;
}

// The records of the reset sections written while the walk ran are not in it (or are, as they
// were before), and the reset would make the consumer drop them until the catch-up brings them
// back: the replay ends with their current values, or deletes. The keys the policy does not
// keep (past replay_keys_max, or of ops without keys) wait for the catch-up.
void PublisherImpl::WriteWalkChanges(const Channel& ch, const OpenReplay& replay,
                                     UpdateStream& out) {
  if (ch.next_op - 1 == replay.header.op) return;
  const ReplayPlan changed = PlanCatchUp(ch.history, ch.table(), replay.header.op, config.policy,
                                         ch.watch->section_function());
  std::vector<std::string> keys;
  for (const std::string& key : changed.keys) {
    if ((replay.header.reset & SectionBit(ch.watch->SectionOf(key))) != 0) keys.push_back(key);
  }
  WriteKeys(node->store().Find(ch.table()), ch, keys, out);
}

// The changes made while it was written are ops above it: a catch-up sends them, once the
// connection has drained (Written), which also frees the replay's slot first.
void PublisherImpl::FinishReplay(Channel& ch) {
  CountReplay(ch, *ch.open);
  const uint64_t op = ch.open->header.op;
  ch.open.reset();
  if (ch.next_op - 1 == op) {
    ch.phase = ChannelPhase::kLive;
    return;
  }
  FallBehind(ch, conns.at(*ch.conn));
}

bool PublisherImpl::ReadyForSlice(const Channel& ch) const {
  if (!ch.open || !ch.conn) return false;
  auto it = conns.find(*ch.conn);
  return it != conns.end() && it->second.queued < config.window_bytes;
}

void PublisherImpl::AdvanceReplays() {
  for (auto& [id, ch] : channels) {
    if (ReadyForSlice(ch)) WriteSlice(ch, conns.at(*ch.conn), {});
  }
}

void PublisherImpl::CountReplay(Channel& ch, const OpenReplay& replay) {
  ++counters.replays[static_cast<size_t>(replay.kind)];
  counters.replayed_records += replay.records;
  counters.replayed_bytes += replay.record_bytes;
  counters.full_resend_records += replay.subscription;
  counters.failover_replayed_records += replay.records;
  counters.failover_replayed_bytes += replay.record_bytes;
  counters.failover_full_resend_records += replay.subscription;
  ++ch.replays;
  ch.replayed_records += replay.records;
  ch.replayed_bytes += replay.record_bytes;
  ch.last_replay_records = replay.records;
  ch.last_replay = replay.kind;
}

}  // namespace hasync::replay
