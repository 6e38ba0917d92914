// The publisher's one timer: hellos that do not come, consumers gone silent, pings on idle
// connections, channels whose consumer stayed away past consumer_timeout, and the next slice of
// an open replay (due at once: a turn of its own). Activity only ever pushes a deadline later,
// so the timer is lowered when a deadline appears and recomputed from scratch when it fires
// (firing early costs one walk, never a missed deadline).
#include <algorithm>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

int64_t Ms(core::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

void PublisherImpl::Tick() {
  AdvanceReplays();
  for (auto it = conns.begin(); it != conns.end();) {
    const ConnId id = it->first;
    Conn& c = (it++)->second;
    if (c.state == Conn::State::kHello && now >= c.opened + config.dead_after) {
      ++counters.silent;
      Close(id, fmt::format("no hello within {} ms", Ms(config.dead_after)));
    } else if (now >= c.last_rx + config.dead_after) {
      ++counters.silent;
      Close(id, fmt::format("nothing received for {} ms", Ms(now - c.last_rx)));
    } else if (c.state != Conn::State::kHello && c.queued == 0 &&
               now >= c.last_tx + config.ping_interval) {
      Send(id, c, wire::ConsumerPing{});
    }
  }
  if (role == Role::kActive) {
    for (auto it = channels.begin(); it != channels.end();) {
      Channel& ch = (it++)->second;
      if (ch.phase != ChannelPhase::kAway || now < ch.away_since + config.consumer_timeout) {
        continue;
      }
      Log(core::Severity::kInfo, fmt::format("consumer channel {} ({}) dropped: away for {} ms",
                                             ch.id, ch.name, Ms(now - ch.away_since)));
      ++counters.dropped;
      drops.push_back(wire::ChannelDrop{ch.id, wire::ChannelDropReason::kTimeout});
      Erase(ch.id);
    }
  }
  Rearm();
}

void PublisherImpl::Arm(core::TimePoint deadline) { timer_at = std::min(timer_at, deadline); }

void PublisherImpl::Rearm() {
  timer_at = core::kNever;
  for (const auto& [id, c] : conns) {
    if (c.state == Conn::State::kHello) {
      Arm(c.opened + config.dead_after);
      continue;
    }
    Arm(c.last_rx + config.dead_after);
    // A connection with bytes queued is not idle; the ping waits for it to drain.
    if (c.queued == 0) Arm(c.last_tx + config.ping_interval);
  }
  if (role != Role::kActive) return;
  for (const auto& [id, ch] : channels) {
    if (ch.phase == ChannelPhase::kAway) Arm(ch.away_since + config.consumer_timeout);
    if (ReadyForSlice(ch)) Arm(now);  // an open replay goes on in the next turn
  }
}

}  // namespace hasync::replay
