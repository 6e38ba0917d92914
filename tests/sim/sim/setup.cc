#include "sim/setup.h"

#include <array>

#include "fmt/format.h"

namespace hasync::sim {

using namespace std::chrono_literals;

TimePoint Setup::end() const {
  TimePoint t{0};
  for (Duration c : chaos) t += c + quiet;
  return t;
}

Setup MakeSetup(Rng& rng) {
  Setup s;
  core::CoreConfig c;
  c.cluster = "sim";
  // Both nodes share timing and bounds (a deployment configures the pair alike); identity,
  // priority and preemption are per node.
  c.heartbeat_interval = rng.Between(Duration{20ms}, Duration{100ms});
  c.dead_after_missed = static_cast<uint32_t>(rng.Between(2, 5));
  c.startup_wait = rng.Between(Duration{100ms}, Duration{500ms});
  c.bulk_rate = rng.Percent(30) ? rng.Between(500, 20000) : 0;
  constexpr std::array<size_t, 5> kBatch = {256, 1024, 4096, 65536, 256 * 1024};
  c.max_batch_bytes = kBatch[rng.Below(kBatch.size())];
  if (rng.Percent(50)) c.bulk_window_bytes = rng.Between(1024, 65536);
  if (rng.Percent(30)) c.max_unacked_bytes = rng.Between(4096, 131072);
  constexpr std::array<uint32_t, 4> kStep = {1, 3, 16, 8192};
  c.bulk_step_records = kStep[rng.Below(kStep.size())];
  c.replicate_timeout = rng.Between(Duration{100ms}, Duration{2s});
  c.switchover_timeout = rng.Between(Duration{100ms}, Duration{1s});
  const bool same_priority = rng.Percent(30);
  for (int i = 0; i < 2; ++i) {
    s.nodes[i] = c;
    s.nodes[i].node_id = static_cast<NodeId>(i + 1);
    s.nodes[i].priority = same_priority ? 100 : static_cast<uint8_t>(rng.Between(1, 255));
    s.nodes[i].preempt = rng.Percent(30);
  }
  s.net.latency = rng.Between(Duration{20us}, Duration{2ms});
  s.net.jitter = rng.Between(Duration{0}, s.net.latency);
  s.net.connect = 3 * s.net.latency + rng.Between(Duration{0}, Duration{5ms});
  s.net.retry_min = rng.Between(Duration{1ms}, Duration{20ms});
  s.net.retry_max = s.net.retry_min + rng.Between(Duration{0}, Duration{100ms});
  s.boot2 = rng.Percent(50) ? TimePoint{0} : rng.Between(Duration{0}, Duration{800ms});
  const uint64_t rounds = rng.Between(1, 3);
  for (uint64_t i = 0; i < rounds; ++i)
    s.chaos.push_back(rng.Between(Duration{300ms}, Duration{1200ms}));
  s.write_gap_max = rng.Between(Duration{1ms}, Duration{8ms});
  // Slowest convergence: notice a dead peer, wait out a start-up or a switchover, reconnect, run
  // a paced bulk sync of every key.
  const Duration deadline = c.heartbeat_interval * c.dead_after_missed;
  const Duration bulk =
      c.bulk_rate == 0 ? Duration{50ms} : Duration{1s} * 400 / static_cast<int64_t>(c.bulk_rate);
  s.quiet = 2 * (c.startup_wait + deadline) + c.switchover_timeout + s.net.retry_max +
            s.net.connect + 2 * bulk + 500ms;
  return s;
}

std::string Describe(const Setup& s) {
  const core::CoreConfig& c = s.nodes[0];
  auto ms = [](Duration d) {
    const int64_t us = d.count() / 1000;
    return fmt::format("{}.{:03}ms", us / 1000, us % 1000);
  };
  return fmt::format(
      "n1 prio {}{}, n2 prio {}{} (boots at {}); heartbeat {} x{}, startup {}, batch {}B, "
      "bulk window {}B, unacked bound {}B, bulk step {}, bulk rate {}/s, replicate timeout {}, "
      "switchover timeout {}; latency {} + jitter {}, connect {}, retry {}..{}; {} chaos "
      "phases, quiet windows {}, ends at {}",
      s.nodes[0].priority, s.nodes[0].preempt ? " preempt" : "", s.nodes[1].priority,
      s.nodes[1].preempt ? " preempt" : "", ms(s.boot2), ms(c.heartbeat_interval),
      c.dead_after_missed, ms(c.startup_wait), c.max_batch_bytes, c.bulk_window_bytes,
      c.max_unacked_bytes, c.bulk_step_records, c.bulk_rate, ms(c.replicate_timeout),
      ms(c.switchover_timeout), ms(s.net.latency), ms(s.net.jitter), ms(s.net.connect),
      ms(s.net.retry_min), ms(s.net.retry_max), s.chaos.size(), ms(s.quiet), ms(s.end()));
}

}  // namespace hasync::sim
