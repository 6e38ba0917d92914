#include "sim/consumer_setup.h"

#include <algorithm>

#include "fmt/format.h"
#include "sim/setup.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;

// Bytes a replay carries per record (update record header, key, value): the clients' values
// are at most 300 bytes, the preload's 32.
constexpr uint64_t kClientReplayBytes = 8 + 6 + 300;
constexpr uint64_t kPreloadReplayBytes = 8 + 6 + 32;

replay::PublisherConfig DrawPublisher(Rng& rng) {
  replay::PublisherConfig p;
  p.ack_mode = rng.Percent(50) ? wire::AckMode::kForwarded : wire::AckMode::kDirect;
  p.ack_interval = rng.Between(Duration{5ms}, Duration{40ms});
  if (rng.Percent(30)) p.consumer_timeout = rng.Between(Duration{300ms}, Duration{3s});
  if (rng.Percent(30)) p.max_pending_ops = rng.Between(4, 16);
  if (rng.Percent(30)) p.policy.keys_max = rng.Between(0, 32);
  if (rng.Percent(25)) p.max_op_keys = rng.Between(1, 8);
  if (rng.Percent(35)) p.window_bytes = rng.Between(1024, 16384);
  if (rng.Percent(30)) p.fragment_bytes = rng.Between(256, 4096);
  if (rng.Percent(30)) p.max_concurrent_replays = rng.Between(1, 2);
  if (rng.Percent(25)) p.policy.full_after_ops = rng.Between(2, 20);
  if (rng.Percent(25)) p.policy.full_after_sections = static_cast<unsigned>(rng.Between(4, 40));
  return p;
}

ConsumerSpec DrawConsumer(Rng& rng, uint64_t preload) {
  ConsumerSpec c;
  const uint64_t table = rng.Below(preload > 0 ? 3 : 2);
  c.table = table == 2 ? "p" : fmt::format("t{}", table);
  // k1 matches k1 and k10..k19 (k100.. with the preload's p1 prefix alike).
  if (rng.Percent(40)) c.prefix = table == 2 ? "p1" : fmt::format("k{}", rng.Between(1, 2));
  const uint64_t side = rng.Below(5);
  c.side = side < 2 ? static_cast<int>(side) : -1;
  if (rng.Percent(20)) c.ring_size = rng.Between(1, 8);
  if (rng.Percent(40)) {
    c.read_base = rng.Between(Duration{200us}, Duration{3ms});
    c.ns_per_byte = rng.Between(30, 150);
  }
  return c;
}

// What a consumer may need once the faults are over: notice a silent node, go round the
// endpoints until the new active takes it, read what was queued toward it (up to the window
// and the socket buffer), then each consumer's replay in turn (one replay at a time in some
// seeds) at the slowest pace.
Duration CatchUpBound(const ConsumerSetup& c, const Setup& s) {
  const uint64_t bytes =
      std::max(s.keys_per_table * kClientReplayBytes, s.preload * kPreloadReplayBytes + 1024);
  const uint64_t backlog = c.publisher.window_bytes + c.net.socket_buffer + bytes;
  Duration replay{0};
  Duration slowest{0};
  for (const ConsumerSpec& spec : c.consumers) {
    replay += 8 * spec.read_base + Duration{static_cast<int64_t>(bytes * spec.ns_per_byte)};
    slowest = std::max(slowest, Duration{static_cast<int64_t>(backlog * spec.ns_per_byte)});
  }
  return 2 * c.dead_after + 3 * c.reconnect_delay + c.refused_delay + 10 * c.net.connect +
         c.publisher.ack_interval + slowest + 2 * replay + 400ms;
}

}  // namespace

void DrawConsumers(Rng& rng, ConsumerChoice choice, Setup* s) {
  ConsumerSetup& c = s->consumers;
  // Drawn whatever the choice, so that it changes nothing else.
  c.on = rng.Percent(30);
  if (choice != ConsumerChoice::kDrawn) c.on = choice == ConsumerChoice::kAll;
  c.publisher = DrawPublisher(rng);
  c.custom_sections = rng.Percent(30);
  const uint64_t count = rng.Percent(70) ? rng.Between(1, 3) : rng.Between(4, 6);
  for (uint64_t i = 0; i < count; ++i) c.consumers.push_back(DrawConsumer(rng, s->preload));
  c.reconnect_delay = rng.Between(Duration{10ms}, Duration{150ms});
  c.refused_delay = rng.Between(Duration{50ms}, Duration{300ms});
  // One ping interval for both sides; each cuts a connection silent for dead_after.
  c.ping_interval = rng.Between(Duration{60ms}, Duration{300ms});
  c.dead_after = c.ping_interval * static_cast<int64_t>(rng.Between(3, 4));
  c.publisher.ping_interval = c.ping_interval;
  c.publisher.dead_after = c.dead_after;
  c.net.latency = rng.Between(Duration{20us}, Duration{2ms});
  c.net.jitter = rng.Between(Duration{0}, c.net.latency);
  c.net.connect = 2 * c.net.latency + rng.Between(Duration{0}, Duration{3ms});
  c.net.socket_buffer = rng.Between(1024, 32768);
  c.faults_max = rng.Between(0, 3);
  c.chase_percent = rng.Percent(60) ? rng.Between(5, 25) : 0;
  // Drawn last, so that the draws above stay what they were before replays walked in slices.
  if (rng.Percent(50)) c.publisher.replay_slice_records = rng.Between(1, 64);
  if (!c.on) return;
  s->quiet += CatchUpBound(c, *s);
}

uint8_t SimSection(std::string_view key) {
  return key.empty() ? 0 : static_cast<uint8_t>(static_cast<uint8_t>(key.back()) % 8);
}

std::string DescribeConsumers(const ConsumerSetup& c) {
  if (!c.on) return "";
  std::string list;
  for (const ConsumerSpec& spec : c.consumers) {
    list += fmt::format("{}{}{} (side {}, ring {}{})", list.empty() ? "" : ", ", spec.table,
                        spec.prefix.empty() ? "" : "/" + spec.prefix,
                        spec.side < 0 ? "both" : fmt::format("n{}", spec.side + 1), spec.ring_size,
                        spec.ns_per_byte == 0
                            ? ""
                            : fmt::format(", slow: {} us + {} ns/B a read",
                                          spec.read_base.count() / 1000, spec.ns_per_byte));
  }
  const replay::PublisherConfig& p = c.publisher;
  auto ms = [](Duration d) { return d.count() / 1'000'000; };
  return fmt::format(
      "; consumers: {}; ack {} every {} ms, timeout {} ms, ping {} ms, dead after {} ms, pending "
      "ops {}, keys {}, op keys {}, window {}B, fragments {}B, replays {} in slices of {}, full "
      "after {} ops or "
      "{} sections{}; reconnect {} ms, refused {} ms, socket buffer {}B, {} faults a phase, "
      "chase {}%",
      list, p.ack_mode == wire::AckMode::kDirect ? "direct" : "forwarded", ms(p.ack_interval),
      ms(p.consumer_timeout), ms(p.ping_interval), ms(p.dead_after), p.max_pending_ops,
      p.policy.keys_max, p.max_op_keys, p.window_bytes, p.fragment_bytes, p.max_concurrent_replays,
      p.replay_slice_records, p.policy.full_after_ops, p.policy.full_after_sections,
      c.custom_sections ? ", t1 by custom sections" : "", ms(c.reconnect_delay),
      ms(c.refused_delay), c.net.socket_buffer, c.faults_max, c.chase_percent);
}

}  // namespace hasync::sim
