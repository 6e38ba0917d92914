#include "sim/faults.h"

#include <algorithm>

#include "fmt/format.h"
#include "sim/world.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;
using core::Duration;
using core::TimePoint;

// Relative weights of the fault kinds, in percent.
enum class Kind { kPartition, kReset, kCrash, kStop, kSpike, kCorrupt, kReorder, kSwitchover };
struct Weight {
  Kind kind;
  uint64_t percent;
};
constexpr std::array<Weight, 8> kWeights = {{
    {Kind::kPartition, 15},
    {Kind::kReset, 12},
    {Kind::kCrash, 14},
    {Kind::kStop, 5},
    {Kind::kSpike, 12},
    {Kind::kCorrupt, 6},
    {Kind::kReorder, 5},
    {Kind::kSwitchover, 31},
}};

Kind Draw(Rng& rng) {
  uint64_t x = rng.Below(100);
  for (const Weight& w : kWeights) {
    if (x < w.percent) return w.kind;
    x -= w.percent;
  }
  return Kind::kSwitchover;
}

}  // namespace

void Faults::Plan() {
  World& w = *w_;
  w.At(TimePoint{0}, [&w] { w.Start(0); });
  w.At(w.setup().boot2, [&w] { w.Start(1); });
  TimePoint t{0};
  for (Duration chaos : w.setup().chaos) {
    const TimePoint quiet = t + chaos;
    w.At(t, [&w, quiet] { w.workload().Run(quiet); });
    const uint64_t n = w.rng().Between(1, 6);
    for (uint64_t i = 0; i < n; ++i) {
      const TimePoint at = t + w.rng().Between(Duration{0}, chaos);
      w.At(at, [this, quiet] { Inject(quiet); });
    }
    w.At(quiet, [&w] {
      w.network().Calm();
      w.invariants().QuietBegin();
      w.trace()(w.now(), "sim", "quiet window begins");
    });
    t = quiet + w.setup().quiet;
    w.At(t, [&w] { w.invariants().QuietEnd(); });
  }
}

void Faults::Inject(TimePoint phase_end) {
  World& w = *w_;
  Rng& rng = w.rng();
  Network& net = w.network();
  const TimePoint now = w.now();
  // Whatever a fault starts ends with the chaos phase.
  auto until = [&](Duration lo, Duration hi) {
    return std::min(now + rng.Between(lo, hi), phase_end);
  };
  ++count_;
  const Kind kind = Draw(rng);
  switch (kind) {
    case Kind::kPartition: {
      const TimePoint heal = until(10ms, 800ms);
      w.trace()(now, "fault", "partition until {}s", Trace::Time(heal));
      net.SetPartition(true);
      w.invariants().NetworkFault();
      w.At(heal, [&w] {
        w.trace()(w.now(), "fault", "partition heals");
        w.network().SetPartition(false);
      });
      break;
    }
    case Kind::kReset:
      w.trace()(now, "fault", "connection reset{}", net.Reset() ? "" : " (no connection)");
      break;
    case Kind::kCrash:
    case Kind::kStop: {
      const int slot = static_cast<int>(rng.Below(2));
      const CrashKind how = kind == Kind::kStop ? CrashKind::kStop
                            : rng.Percent(70)   ? CrashKind::kKill
                                                : CrashKind::kPowerLoss;
      const TimePoint back = until(5ms, 600ms);
      // One node down at a time: the guarantees are about a single failure.
      if (!w.running(slot) || !w.running(1 - slot)) {
        w.trace()(now, "fault", "crash of {} skipped (a node is down)", NodeName(slot));
        break;
      }
      w.Crash(slot, how);
      w.At(back, [&w, slot] { w.Start(slot); });
      break;
    }
    case Kind::kSpike: {
      const Duration extra = rng.Between(Duration{5ms}, Duration{400ms});
      const TimePoint end = until(10ms, 500ms);
      w.trace()(now, "fault", "delay spike +{} ms until {}s", extra.count() / 1'000'000,
                Trace::Time(end));
      net.Spike(extra, end - now);
      w.invariants().NetworkFault();
      break;
    }
    case Kind::kCorrupt: {
      const int from = static_cast<int>(rng.Below(2));
      w.trace()(now, "fault", "the next bytes {} sends will be corrupted", NodeName(from));
      net.CorruptNext(from);
      break;
    }
    case Kind::kReorder: {
      const int from = static_cast<int>(rng.Below(2));
      w.trace()(now, "fault", "the next bytes {} sends will be reordered", NodeName(from));
      net.ReorderNext(from);
      break;
    }
    case Kind::kSwitchover:
      Switchover();
      break;
  }
}

void Faults::Switchover() {
  World& w = *w_;
  const int first = static_cast<int>(w.rng().Below(2));
  for (int slot : {first, 1 - first}) {
    if (!w.running(slot) || w.node(slot).status().role != Role::kActive) continue;
    Status st;
    w.Call(slot, [&](core::Node& n) { st = n.RequestSwitchover(w.now()); });
    if (w.trace().on()) {
      w.trace()(w.now(), "admin", "switchover asked of {}: {}", NodeName(slot), st.ToString());
    }
    return;
  }
  w.trace()(w.now(), "admin", "switchover not asked: no active node");
}

}  // namespace hasync::sim
