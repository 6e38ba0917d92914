#include "sim/world.h"

#include <utility>

#include "fmt/format.h"

namespace hasync::sim {
namespace {

// A step at one instant of virtual time this many times over is a core that never yields.
constexpr uint64_t kMaxStepsAtOneInstant = 100'000;

// The pool's generator: the same seed, another stream ("pool-sim"); the consumers' ("cons-sim").
constexpr uint64_t kPoolStream = 0x706f'6f6c'2d73'696d;
constexpr uint64_t kConsumerStream = 0x636f'6e73'2d73'696d;

Setup MakeWorldSetup(Rng& rng, Rng& pool_rng, Rng& consumer_rng, const SimOptions& options) {
  Setup setup = MakeSetup(rng);
  DrawPool(pool_rng, IsPoolBreak(options.brk) ? PoolChoice::kAll : options.pool, &setup);
  DrawConsumers(consumer_rng,
                IsConsumerBreak(options.brk) ? ConsumerChoice::kAll : options.consumers, &setup);
  return setup;
}

}  // namespace

SimResult RunSeed(const SimOptions& options) { return World(options).Run(); }

World::World(const SimOptions& options)
    : options_(options),
      rng_(options.seed),
      pool_rng_(options.seed ^ kPoolStream),
      consumer_rng_(options.seed ^ kConsumerStream),
      trace_(options.trace),
      setup_(MakeWorldSetup(rng_, pool_rng_, consumer_rng_, options)),
      tamper_(options.brk,
              [this](int from, std::string_view table, const wire::RecordEntry& e) {
                return ReceiverLacks(1 - from, table, e);
              }),
      network_(setup_.net, &rng_, &queue_, this, &tamper_, &trace_),
      workload_(this),
      pool_clients_(this),
      consumers_(this),
      invariants_(this),
      faults_(this) {}

World::~World() = default;

SimResult World::Run() {
  trace_(now(), "sim", "seed {}: {}", options_.seed, Describe(setup_));
  faults_.Plan();
  SimResult result;
  result.seed = options_.seed;
  const TimePoint end = setup_.end();
  TimePoint last{-1};
  uint64_t same_instant = 0;
  while (!failure_ && !queue_.empty() && queue_.next_time() <= end) {
    idle_step_ = false;
    queue_.Pop()();
    if (idle_step_) continue;
    ++result.steps;
    if (break_crash_) {
      const int slot = *std::exchange(break_crash_, std::nullopt);
      trace_(now(), "break", "crashing {} right after it acknowledged a lost write",
             NodeName(slot));
      Crash(slot, CrashKind::kKill);
    }
    if (!failure_) invariants_.AfterStep();
    if (!options_.watch.empty()) Watch();
    same_instant = now() == last ? same_instant + 1 : 0;
    last = now();
    if (same_instant > kMaxStepsAtOneInstant) {
      Fail("liveness", fmt::format("{} steps without virtual time advancing", same_instant));
    }
  }
  result.faults = faults_.count();
  result.writes = workload_.writes();
  result.split_brains = split_brains_;
  result.reconciliations = reconciliations_;
  result.postponed = workload_.postponed_total();
  result.chased = faults_.chased();
  result.pool = setup_.pool.on;
  result.pool_counts = pool_clients_.counts();
  result.consumers = setup_.consumers.on;
  result.consumer_counts = consumers_.counts();
  result.end = now();
  result.failure = failure_;
  return result;
}

void World::Watch() {
  const std::string_view watch = options_.watch;
  const size_t slash = watch.rfind('/');  // tables may hold one (pool/<name>)
  if (slash == std::string_view::npos) return;
  for (int slot : {0, 1}) {
    std::string now_held = "down";
    if (running(slot)) {
      const store::Table* table = node(slot).store().Find(watch.substr(0, slash));
      const std::optional<store::RecordView> r =
          table != nullptr ? table->Lookup(watch.substr(slash + 1)) : std::nullopt;
      if (!r) {
        now_held = "absent";
      } else if (r->tombstone) {
        now_held = fmt::format("tombstone rvn {} rank {}", r->rvn, ShowRank({r->stamp, r->origin}));
      } else {
        const std::string value(r->value);
        now_held = fmt::format("{} rvn {} rank {}", ShowValue(&value), r->rvn,
                               ShowRank({r->stamp, r->origin}));
      }
    }
    if (now_held == watched_[slot]) continue;
    watched_[slot] = now_held;
    trace_(now(), NodeName(slot), "WATCH {}: {}", watch, now_held);
  }
}

void World::Start(int slot) {
  Slot& s = slots_[slot];
  s.node = std::make_unique<core::Node>(setup_.nodes[slot]);
  ++s.incarnation;
  s.started = now();
  const uint64_t wall_ms = setup_.wall_ms(slot, now());
  trace_(now(), NodeName(slot), "start (incarnation {}, empty store, wall clock {} ms)",
         s.incarnation, wall_ms);
  invariants_.NodeStarted(slot);
  pool_clients_.NodeStarting(slot, *s.node);
  consumers_.NodeStarting(slot, *s.node);
  Call(slot, [&](core::Node& n) { n.Start(now(), wall_ms); });
  network_.NodeStarted(slot);
}

bool World::ReceiverLacks(int slot, std::string_view table, const wire::RecordEntry& e) const {
  if (!running(slot)) return false;
  const store::Table* t = slots_[slot].node->store().Find(table);
  if (t == nullptr) return true;
  const std::optional<store::RecordView> r = t->Lookup(e.key);
  return !r || Rank{r->stamp, r->origin} < Rank{e.stamp, e.origin};
}

void World::Crash(int slot, CrashKind kind) {
  if (!running(slot)) return;
  static constexpr std::array<std::string_view, 3> kKinds = {"kill -9", "power loss",
                                                             "graceful stop"};
  trace_(now(), NodeName(slot), "CRASH ({})", kKinds[static_cast<size_t>(kind)]);
  if (kind == CrashKind::kStop) Call(slot, [&](core::Node& n) { n.Shutdown(now()); });
  Slot& s = slots_[slot];
  s.node.reset();
  switchover_pending_[slot] = false;
  ++s.incarnation;  // pending timers of the dead node are ignored
  network_.NodeStopped(slot, kind != CrashKind::kPowerLoss);
  workload_.NodeLost(slot);
  pool_clients_.NodeLost(slot);
  consumers_.NodeLost(slot, kind != CrashKind::kPowerLoss);
  history_.NodeLost(slot);
  invariants_.AfterCrash(slot);
}

void World::Fail(std::string_view invariant, std::string message) {
  if (failure_) return;
  trace_(now(), "FAILED", "{}: {}", invariant, message);
  failure_ = Failure{std::string(invariant), std::move(message), now()};
}

void World::Drain(int slot) {
  core::Effects fx;
  std::swap(fx, node(slot).effects());
  // In the order effects.h prescribes: bytes, timers, then events.
  if (!fx.send.empty()) network_.Send(slot, fx.send);
  Slot& s = slots_[slot];
  for (const core::TimerRequest& t : fx.timers) {
    const size_t i = static_cast<size_t>(t.id);
    const uint64_t gen = ++s.timer_gen[i];
    if (t.deadline == core::kNever) continue;
    queue_.At(t.deadline,
              [this, slot, inc = s.incarnation, id = t.id, gen] { FireTimer(slot, inc, id, gen); });
  }
  for (core::Event& e : fx.events) OnEvent(slot, e);
  consumers_.Drain(slot);
}

void World::OnEvent(int slot, core::Event& e) {
  const std::string_view who = NodeName(slot);
  if (auto* r = std::get_if<core::RoleChanged>(&e)) {
    trace_(now(), who, "ROLE {} -> {}: {}", RoleName(r->from), RoleName(r->to), r->reason);
    invariants_.RoleChanged();
  } else if (auto* c = std::get_if<core::WriteCompleted>(&e)) {
    if (trace_.on()) {
      trace_(now(), who, "write tok={} completed: {}{}", c->token, c->status.ToString(),
             c->stamp != 0 ? " stamp " + ShowRank({c->stamp, setup_.nodes[slot].node_id}) : "");
    }
    if (pool_clients_.Completed(slot, *c)) return;
    if (tamper_.mode() == BreakMode::kSwallowPostponed && !swallowed_ && now() >= kBreakNotBefore &&
        workload_.IsPostponed(c->token)) {
      swallowed_ = true;
      trace_(now(), "break", "swallowed the completion of {}'s postponed write tok={}", who,
             c->token);
      return;
    }
    auto issued = workload_.Completed(slot, *c);
    if (issued && tamper_.mode() == BreakMode::kDropAcked && *issued >= tamper_.dropping_since()) {
      break_crash_ = slot;
    }
  } else if (auto* so = std::get_if<core::SwitchoverCompleted>(&e)) {
    trace_(now(), who, "switchover completed: {}", so->status.ToString());
    switchover_pending_[slot] = false;
  } else if (auto* close = std::get_if<core::CloseChannel>(&e)) {
    trace_(now(), who, "closes the channel: {}", close->reason);
    if (close->cause == core::CloseCause::kDigestMismatch) DigestMismatch(slot, close->reason);
    network_.Close(slot);
  } else if (auto* log = std::get_if<core::LogLine>(&e)) {
    trace_(now(), who, "log: {}", log->text);
    if (log->text.find("digest mismatch") != std::string::npos) DigestMismatch(slot, log->text);
  } else if (auto* sb = std::get_if<core::SplitBrainDetected>(&e)) {
    ++split_brains_;
    trace_(now(), who, "SPLIT-BRAIN detected with n{}: {}", sb->peer,
           sb->keeps_active ? "keeps the active role" : "yields");
  } else if (auto* rc = std::get_if<core::ReconcileCompleted>(&e)) {
    if (!rc->sender) {
      ++reconciliations_;
      pool_clients_.ReconcileCompleted();
    }
    if (trace_.on()) {
      const core::MergeCounts& m = rc->merged;
      trace_(now(), who,
             "RECONCILED{}: {} (sent {}; received {}, inserted {}, replaced {}, deleted {}, kept "
             "{}, written {}, swept {}){}",
             rc->split_brain ? " a split-brain" : "", rc->sender ? "sender" : "receiver", rc->sent,
             m.received, m.inserted, m.replaced, m.deleted, m.kept, m.written, m.swept,
             rc->bulk_back ? ", bulk sync back" : "");
    }
  }
}

// Two stores that a finished sync should have made equal were not: never in a correct pair. A
// --break mode that rewrote records is what the core is right to notice; there the invariant the
// mode aims at must catch the damage instead.
void World::DigestMismatch(int slot, std::string_view what) {
  if (tamper_.records_tampered()) {
    trace_(now(), "break", "{} noticed the tampered records: {}", NodeName(slot), what);
    invariants_.DigestMismatch(slot);
    return;
  }
  Fail("sync_digest",
       fmt::format("{} found the stores differ after a sync: {}", NodeName(slot), what));
}

void World::FireTimer(int slot, uint64_t incarnation, core::TimerId id, uint64_t gen) {
  const Slot& s = slots_[slot];
  if (!running(slot) || s.incarnation != incarnation ||
      s.timer_gen[static_cast<size_t>(id)] != gen) {
    idle_step_ = true;  // re-armed, cancelled, or its node died
    return;
  }
  trace_(now(), NodeName(slot), "timer {}", core::TimerName(id));
  Call(slot, [&](core::Node& n) { n.OnTimer(now(), id); });
}

void World::ChannelUp(int slot) {
  trace_(now(), NodeName(slot), "channel up (connection #{})", network_.conn());
  Call(slot, [&](core::Node& n) { n.OnChannelUp(now()); });
}

void World::ChannelDown(int slot, std::string_view reason) {
  trace_(now(), NodeName(slot), "channel down: {}", reason);
  Call(slot, [&](core::Node& n) { n.OnChannelDown(now(), reason); });
}

void World::Bytes(int slot, std::span<const uint8_t> bytes) {
  trace_(now(), NodeName(slot), "< {} bytes", bytes.size());
  Call(slot, [&](core::Node& n) { n.OnBytes(now(), bytes); });
  invariants_.Delivered(slot);
}

void World::FrameSent(int from, const Frame& frame, uint64_t end) {
  if (trace_.on()) trace_(now(), NodeName(from), "> {}", DescribeFrame(frame));
  invariants_.FrameSent(from, frame, end);
  faults_.FrameSent(from, frame);
}

void World::BadStream(int from, std::string_view error) {
  Fail("wire_valid", fmt::format("{} sent a malformed stream: {}", NodeName(from), error));
}

}  // namespace hasync::sim
