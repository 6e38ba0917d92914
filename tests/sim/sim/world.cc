#include "sim/world.h"

#include <utility>

#include "fmt/format.h"

namespace hasync::sim {
namespace {

// A step at one instant of virtual time this many times over is a core that never yields.
constexpr uint64_t kMaxStepsAtOneInstant = 100'000;

}  // namespace

SimResult RunSeed(const SimOptions& options) { return World(options).Run(); }

World::World(const SimOptions& options)
    : options_(options),
      rng_(options.seed),
      trace_(options.trace),
      setup_(MakeSetup(rng_)),
      tamper_(options.brk),
      network_(setup_.net, &rng_, &queue_, this, &tamper_, &trace_),
      workload_(this),
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
    same_instant = now() == last ? same_instant + 1 : 0;
    last = now();
    if (same_instant > kMaxStepsAtOneInstant) {
      Fail("liveness", fmt::format("{} steps without virtual time advancing", same_instant));
    }
  }
  result.faults = faults_.count();
  result.writes = workload_.writes();
  result.end = now();
  result.failure = failure_;
  return result;
}

void World::Start(int slot) {
  Slot& s = slots_[slot];
  s.node = std::make_unique<core::Node>(setup_.nodes[slot]);
  ++s.incarnation;
  trace_(now(), NodeName(slot), "start (incarnation {}, empty store)", s.incarnation);
  invariants_.NodeStarted(slot);
  Call(slot, [&](core::Node& n) { n.Start(now()); });
  network_.NodeStarted(slot);
}

void World::Crash(int slot, CrashKind kind) {
  if (!running(slot)) return;
  static constexpr std::array<std::string_view, 3> kKinds = {"kill -9", "power loss",
                                                             "graceful stop"};
  trace_(now(), NodeName(slot), "CRASH ({})", kKinds[static_cast<size_t>(kind)]);
  if (kind == CrashKind::kStop) Call(slot, [&](core::Node& n) { n.Shutdown(now()); });
  Slot& s = slots_[slot];
  s.node.reset();
  ++s.incarnation;  // pending timers of the dead node are ignored
  network_.NodeStopped(slot, kind != CrashKind::kPowerLoss);
  workload_.NodeLost(slot);
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
  const std::string_view who = NodeName(slot);
  for (core::Event& e : fx.events) {
    if (auto* r = std::get_if<core::RoleChanged>(&e)) {
      trace_(now(), who, "ROLE {} -> {}: {}", RoleName(r->from), RoleName(r->to), r->reason);
      invariants_.RoleChanged();
    } else if (auto* c = std::get_if<core::WriteCompleted>(&e)) {
      if (trace_.on()) {
        trace_(now(), who, "write tok={} completed: {}", c->token, c->status.ToString());
      }
      auto issued = workload_.Completed(slot, c->token, c->status);
      if (issued && tamper_.mode() == BreakMode::kDropAcked &&
          *issued >= tamper_.dropping_since()) {
        break_crash_ = slot;
      }
    } else if (auto* so = std::get_if<core::SwitchoverCompleted>(&e)) {
      trace_(now(), who, "switchover completed: {}", so->status.ToString());
    } else if (auto* close = std::get_if<core::CloseChannel>(&e)) {
      trace_(now(), who, "closes the channel: {}", close->reason);
      network_.Close(slot);
    } else if (auto* log = std::get_if<core::LogLine>(&e)) {
      trace_(now(), who, "log: {}", log->text);
    }
  }
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
}

void World::BadStream(int from, std::string_view error) {
  Fail("wire_valid", fmt::format("{} sent a malformed stream: {}", NodeName(from), error));
}

}  // namespace hasync::sim
