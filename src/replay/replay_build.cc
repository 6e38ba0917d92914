// Replays: queued while max_concurrent_replays are in flight, planned when built (the history
// only grows above the fork meanwhile), read from the store in one go so the replay is
// consistent with it, and written as one op straight into the connection's output.
#include <algorithm>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

uint64_t CountPrefix(const store::Table& table, std::string_view prefix) {
  uint64_t n = 0;
  table.ForEach([&](const store::RecordView& r) { n += HasPrefix(r.key, prefix) ? 1 : 0; });
  return n;
}

// Writes the plan's records; returns how many records the subscription holds (what a full
// replay sends), for the counters.
uint64_t WriteReplay(const store::Table* table, const Channel& ch, const ReplayPlan& plan,
                     UpdateStream& out) {
  if (table == nullptr) return 0;
  const TableWatch& watch = *ch.watch;
  uint64_t subscription = 0;
  if (plan.sections != 0) {
    table->ForEach([&](const store::RecordView& r) {
      if (!HasPrefix(r.key, ch.prefix)) return;
      ++subscription;
      const uint8_t section = watch.SectionOf(r.key);
      if ((plan.sections & SectionBit(section)) == 0) return;
      out.Add(wire::UpdateRecord{section, wire::UpdateKind::kPut, r.key, r.value});
    });
  } else {
    subscription = ch.prefix.empty() ? table->size() : CountPrefix(*table, ch.prefix);
  }
  for (const std::string& key : plan.keys) {
    if (!HasPrefix(key, ch.prefix)) continue;
    const uint8_t section = watch.SectionOf(key);
    if (std::optional<store::RecordView> r = table->Get(key)) {
      out.Add(wire::UpdateRecord{section, wire::UpdateKind::kPut, key, r->value});
    } else {
      out.Add(wire::UpdateRecord{section, wire::UpdateKind::kDelete, key, {}});
    }
  }
  return subscription;
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
  const wire::ConsumerUpdate header{ch.id, op, term, plan.mask, true, false, plan.sections, {}};
  std::vector<uint8_t>& bytes = Out(*ch.conn);
  const size_t before = bytes.size();
  UpdateStream out(&bytes, &c.next_seq, header, config.fragment_bytes);
  const uint64_t subscription = WriteReplay(node->store().Find(ch.table()), ch, plan, out);
  out.Finish();
  Emitted(c, bytes.size() - before);
  ch.history.Append(op, term, plan.mask, nullptr, 0);
  ch.sent_op = op;
  ch.phase = ChannelPhase::kLive;
  ch.full_replay = false;
  ch.catch_up = false;
  ch.resume = ResumePoint();
  MarkDirty(ch);
  c.replay_slot = true;
  c.replay_end = c.emitted;
  ++replays_in_flight;
  CountReplay(ch, plan.kind, out, subscription);
}

void PublisherImpl::CountReplay(Channel& ch, ReplayKind kind, const UpdateStream& out,
                                uint64_t subscription) {
  ++counters.replays[static_cast<size_t>(kind)];
  counters.replayed_records += out.records();
  counters.replayed_bytes += out.record_bytes();
  counters.full_resend_records += subscription;
  counters.failover_replayed_records += out.records();
  counters.failover_replayed_bytes += out.record_bytes();
  counters.failover_full_resend_records += subscription;
  ++ch.replays;
  ch.replayed_records += out.records();
  ch.replayed_bytes += out.record_bytes();
  ch.last_replay_records = out.records();
  ch.last_replay = kind;
}

}  // namespace hasync::replay
