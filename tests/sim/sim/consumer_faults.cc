// The consumers' part of a chaos phase: their start, the faults of their own, and the faults
// that chase an update between its sending and its acknowledgement reaching the standby.
#include <algorithm>

#include "fmt/format.h"
#include "sim/consumers.h"
#include "sim/world.h"

namespace hasync::sim {

using namespace std::chrono_literals;
using core::TimePoint;

void Consumers::Run(TimePoint until) {
  if (!on()) return;
  chaos_end_ = until;
  chase_left_ = kMaxConsumerChased;
  Rng& rng = w_->consumer_rng();
  const TimePoint now = w_->now();
  if (!started_) {
    started_ = true;
    for (size_t c = 0; c < sessions_.size(); ++c) {
      const TimePoint at = now + rng.Between(Duration{0}, std::min<Duration>(300ms, until - now));
      w_->At(at, [this, c] { StartSession(c, 0); });
    }
  }
  const uint64_t n = rng.Between(0, w_->setup().consumers.faults_max);
  for (uint64_t i = 0; i < n; ++i) {
    w_->At(now + rng.Between(Duration{0}, until - now), [this, until] { Fault(until); });
  }
}

void Consumers::Fault(TimePoint phase_end) {
  const TimePoint now = w_->now();
  if (now >= phase_end || w_->failed()) return;
  Rng& rng = w_->consumer_rng();
  const size_t c = rng.Below(sessions_.size());
  const uint64_t x = rng.Below(100);
  ++checks_.counts().faults;
  if (x < 40) {
    if (!links_.Reset(c)) w_->trace()(now, "fault", "c{}: no connection to reset", c);
  } else if (x < 75) {
    Crash(c, std::min(now + rng.Between(Duration{5ms}, Duration{600ms}), phase_end));
  } else {
    const Duration extra = rng.Between(Duration{5ms}, Duration{300ms});
    const Duration length = std::min(rng.Between(Duration{10ms}, Duration{500ms}), phase_end - now);
    w_->trace()(now, "fault", "c{}'s connections: delay spike +{} ms for {} ms", c,
                extra.count() / 1'000'000, length.count() / 1'000'000);
    links_.Spike(c, extra, length);
  }
}

void Consumers::Crash(size_t c, TimePoint back) {
  if (sessions_[c] == nullptr) return;
  Rng& rng = w_->consumer_rng();
  // It returns holding nothing: with the channel it had (a full replay of it) or a new one.
  const uint64_t channel = rng.Percent(50) ? sessions_[c]->status().channel : 0;
  w_->trace()(w_->now(), fmt::format("c{}", c), "CRASH (returns at {}s, channel {:#x})",
              Trace::Time(back), channel);
  for (size_t endpoint : {size_t{0}, size_t{1}}) checks_.LinkClosed(links_.conn(c, endpoint));
  links_.ConsumerCrashed(c);
  sessions_[c].reset();
  ++session_timers_[c].gen;
  w_->At(back, [this, c, channel] { StartSession(c, channel); });
}

// An update went to consumer `c` from node `slot`: now and then a fault lands before its ack
// can have reached the standby (delivery, the ack interval, the ack's way back, the
// forwarding, or the direct ack's way to the standby).
void Consumers::Chase(size_t c, int slot) {
  const ConsumerSetup& s = w_->setup().consumers;
  if (chase_left_ == 0 || w_->now() >= chaos_end_ || s.chase_percent == 0) return;
  Rng& rng = w_->consumer_rng();
  if (!rng.Percent(s.chase_percent)) return;
  --chase_left_;
  ++checks_.counts().chased;
  ++checks_.counts().faults;
  const NetParams& pair = w_->setup().net;
  const Duration window = s.publisher.ack_interval + 4 * (s.net.latency + s.net.jitter) +
                          2 * (pair.latency + pair.jitter) + 1ms;
  w_->At(w_->now() + rng.Between(Duration{0}, window), [this, c, slot] { ChasedFault(c, slot); });
}

void Consumers::ChasedFault(size_t c, int slot) {
  const TimePoint now = w_->now();
  if (now >= chaos_end_ || w_->failed()) return;
  Rng& rng = w_->consumer_rng();
  const uint64_t x = rng.Below(100);
  w_->trace()(now, "fault", "chasing an update to c{} from {}", c, NodeName(slot));
  if (x < 30) {
    CrashNode(slot, rng.Percent(30));
  } else if (x < 50) {
    w_->faults().Switchovers();
  } else if (x < 60) {
    w_->trace()(now, "fault", "connection reset{}",
                w_->network().Reset() ? "" : " (no connection)");
  } else if (x < 70) {
    w_->faults().Partition(std::min(now + rng.Between(Duration{1ms}, Duration{400ms}), chaos_end_));
  } else if (x < 85) {
    if (!links_.Reset(c)) w_->trace()(now, "fault", "c{}: no connection to reset", c);
  } else {
    Crash(c, std::min(now + rng.Between(Duration{5ms}, Duration{600ms}), chaos_end_));
  }
}

void Consumers::CrashNode(int slot, bool power) {
  World& w = *w_;
  // One node down at a time: the guarantees are about a single failure.
  if (!w.running(0) || !w.running(1)) {
    w.trace()(w.now(), "fault", "crash of {} skipped (a node is down)", NodeName(slot));
    return;
  }
  w.Crash(slot, power ? CrashKind::kPowerLoss : CrashKind::kKill);
  const TimePoint back =
      std::min(w.now() + w.consumer_rng().Between(Duration{5ms}, Duration{600ms}), chaos_end_);
  w.At(back, [&w, slot] {
    if (!w.running(slot)) w.Start(slot);
  });
}

}  // namespace hasync::sim
