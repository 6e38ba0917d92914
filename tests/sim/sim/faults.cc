#include "sim/faults.h"

#include <algorithm>

#include "fmt/format.h"
#include "sim/world.h"
#include "wire/messages.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;
using core::Duration;
using core::TimePoint;

// Faults chased per chaos phase at most, so a run of syncs cannot turn into endless flipping.
constexpr uint64_t kMaxChased = 4;

// Relative weights of the fault kinds, in percent.
enum class Kind { kPartition, kReset, kCrash, kStop, kSpike, kCorrupt, kReorder, kSwitchover };
struct Weight {
  Kind kind;
  uint64_t percent;
};
constexpr std::array<Weight, 8> kWeights = {{
    {Kind::kPartition, 17},
    {Kind::kReset, 11},
    {Kind::kCrash, 14},
    {Kind::kStop, 5},
    {Kind::kSpike, 11},
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
  const Setup& setup = w.setup();
  w.At(TimePoint{0}, [&w] { w.Start(0); });
  w.At(setup.boot2, [&w] { w.Start(1); });
  TimePoint t{0};
  for (size_t phase = 0; phase < setup.chaos.size(); ++phase) {
    const Duration chaos = setup.chaos[phase];
    const TimePoint quiet = t + chaos;
    w.At(t, [this, &w, quiet] {
      chaos_end_ = quiet;
      chase_left_ = kMaxChased;
      w.workload().Run(quiet);
      w.pool_clients().Run(quiet);
      w.consumers().Run(quiet);
    });
    const uint64_t n = w.rng().Between(1, 6);
    for (uint64_t i = 0; i < n; ++i) {
      const TimePoint at = t + w.rng().Between(Duration{0}, chaos);
      w.At(at, [this, quiet] { Inject(quiet); });
    }
    if (static_cast<int>(phase) == setup.split_brain_phase) {
      // Cut early in the phase, for up to 4 s, healed at least 150 ms before the phase ends.
      const TimePoint cut = t + w.rng().Between(Duration{0}, chaos / 5);
      const Duration longest = std::min<Duration>(4s, quiet - 150ms - cut);
      const TimePoint heal = cut + w.rng().Between(std::min<Duration>(200ms, longest), longest);
      w.At(cut, [this, heal] {
        ++count_;
        Partition(heal);
      });
    }
    w.At(quiet, [this, &w] {
      chaos_end_ = w.now();
      w.network().Calm();
      w.invariants().QuietBegin();
      w.trace()(w.now(), "sim", "quiet window begins");
    });
    t = quiet + setup.quiet;
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
      // Short cuts (within the dead time, or just past it) and long ones, both sides serving.
      const uint64_t length = rng.Below(100);
      Partition(length < 45   ? until(1ms, 150ms)
                : length < 85 ? until(150ms, 800ms)
                              : until(800ms, 3s));
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
      Switchovers();
      break;
  }
}

void Faults::Partition(TimePoint heal) {
  World& w = *w_;
  w.trace()(w.now(), "fault", "partition until {}s", Trace::Time(heal));
  w.network().SetPartition(true);
  w.consumers().PartitionChanged();
  w.At(heal, [&w] {
    w.trace()(w.now(), "fault", "partition heals");
    w.network().SetPartition(false);
    w.consumers().PartitionChanged();
  });
}

void Faults::Switchovers() {
  World& w = *w_;
  Switchover();
  if (!w.rng().Percent(w.setup().flip_percent)) return;
  // Each flip goes to whichever node is active by then.
  const uint64_t more = w.rng().Between(1, 3);
  TimePoint at = w.now();
  for (uint64_t i = 0; i < more; ++i) {
    at += w.rng().Between(Duration{1ms}, Duration{10ms});
    w.At(at, [this, &w] {
      if (w.now() < chaos_end_) Switchover();
    });
  }
}

void Faults::Switchover() {
  World& w = *w_;
  const int first = static_cast<int>(w.rng().Below(2));
  for (int slot : {first, 1 - first}) {
    if (!w.running(slot) || w.node(slot).status().role != Role::kActive) continue;
    Status st;
    w.Call(slot, [&](core::Node& n) {
      st = n.RequestSwitchover(w.now());
      if (st.ok()) w.SwitchoverAsked(slot);
    });
    if (w.trace().on()) {
      w.trace()(w.now(), "admin", "switchover asked of {}: {}", NodeName(slot), st.ToString());
    }
    return;
  }
  w.trace()(w.now(), "admin", "switchover not asked: no active node");
}

void Faults::FrameSent(int from, const Frame& frame) {
  World& w = *w_;
  if (w.now() >= chaos_end_ || chase_left_ == 0) return;
  const Setup& setup = w.setup();
  switch (frame.type) {
    case wire::MsgType::kBulkBegin: {
      auto m = wire::DecodeBulkBegin(frame.payload());
      if (!m.ok()) return;
      // Aim within the walk: its records at the configured pace, or a few ms unpaced.
      const bool bulk = m->kind == wire::SyncKind::kBulk;
      const uint64_t rate = bulk ? setup.nodes[from].bulk_rate : setup.nodes[from].reconcile_rate;
      const Duration walk = 3ms + (rate == 0 ? Duration{0}
                                             : Duration{1s} * static_cast<int64_t>(m->total) /
                                                   static_cast<int64_t>(rate));
      if (bulk && w.rng().Percent(setup.switch_on_bulk)) {
        Chase("a bulk sync", walk, false);
      } else if (!bulk && w.rng().Percent(setup.switch_on_reconcile)) {
        Chase("a reconciliation", walk, true);
      }
      return;
    }
    case wire::MsgType::kRecordEof: {
      auto m = wire::DecodeRecordEof(frame.payload());
      if (m.ok() && m->kind == wire::SyncKind::kBulk && w.rng().Percent(setup.switch_after_bulk)) {
        Chase("the end of a bulk sync", 5ms, false);
      }
      return;
    }
    case wire::MsgType::kSyncRequest:
      if (w.rng().Percent(setup.switch_on_reconcile)) Chase("a sync request", 10ms, true);
      return;
    default:
      return;
  }
}

void Faults::Chase(const char* what, Duration window, bool reconcile) {
  World& w = *w_;
  Rng& rng = w.rng();
  --chase_left_;
  ++chased_;
  ++count_;
  // Within a reconciliation, besides flips: a crash of either node or a cut channel.
  enum class Aim { kSwitchover, kCrash, kReset, kCut };
  const uint64_t x = rng.Below(100);
  const Aim aim = !reconcile || x < 60 ? Aim::kSwitchover
                  : x < 75             ? Aim::kCrash
                  : x < 90             ? Aim::kReset
                                       : Aim::kCut;
  const TimePoint at = w.now() + rng.Between(Duration{0}, window);
  w.At(at, [this, &w, what, aim] {
    if (w.now() >= chaos_end_) return;
    w.trace()(w.now(), "fault", "chasing {}", what);
    Rng& draw = w.rng();
    switch (aim) {
      case Aim::kSwitchover:
        Switchovers();
        break;
      case Aim::kCrash: {
        const int slot = static_cast<int>(draw.Below(2));
        if (!w.running(0) || !w.running(1)) break;
        w.Crash(slot, draw.Percent(70) ? CrashKind::kKill : CrashKind::kPowerLoss);
        const TimePoint back =
            std::min(w.now() + draw.Between(Duration{5ms}, Duration{600ms}), chaos_end_);
        w.At(back, [&w, slot] { w.Start(slot); });
        break;
      }
      case Aim::kReset:
        w.trace()(w.now(), "fault", "connection reset{}",
                  w.network().Reset() ? "" : " (no connection)");
        break;
      case Aim::kCut:
        Partition(std::min(w.now() + draw.Between(Duration{1ms}, Duration{400ms}), chaos_end_));
        break;
    }
  });
}

}  // namespace hasync::sim
