#include "sim/setup.h"

#include <algorithm>
#include <array>

#include "fmt/format.h"
#include "pool/pool.h"

namespace hasync::sim {

using namespace std::chrono_literals;

namespace {

// Bytes a walk sends per record, with the entry header and key: preloaded records carry values
// of at most 32 bytes, the clients' up to 300.
constexpr uint64_t kPreloadRecordBytes = 25 + 6 + 32;
constexpr uint64_t kClientRecordBytes = 25 + 4 + 300;

std::string DescribePool(const PoolSetup& p) {
  if (!p.on) return "";
  return fmt::format(
      "; pool {} minus {} ({} addresses, {}), lease {} s, grace {} s, {} clients every <={} us, "
      "{}% lapse{}",
      fmt::join(p.options.ranges, ","), fmt::join(p.options.exclude, ","), p.size,
      ShareRuleName(p.options.share), p.options.lease_time.count(), p.options.grace.count(),
      p.clients, p.gap_max.count() / 1000, p.lapse_percent,
      p.partner_down ? ", partner-down on long crashes" : "");
}

}  // namespace

TimePoint Setup::end() const {
  TimePoint t{0};
  for (Duration c : chaos) t += c + quiet;
  return t;
}

uint64_t Setup::wall_ms(int slot, TimePoint now) const {
  return static_cast<uint64_t>(static_cast<int64_t>(kEpochMs) + now / 1ms + skew_ms[slot]);
}

Duration Setup::walk_bound(uint64_t rate) const {
  const core::CoreConfig& c = nodes[0];
  // Every key the run can hold, live or as a tombstone: the walk sends each once.
  const uint64_t records = preload + 2 * keys_per_table;
  const uint64_t bytes = preload * kPreloadRecordBytes + 2 * keys_per_table * kClientRecordBytes;
  const Duration paced =
      rate == 0 ? Duration{0}
                : Duration{1s} * static_cast<int64_t>(records) / static_cast<int64_t>(rate);
  // Each window's worth of bytes waits for the acks of the one before: a round trip.
  const Duration rtt = 2 * (net.latency + net.jitter) + 1ms;
  const auto windows = static_cast<int64_t>(bytes / c.bulk_window_bytes + 1);
  return paced + windows * rtt;
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
  constexpr std::array<size_t, 5> kBatch = {256, 1024, 4096, 65536, 256 * 1024};
  c.max_batch_bytes = kBatch[rng.Below(kBatch.size())];
  if (rng.Percent(50)) c.bulk_window_bytes = rng.Between(1024, 65536);
  if (rng.Percent(30)) c.max_unacked_bytes = rng.Between(4096, 131072);
  // As the defaults have it (16 MiB within 64 MiB): a bulk sync's window leaves room for the
  // incremental stream, or every write made while a bulk sync is in flight would overflow the
  // bound and restart it.
  c.bulk_window_bytes = std::min(c.bulk_window_bytes, c.max_unacked_bytes / 4);
  constexpr std::array<uint32_t, 4> kStep = {1, 3, 16, 8192};
  c.bulk_step_records = kStep[rng.Below(kStep.size())];
  c.replicate_timeout = rng.Between(Duration{100ms}, Duration{2s});
  c.switchover_timeout = rng.Between(Duration{100ms}, Duration{1s});
  // Reconciliation.
  c.split_brain_rule =
      rng.Percent(50) ? SplitBrainRule::kPriorityFirst : SplitBrainRule::kLongestActiveFirst;
  c.bulk_after_reconcile_always = rng.Percent(30);
  c.max_postponed_writes = rng.Percent(25) ? rng.Between(1, 4) : 256;
  c.postpone_timeout = rng.Between(Duration{30ms}, Duration{1500ms});

  // The workload: fewer keys make the two sides of a split-brain write (and delete) the same
  // ones; a preload makes every walk long.
  s.keys_per_table = rng.Percent(35) ? rng.Between(3, 30) : 100;
  s.preload = rng.Percent(35) ? rng.Between(100, 3000) : 0;
  s.intent_percent = rng.Percent(25) ? 0 : rng.Between(5, 60);
  // Paced walks take 50-500 ms over every key, so that faults land in the middle of them.
  // A walk of one record per step is kept to the small stores: over a preload it would cost the
  // simulator a timer, a frame and an ack per record for nothing more.
  if (s.preload > 0) c.bulk_step_records = std::max<uint32_t>(c.bulk_step_records, 16);
  const uint64_t keys = s.preload + 2 * s.keys_per_table;
  auto rate = [&] {
    const uint64_t walk_ms = rng.Between(50, 500);
    return std::max<uint64_t>(200, keys * 1000 / walk_ms);
  };
  c.bulk_rate = rng.Percent(35) ? rate() : 0;
  c.reconcile_rate = rng.Percent(35) ? rate() : 0;

  const bool same_priority = rng.Percent(30);
  for (int i = 0; i < 2; ++i) {
    s.nodes[i] = c;
    s.nodes[i].node_id = static_cast<NodeId>(i + 1);
    s.nodes[i].priority = same_priority ? 100 : static_cast<uint8_t>(rng.Between(1, 255));
    s.nodes[i].preempt = rng.Percent(30);
  }
  // Skewed wall clocks exercise the HLC: a node behind its peer must still stamp its writes
  // after everything it has seen.
  if (!rng.Percent(30)) {
    for (int i = 0; i < 2; ++i) {
      s.skew_ms[i] = rng.Percent(20) ? 0 : static_cast<int64_t>(rng.Between(0, 4000)) - 2000;
    }
  }
  s.net.latency = rng.Between(Duration{20us}, Duration{2ms});
  s.net.jitter = rng.Between(Duration{0}, s.net.latency);
  s.net.connect = 3 * s.net.latency + rng.Between(Duration{0}, Duration{5ms});
  s.net.retry_min = rng.Between(Duration{1ms}, Duration{20ms});
  s.net.retry_max = s.net.retry_min + rng.Between(Duration{0}, Duration{100ms});
  s.boot2 = rng.Percent(50) ? TimePoint{0} : rng.Between(Duration{0}, Duration{800ms});

  s.switch_on_bulk = rng.Percent(40) ? rng.Between(20, 80) : 0;
  s.switch_after_bulk = rng.Percent(30) ? rng.Between(20, 60) : 0;
  s.switch_on_reconcile = rng.Percent(40) ? rng.Between(20, 80) : 0;
  s.flip_percent = rng.Percent(30) ? rng.Between(20, 60) : 0;

  const uint64_t rounds = rng.Between(1, 3);
  // A long partition needs a long phase: the cut, writes on both sides, then the heal and a
  // reconciliation while the clients still write.
  s.split_brain_phase = rng.Percent(30) ? static_cast<int>(rng.Below(rounds)) : -1;
  for (uint64_t i = 0; i < rounds; ++i) {
    s.chaos.push_back(static_cast<int>(i) == s.split_brain_phase
                          ? rng.Between(Duration{1500ms}, Duration{5s})
                          : rng.Between(Duration{300ms}, Duration{1200ms}));
  }
  s.write_gap_max = rng.Between(Duration{1ms}, Duration{8ms});

  // Slowest convergence once the faults stop: notice a dead peer, wait out a start-up or a
  // switchover, reconnect; then a reconciliation of every key and the bulk sync back, each of
  // which may find one already under way (hence two walks of each kind).
  const Duration deadline = c.heartbeat_interval * c.dead_after_missed;
  s.quiet = 2 * (c.startup_wait + deadline) + c.switchover_timeout + s.net.retry_max +
            s.net.connect + 2 * s.walk_bound(c.bulk_rate) + 2 * s.walk_bound(c.reconcile_rate) +
            500ms;
  // Every write issued during chaos is due (postponed, then replicated) within the window, so
  // postponed_served and write_completes see each one through.
  s.quiet = std::max(s.quiet, c.postpone_timeout + c.replicate_timeout + 100ms);
  return s;
}

void DrawPool(Rng& rng, PoolChoice choice, Setup* s) {
  PoolSetup& p = s->pool;
  // Drawn whatever the choice, so that it changes nothing else.
  p.on = rng.Percent(30);
  if (choice != PoolChoice::kDrawn) p.on = choice == PoolChoice::kAll;
  // 10.0.0.0 up to 10.0.0.17..63, without 10.0.0.0 and one more address: 16..62 addresses.
  const uint64_t last = rng.Between(17, 63);
  p.options.name = "sim";
  p.options.ranges = {last == 63 ? std::string("10.0.0.0/26")
                                 : fmt::format("10.0.0.0-10.0.0.{}", last)};
  p.options.exclude = {"10.0.0.0", fmt::format("10.0.0.{}", rng.Between(1, last))};
  p.size = last - 1;
  p.options.share = rng.Percent(50) ? ShareRule::kOddEven : ShareRule::kHalves;
  p.options.lease_time = std::chrono::seconds(rng.Between(2, 6));
  // The wall clocks differ by up to 4 s (skew_ms): a reused address waits out grace after its
  // lease's end by the reclaiming node's clock, so grace must be longer than that.
  p.options.grace = std::chrono::seconds(rng.Between(5, 8));
  p.options.durability = Durability::kReplicated;
  p.clients = rng.Between(std::max<uint64_t>(20, p.size / 2 + 1),
                          std::min<uint64_t>(60, p.size + p.size / 2 + 2));
  p.gap_max = rng.Between(Duration{2ms}, Duration{12ms});
  p.lapse_percent = rng.Between(5, 25);
  p.partner_down = rng.Percent(25);
  if (!p.on) return;
  auto pool = pool::AddressPool::Create(p.options, 1, 2);
  p.digest = pool.ok() ? pool.value()->settings_digest() : 0;
  for (core::CoreConfig& c : s->nodes) c.application_digest = p.digest;
  // Every request made during chaos is answered within the window: it waits at most
  // postpone_timeout (seen at the next tick), then replicate_timeout for the standby.
  const core::CoreConfig& c = s->nodes[0];
  s->quiet = std::max(s->quiet, c.postpone_timeout + c.replicate_timeout + 250ms);
}

std::string Describe(const Setup& s) {
  const core::CoreConfig& c = s.nodes[0];
  auto ms = [](Duration d) {
    const int64_t us = d.count() / 1000;
    return fmt::format("{}.{:03}ms", us / 1000, us % 1000);
  };
  return fmt::format(
             "n1 prio {}{} clock {:+}ms, n2 prio {}{} clock {:+}ms (boots at {}); heartbeat {} "
             "x{}, "
             "startup {}, batch {}B, bulk window {}B, unacked bound {}B, bulk step {}, bulk rate "
             "{}/s, "
             "reconcile rate {}/s, replicate timeout {}, switchover timeout {}; split-brain rule "
             "{}, "
             "bulk back {}, postponed at most {} for {}; {} keys per table, preload {}, intents "
             "{}%; "
             "switchover on bulk {}%, after bulk {}%, on reconcile {}%, flips {}%; latency {} + "
             "jitter "
             "{}, connect {}, retry {}..{}; {} chaos phases{}, quiet windows {}, ends at {}",
             s.nodes[0].priority, s.nodes[0].preempt ? " preempt" : "", s.skew_ms[0],
             s.nodes[1].priority, s.nodes[1].preempt ? " preempt" : "", s.skew_ms[1], ms(s.boot2),
             ms(c.heartbeat_interval), c.dead_after_missed, ms(c.startup_wait), c.max_batch_bytes,
             c.bulk_window_bytes, c.max_unacked_bytes, c.bulk_step_records, c.bulk_rate,
             c.reconcile_rate, ms(c.replicate_timeout), ms(c.switchover_timeout),
             SplitBrainRuleName(c.split_brain_rule),
             c.bulk_after_reconcile_always ? "always" : "if changed", c.max_postponed_writes,
             ms(c.postpone_timeout), s.keys_per_table, s.preload, s.intent_percent,
             s.switch_on_bulk, s.switch_after_bulk, s.switch_on_reconcile, s.flip_percent,
             ms(s.net.latency), ms(s.net.jitter), ms(s.net.connect), ms(s.net.retry_min),
             ms(s.net.retry_max), s.chaos.size(),
             s.split_brain_phase < 0
                 ? ""
                 : fmt::format(" (a long partition in #{})", s.split_brain_phase + 1),
             ms(s.quiet), ms(s.end())) +
         DescribePool(s.pool) + DescribeConsumers(s.consumers);
}

}  // namespace hasync::sim
