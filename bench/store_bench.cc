// Store micro-benchmarks at the scale of a busy gateway: 1M records, 16-byte keys, 200-byte
// values, keys visited in random order so that caches do not flatter the index.
//   cmake --preset release -B build/store-rel && cmake --build build/store-rel --target store_bench
//   ./build/store-rel/bench/store_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "store/record.h"
#include "store/table.h"

namespace hasync::store {
namespace {

constexpr size_t kRecords = 1'000'000;
constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 200;

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// Keys 0..kRecords-1 are stored; kRecords..2*kRecords-1 are never stored (misses). The stored
// keys are also kept in a fixed random order, laid out in that order: a caller has its key at
// hand, so reading it must not cost the benchmark a cache miss of its own.
class Keys {
 public:
  Keys() : bytes_(2 * kRecords * kKeyBytes), shuffled_(kRecords * kKeyBytes) {
    for (size_t i = 0; i < 2 * kRecords; ++i) {
      uint64_t words[2] = {SplitMix(2 * i), SplitMix(2 * i + 1)};
      std::memcpy(&bytes_[i * kKeyBytes], words, kKeyBytes);
    }
    std::vector<uint32_t> order(kRecords);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
    for (size_t i = 0; i < kRecords; ++i) {
      std::memcpy(&shuffled_[i * kKeyBytes], &bytes_[order[i] * kKeyBytes], kKeyBytes);
    }
  }
  std::string_view key(size_t i) const { return {&bytes_[i * kKeyBytes], kKeyBytes}; }
  // The i-th stored key in the random order.
  std::string_view shuffled(size_t i) const {
    return {&shuffled_[i % kRecords * kKeyBytes], kKeyBytes};
  }

 private:
  std::vector<char> bytes_;
  std::vector<char> shuffled_;
};

const Keys& AllKeys() {
  static const Keys keys;
  return keys;
}

const std::string kValue(kValueBytes, 'v');
uint64_t next_rvn = 1;  // RVNs only grow, across all benchmarks

std::unique_ptr<Table> Fill() {
  auto table = std::make_unique<Table>("bench", Limits{});
  for (size_t i = 0; i < kRecords; ++i)
    (void)table->Upsert(AllKeys().key(i), kValue, next_rvn++, 0, 1);
  return table;
}

// The shared 1M-record table the read and overwrite benchmarks run against.
Table& Filled() {
  static std::unique_ptr<Table> table = Fill();
  return *table;
}

// Adds the counter time_per_op: CPU seconds per table operation, printed with an SI prefix
// ("180n" is 180 ns).
void PerOp(benchmark::State& state, size_t ops_per_iteration) {
  state.counters["time_per_op"] = benchmark::Counter(
      static_cast<double>(ops_per_iteration),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Insert(benchmark::State& state) {
  const Keys& keys = AllKeys();
  for (auto _ : state) {
    auto table = std::make_unique<Table>("bench", Limits{});
    for (size_t i = 0; i < kRecords; ++i)
      (void)table->Upsert(keys.key(i), kValue, next_rvn++, 0, 1);
    state.PauseTiming();
    table.reset();
    state.ResumeTiming();
  }
  PerOp(state, kRecords);
}
BENCHMARK(BM_Insert)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_LookupHit(benchmark::State& state) {
  Table& table = Filled();
  const Keys& keys = AllKeys();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(table.Get(keys.shuffled(i++)));
  PerOp(state, 1);
}
BENCHMARK(BM_LookupHit);

void BM_LookupMiss(benchmark::State& state) {
  Table& table = Filled();
  const Keys& keys = AllKeys();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(table.Get(keys.key(kRecords + i++ % kRecords)));
  PerOp(state, 1);
}
BENCHMARK(BM_LookupMiss);

// Same-size values keep their block; arg 1 alternates 200 and 300 bytes, which reallocates.
void BM_Overwrite(benchmark::State& state) {
  Table& table = Filled();
  const Keys& keys = AllKeys();
  const std::string longer(300, 'w');
  size_t i = 0;
  for (auto _ : state) {
    bool grow = state.range(0) == 1 && i % 2 == 0;
    (void)table.Upsert(keys.shuffled(i++), grow ? longer : kValue, next_rvn++, 0, 1);
  }
  PerOp(state, 1);
}
BENCHMARK(BM_Overwrite)->Arg(0)->Arg(1);

// One bulk-sync step: restamp the oldest record and move it to the newest end.
void BM_RestampOldest(benchmark::State& state) {
  Table& table = Filled();
  for (auto _ : state) {
    uint64_t rvn = next_rvn++;
    benchmark::DoNotOptimize(table.RestampOldest(rvn, rvn));
  }
  PerOp(state, 1);
}
BENCHMARK(BM_RestampOldest);

// The sweep after a bulk sync, erasing a whole table.
void BM_EraseOlderThan(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Table> table = Fill();
    state.ResumeTiming();
    benchmark::DoNotOptimize(table->EraseOlderThan(next_rvn));
  }
  PerOp(state, kRecords);
}
BENCHMARK(BM_EraseOlderThan)->Unit(benchmark::kMillisecond)->Iterations(3);

// What each write adds to keep the digest current: one hash over key length, key and value
// (an overwrite pays it twice, for the old and the new contents).
void BM_DigestUpdate(benchmark::State& state) {
  Record* r = NewRecord(AllKeys().key(0), kValue);
  uint64_t digest = 0;
  for (auto _ : state) {
    digest += ContentDigest(*r);
    benchmark::DoNotOptimize(digest);
  }
  FreeRecord(r);
  PerOp(state, 1);
}
BENCHMARK(BM_DigestUpdate);

}  // namespace
}  // namespace hasync::store

BENCHMARK_MAIN();
