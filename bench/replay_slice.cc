// What one slice of a section replay costs the node's event loop: a walk of the table
// (store::TableWalk) that encodes every record it visits as ConsumerUpdate frames
// (replay::UpdateStream) into a connection's output buffer, as the publisher's WriteSlice does.
// The table is the demo's: 113,102 records, 16-byte keys, 200-byte values. The argument is the
// slice (records per turn); the last row, a slice of the whole table, is what a replay cost the
// loop in one turn before replays were paced.
//   cmake --preset release && cmake --build --preset release --target replay_slice
//   ./build/release/bench/replay_slice
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "replay/sections.h"
#include "replay/update_stream.h"
#include "store/table.h"

namespace hasync::replay {
namespace {

constexpr size_t kRecords = 113'102;
constexpr size_t kValueBytes = 200;
constexpr size_t kFragmentBytes = 256u << 10;  // PublisherConfig's default

std::unique_ptr<store::Table> DemoTable() {
  auto table = std::make_unique<store::Table>("sessions", store::Limits{});
  const std::string value(kValueBytes, 'v');
  char key[17];
  for (size_t i = 0; i < kRecords; ++i) {
    std::snprintf(key, sizeof key, "sess-%011zu", i);
    (void)table->Upsert(key, value, i + 1, i + 1, 1);
  }
  return table;
}

void BM_ReplaySlice(benchmark::State& state) {
  static const std::unique_ptr<store::Table> table = DemoTable();
  const auto slice = static_cast<size_t>(state.range(0));
  const wire::ConsumerUpdate header{1, 1, 1, ~SectionMask{0}, true, false, ~SectionMask{0}, {}};
  std::vector<uint8_t> out;
  out.reserve(slice * (kValueBytes + 64));
  uint64_t records = 0;
  for (auto _ : state) {
    out.clear();
    uint64_t seq = 1;
    std::unique_ptr<store::TableWalk> walk = table->Walk();
    UpdateStream stream(&out, &seq, header, kFragmentBytes);
    walk->Step(slice, [&](const store::RecordView& r) {
      stream.Add(wire::UpdateRecord{DefaultSection(r.key), wire::UpdateKind::kPut, r.key, r.value});
    });
    stream.Finish(!walk->done());
    records += stream.records();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.counters["bytes/s"] =
      benchmark::Counter(static_cast<double>(out.size()) * state.iterations(),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_ReplaySlice)
    ->Arg(1024)
    ->Arg(16384)
    ->Arg(kRecords)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace hasync::replay

BENCHMARK_MAIN();
