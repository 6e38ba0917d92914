// core_bench: the CPU cost of the replication protocol itself, two core::Nodes back to back in
// one process with no sockets: what bulk sync and the incremental stream cost before any I/O.
// The figures bound what the daemon can reach; bench/pair_figures.py measures the daemon.
//
//   build/release/bench/core_bench --benchmark_filter=BulkSync
#include <benchmark/benchmark.h>

#include <string>

#include "core/node.h"

namespace hasync::core {
namespace {

// The HLC's wall clock at the start of every run (2026-01-01); runs are pure virtual time.
constexpr uint64_t kWallMs = 1'767'225'600'000;

CoreConfig Config(NodeId id, uint8_t priority) {
  CoreConfig c;
  c.node_id = id;
  c.priority = priority;
  c.cluster = "bench";
  return c;
}

// Delivers each node's bytes to the other until neither has anything to say.
void Pump(Node& a, Node& b, TimePoint now) {
  for (bool moved = true; moved;) {
    moved = false;
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      from->Flush(now);
      Effects& fx = from->effects();
      std::vector<uint8_t> bytes;
      bytes.swap(fx.send);
      bool step = false;
      for (const TimerRequest& t : fx.timers)
        step |= t.id == TimerId::kBulkStep && t.deadline != kNever;
      fx.clear();
      if (!bytes.empty()) {
        to->OnBytes(now, bytes);
        moved = true;
      }
      if (step) {
        from->OnTimer(now, TimerId::kBulkStep);
        moved = true;
      }
    }
  }
}

std::string Key(uint64_t i) {
  char buf[32];
  snprintf(buf, sizeof(buf), "session-%010llu", static_cast<unsigned long long>(i));
  return buf;
}

void BM_BulkSync(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::string value(200, 'v');
  Node active(Config(1, 200));
  active.Start(TimePoint{0}, kWallMs);
  active.OnTimer(TimePoint{1'000'000'000}, TimerId::kStartup);
  for (uint64_t i = 0; i < n; ++i)
    (void)active.Put(TimePoint{0}, "sessions", Key(i), value, Durability::kAsync, 0);
  active.effects().clear();
  for (auto _ : state) {
    state.PauseTiming();
    Node standby(Config(2, 100));
    standby.Start(TimePoint{0}, kWallMs);
    active.OnChannelUp(TimePoint{0});
    standby.OnChannelUp(TimePoint{0});
    state.ResumeTiming();
    Pump(active, standby, TimePoint{0});
    if (standby.store().records() != n) state.SkipWithError("standby incomplete");
    state.PauseTiming();
    active.OnChannelDown(TimePoint{0}, "next round");
    active.effects().clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * n * (Key(0).size() + value.size())));
}
BENCHMARK(BM_BulkSync)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_IncrementalStream(benchmark::State& state) {
  const std::string value(200, 'v');
  Node active(Config(1, 200));
  Node standby(Config(2, 100));
  active.Start(TimePoint{0}, kWallMs);
  standby.Start(TimePoint{0}, kWallMs);
  active.OnChannelUp(TimePoint{0});
  standby.OnChannelUp(TimePoint{0});
  Pump(active, standby, TimePoint{0});
  uint64_t i = 0;
  const uint64_t keys = 1'000'000;
  for (auto _ : state) {
    // A driver turn: a burst of writes, then one flush and delivery.
    for (int w = 0; w < 1000; ++w, ++i)
      (void)active.Put(TimePoint{0}, "sessions", Key(i % keys), value, Durability::kAsync, 0);
    Pump(active, standby, TimePoint{0});
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  if (active.store().digest() != standby.store().digest()) state.SkipWithError("digests differ");
}
BENCHMARK(BM_IncrementalStream)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hasync::core

BENCHMARK_MAIN();
